"""``coffeechat done`` on a real database: list open items, mark one, again, and refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import contacts, done_cmd
from coffeechat.models.contacts.records import ensure_account
from coffeechat.models.debrief.fields import DebriefFields, PromiseMention
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.store.db import session_factory
from coffeechat.models.store.tables import Account, Contact, Meeting, Promise
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import world as bed

Run = Callable[..., str]
NOW = datetime.now(UTC)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(cli_module._root)
    app.add_typer(contacts.app, name="contacts")
    app.command("done")(done_cmd.done)
    return app


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    bed.cli_account(monkeypatch, tmp_path, database_url, name="Jo Seeker", email="jo@example.com")
    runner, app = CliRunner(), _app()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


def _debrief(database_url: str, account_id: int | None, fields: DebriefFields) -> None:
    """A meeting with the account's first contact (or a new one), and its debrief stored."""
    engine = create_engine(database_url)
    try:
        factory = session_factory(engine)
        with factory() as s:
            if account_id is None:
                account_id = s.scalars(select(Account.id)).one()
            contact = s.scalars(select(Contact).where(Contact.account_id == account_id)).first()
            if contact is None:
                contact = Contact(account_id=account_id, name="Kim Other", created_at=NOW,
                                  updated_at=NOW)  # fmt: skip
                s.add(contact)
                s.flush()
            end = NOW - timedelta(hours=2)
            meeting = Meeting(account_id=account_id, contact_id=contact.id, source="t",
                              uid=f"m{account_id}@t", start_utc=end - timedelta(minutes=30),
                              end_utc=end, first_seen_at=end, last_seen_at=end)  # fmt: skip
            s.add(meeting)
            s.commit()
            meeting_id = meeting.id
        with UnitOfWork(factory, account_id=account_id) as uow:
            store_debrief(uow, meeting_id=meeting_id, fields=fields, source=f"cli:{account_id}",
                          written_at=NOW, now=NOW)  # fmt: skip
            uow.commit()
    finally:
        engine.dispose()


def test_list_mark_and_mark_again(cli: Run, database_url: str) -> None:
    assert "nothing open" in cli("done")
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    fields = DebriefFields(
        advice=("try the community meetups",),
        promises=(PromiseMention("send her my portfolio", date(2026, 12, 11)),),
    )
    _debrief(database_url, None, fields)  # fmt: skip
    listed = cli("done")
    assert "P1    you promised Ada Lovelace: send her my portfolio (due Fri 11 Dec)" in listed
    assert "A1    Ada Lovelace's advice: try the community meetups" in listed
    assert 'coffeechat done ID "what you did"' in listed
    said = cli("done", "a1", "I went to two and met Grace Hopper")
    assert "A1 done: try the community meetups" in said
    assert ("Ada Lovelace's next update will say: You suggested I try the community meetups; "
            "I went to two and met Grace Hopper.") in said  # fmt: skip
    again = cli("done", "A1", "something else")
    assert "A1 was already done on" in again and "nothing changed" in again
    assert "A1" not in cli("done")  # no longer open
    assert "[done " in cli("done", "--all")
    doc = json.loads(cli("done", "1", "--json"))
    assert (doc["item"]["ref"], doc["already"], doc["item"]["note"]) == ("P1", False, "")
    assert doc["news"] == ""  # a promise kept without a note: nothing vague is told
    assert json.loads(cli("done", "--json"))["items"] == []
    everything = json.loads(cli("done", "--all", "--json"))["items"]
    assert [(i["ref"], i["status"], i["contact"]["name"]) for i in everything] == [
        ("P1", "done", "Ada Lovelace"), ("A1", "done", "Ada Lovelace")]  # fmt: skip


def test_refusals_are_one_clear_line(cli: Run, database_url: str) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    engine = create_engine(database_url)
    try:
        with Session(engine) as s:
            other = ensure_account(s, slug="kim", name="Kim", email="kim@example.org",
                                   timezone="UTC", now=NOW)  # fmt: skip
            s.commit()
            other_id = other.id
    finally:
        engine.dispose()
    _debrief(database_url, other_id, DebriefFields(promises=(PromiseMention("call back"),)))
    assert "no promise P7; `coffeechat done` lists them" in cli("done", "P7", code=2)
    assert "no advice A1" in cli("done", "A1", code=2)
    assert "no promise or advice ID" in cli("done", "X9", code=2)
    assert "belongs to another account" in cli("done", "P1", code=2)
    assert "P1" not in cli("done")  # another account's item is not listed either
    engine = create_engine(database_url)
    try:
        with Session(engine) as s:
            assert s.scalars(select(Promise.status)).all() == ["open"]  # nothing changed
    finally:
        engine.dispose()
