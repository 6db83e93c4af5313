"""``coffeechat done`` on a real database: list open items, mark one, again, and refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
import typer
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import contacts, done_cmd
from coffeechat.models.contacts.records import ensure_account
from coffeechat.models.debrief.fields import DebriefFields, PromiseMention
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.followups.promises import get_item, mark_reported
from coffeechat.models.store.db import session_factory
from coffeechat.models.store.tables import (
    Account,
    Advice,
    Contact,
    ContactEmail,
    Interview,
    Meeting,
    Outbox,
    Promise,
)
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import world as bed

Run = Callable[..., str]
NOW = datetime.now(UTC)
SENT_ON = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


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


def _db(database_url: str, change: Callable[[Session], object]) -> object:
    """Run ``change`` in a session on the test database and commit."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as s:
            out = change(s)
            s.commit()
            return out
    finally:
        engine.dispose()


def _notes(database_url: str) -> object:
    return _db(database_url, lambda s: s.scalars(select(Advice.done_note)).all())


def _thank(s: Session) -> None:
    """Ada was met and thanked: updates may go to her."""
    ada = s.scalars(select(Contact).where(Contact.name == "Ada Lovelace")).one()
    s.add(Interview(account_id=ada.account_id, contact_id=ada.id, state="thanked",
                    state_changed_at=NOW, created_at=NOW))  # fmt: skip


def _tell_in_an_update(database_url: str, ref: str, status: str) -> int:
    """An update to Ada that tells item ``ref`` (as the planner marks it), in ``status``."""

    def tell(s: Session) -> int:
        interview = s.scalars(select(Interview)).first()
        assert interview is not None
        row = Outbox(account_id=interview.account_id, interview_id=interview.id, kind="update",
                     occurrence="update:x", message_id="<u@example.com>", status=status,
                     to_addr="ada@example.com", subject="A quick update", body_text="News",
                     not_before=SENT_ON, created_at=SENT_ON,
                     sent_at=SENT_ON if status == "sent" else None)  # fmt: skip
        s.add(row)
        s.flush()
        account_id = interview.account_id
        mark_reported(s, [get_item(s, account_id, ref)], SENT_ON, row_id=row.id)
        return row.id

    return int(cast(int, _db(database_url, tell)))


def test_list_mark_edit_undo(cli: Run, database_url: str) -> None:
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
    assert "coffeechat done ID what you did" in listed and "more" not in listed
    said = cli("done", "a1", "I", "went", "to", "two")  # a note in unquoted words
    assert "A1 done: try the community meetups" in said
    assert _notes(database_url) == ["I went to two"]
    assert ("No update will tell this for now: Ada Lovelace has not been thanked yet") in said
    assert "next update will say" not in said
    _db(database_url, _thank)
    edited = cli("done", "A1", "I went to two and met Grace Hopper")
    assert "A1's note changed (not told to Ada Lovelace yet): I went to two and met" in edited
    assert ("Ada Lovelace's next update will say: You suggested I try the community meetups; "
            "I went to two and met Grace Hopper.") in edited  # fmt: skip
    again = cli("done", "A1")
    assert "A1 was already done on" in again and "nothing changed" in again
    assert "--undo" in again  # not told yet: how to change it
    assert "A1" not in cli("done")  # no longer open
    assert "[done " in cli("done", "--all")
    undone = cli("done", "A1", "--undo")
    assert "A1 is open again" in undone
    assert "A1    Ada Lovelace's advice" in cli("done")
    assert "A1 is not done: nothing to undo" in cli("done", "A1", "--undo", code=2)
    assert "--undo takes no note" in cli("done", "A1", "some", "words", "--undo", code=2)
    doc = json.loads(cli("done", "1", "--json"))
    assert (doc["item"]["ref"], doc["already"], doc["item"]["note"]) == ("P1", False, "")
    assert doc["news"] == ""  # a promise kept without a note: nothing vague is told
    assert doc["no_update"] is None and doc["item"]["told"] is None
    assert json.loads(cli("done", "--json")) == {
        "items": [json.loads(cli("done", "--all", "--json"))["items"][1]], "more": 0}  # fmt: skip
    everything = json.loads(cli("done", "--all", "--json"))["items"]
    assert [(i["ref"], i["status"], i["contact"]["name"]) for i in everything] == [
        ("P1", "done", "Ada Lovelace"), ("A1", "open", "Ada Lovelace")]  # fmt: skip


@pytest.mark.parametrize("status", ["sent", "pending", "cancelled", "failed"])
def test_once_told_the_note_and_the_done_stay(cli: Run, database_url: str, status: str) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    _debrief(database_url, None, DebriefFields(advice=("try the community meetups",)))
    _db(database_url, _thank)
    cli("done", "A1", "I went to two")
    row = _tell_in_an_update(database_url, "A1", status)
    if status in ("cancelled", "failed"):  # that update reached nobody: still the user's to change
        assert "note changed" in cli("done", "A1", "I went to three")
        assert "open again" in cli("done", "A1", "--undo")
        return
    told = (
        "was told to Ada Lovelace in the update of 2026-03-09"
        if status == "sent"
        else f"is in Ada Lovelace's update going out on 2026-03-09 (outbox #{row})"
    )
    assert f"A1 {told}: its note stays" in cli("done", "A1", "I went to three", code=2)
    assert f"A1 {told}: it stays done" in cli("done", "A1", "--undo", code=2)
    assert f"and {told}; nothing changed" in cli("done", "A1")
    assert "[done " in cli("done", "--all") and ", told]" in cli("done", "--all")
    assert _notes(database_url) == ["I went to two"]


@pytest.mark.parametrize("why", ["do-not-contact", "no address", "removed"])
def test_says_why_no_update_will_tell_it(cli: Run, database_url: str, why: str) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    _debrief(database_url, None, DebriefFields(advice=("try the community meetups",)))
    _db(database_url, _thank)

    def change(s: Session) -> None:
        ada = s.scalars(select(Contact)).one()
        if why == "do-not-contact":
            ada.do_not_contact = True
        elif why == "no address":
            s.execute(update(ContactEmail).values(status="bounced"))
        else:
            s.execute(update(Advice).values(contact_id=None))

    _db(database_url, change)
    said = cli("done", "A1", "I went")
    expected = {
        "do-not-contact": "Ada Lovelace is marked do-not-contact",
        "no address": "Ada Lovelace has no usable email address",
        "removed": "the contact was removed",
    }[why]
    assert f"No update will tell this for now: {expected}" in said
    assert "next update will say" not in said


def test_the_listing_is_capped_and_says_how_many_more(cli: Run, database_url: str) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    promises = tuple(PromiseMention(f"task {n:02}") for n in range(60))
    _debrief(database_url, None, DebriefFields(promises=promises))
    listed = cli("done")
    assert listed.count("you promised") == done_cmd.LIST_LIMIT == 50
    assert "... and 10 more (`coffeechat done --limit 0` lists them all" in listed
    assert cli("done", "--limit", "0").count("you promised") == 60
    doc = json.loads(cli("done", "--json", "--limit", "5"))
    assert (len(doc["items"]), doc["more"]) == (5, 55)


def test_help_says_the_note_goes_to_the_contact(cli: Run) -> None:
    text = " ".join(cli("done", "--help").split())
    assert "The note goes to the contact" in text and "--undo" in text


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
