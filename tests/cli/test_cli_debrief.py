"""``coffeechat debrief CONTACT`` on a real database: read from standard input, stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import contacts, debrief_cmd
from coffeechat.models.store.tables import Account, Contact, Debrief, Meeting, Promise
from tests.testbed import world as bed

Run = Callable[..., str]


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(cli_module._root)
    app.add_typer(contacts.app, name="contacts")
    app.command("debrief")(debrief_cmd.debrief)
    return app


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    bed.cli_account(monkeypatch, tmp_path, database_url, name="Jo Seeker", email="jo@example.com")
    runner, app = CliRunner(), _app()

    def run(*args: str, code: int = 0, stdin: str = "") -> str:
        result = runner.invoke(app, list(args), input=stdin, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


def _meetings(database_url: str, ends: list[datetime]) -> list[int]:
    engine = create_engine(database_url)
    try:
        with Session(engine) as s:
            account = s.scalars(select(Account)).one()
            contact = s.scalars(select(Contact)).one()
            rows = [
                Meeting(account_id=account.id, contact_id=contact.id, source="t",
                        uid=f"m{i}@t", start_utc=end - timedelta(minutes=30), end_utc=end,
                        first_seen_at=end, last_seen_at=end)
                for i, end in enumerate(ends)
            ]  # fmt: skip
            s.add_all(rows)
            s.commit()
            return [m.id for m in rows]
    finally:
        engine.dispose()


def _debriefs(database_url: str) -> list[tuple[int, dict[str, object], list[str]]]:
    engine = create_engine(database_url)
    try:
        with Session(engine) as s:
            promises = list(s.scalars(select(Promise.text)))
            return [(d.meeting_id, d.fields, promises) for d in s.scalars(select(Debrief))]
    finally:
        engine.dispose()


def test_a_debrief_from_stdin_is_stored_for_the_last_meeting(cli: Run, database_url: str) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    now = datetime.now(UTC)
    older, last, _future = _meetings(
        database_url, [now - timedelta(days=9), now - timedelta(hours=2), now + timedelta(days=3)]
    )
    out = cli("debrief", "Ada", stdin="Their advice: try the meetups\nWhat I promised: my CV\n")
    assert f"meeting #{last}" in out and "1 advice" in out and "1 promises" in out
    [(meeting_id, fields, promises)] = _debriefs(database_url)
    assert meeting_id == last and fields["advice"] == ["try the meetups"]
    assert promises == ["my CV"]

    cli("debrief", "Ada", "--meeting", str(older), stdin="What I learned: a lot\n")
    assert sorted(m for m, _f, _p in _debriefs(database_url)) == [older, last]


def test_nothing_written_or_no_meeting_is_one_clear_line(cli: Run, database_url: str) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    assert "no past meeting with Ada Lovelace" in cli("debrief", "Ada", stdin="x", code=2)
    _meetings(database_url, [datetime.now(UTC) - timedelta(hours=1)])
    assert "nothing written" in cli("debrief", "Ada", stdin="# only a comment\n\n", code=2)
    assert "no meeting #999" in cli("debrief", "Ada", "--meeting", "999", stdin="x", code=2)
    assert _debriefs(database_url) == []
