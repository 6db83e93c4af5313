"""``plan`` (and ``run --dry-run``), ``thank`` and the not-thanked list of ``status``.

``plan`` works inside a rolled-back transaction: the database is compared row by row (and on
SQLite byte by byte) before and after, and the test bed's SMTP server must receive nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import followup_cmd, records, run_cmd
from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import load_settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.followups.first_run import mark_connected
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import apply_event, open_interview
from coffeechat.models.store.tables import Base, Meeting, Message, Outbox
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import SmtpServer
from tests.testbed import world as bed

Run = Callable[..., str]
USER = "jo@example.com"
NOW = datetime.now(UTC)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(cli_module._root)
    for name in ("plan", "thank", "queue"):
        app.command(name)(getattr(followup_cmd, name))
    app.command("status")(records.status)
    app.command("run")(run_cmd.run)
    return app


@pytest.fixture
def world(
    tmp_path: Path, database_url: str, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[Run, App]:
    """A config with a real SMTP server, and the CLI invoking it."""
    monkeypatch.setenv("FR_SMTP", smtp.password)
    config = bed.cli_account(
        monkeypatch, tmp_path, database_url, name="Jo Seeker", email=USER, timezone="UTC",
        relay=smtp, smtp_env="FR_SMTP", smtp={"save_to_sent": "auto"},
        cadence={"send_window_start": "00:00:00", "send_window_end": "23:59:59"},
        debrief={"thank_you_wait_hours": 0},  # these are about the first run, not the wait
    )  # fmt: skip
    runner, app = CliRunner(), _app()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run, build_app(load_settings(config))


def met(app: App, name: str, address: str, ended: datetime) -> int:
    """An outreach, then a meeting that ended at ``ended``: the interview is ``held``."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        contact, _ = upsert_contact(
            uow, ContactRow(line=0, name=name, emails=(address,)), source="t", now=ended
        )
        interview = open_interview(uow, contact, now=ended - timedelta(days=9))
        mid = f"<out-{contact.id}@example.com>"
        interview.outreach_message_id, interview.thread_subject = mid, "Coffee?"
        uow.session.add(
            Message(account_id=app.account_id, contact_id=contact.id, interview_id=interview.id,
                    message_id=mid, direction="out", folder="Sent", from_addr=USER,
                    to_addrs=[address], subject="Coffee?", kind="human", rule="t",
                    date=ended - timedelta(days=7), recorded_at=ended)
        )  # fmt: skip
        uow.session.add(
            Meeting(account_id=app.account_id, interview_id=interview.id, contact_id=contact.id,
                    source="cal", uid=f"m-{contact.id}", start_utc=ended - timedelta(hours=1),
                    end_utc=ended, summary=f"Coffee with {name}", ended_handled=True,
                    first_seen_at=ended, last_seen_at=ended)
        )  # fmt: skip
        for event in (Event.OUTREACH_SENT, Event.MEETING_SCHEDULED, Event.MEETING_ENDED):
            apply_event(uow, interview, event, now=ended)
        uow.commit()
        return contact.id


def booked(app: App, name: str, address: str, start: datetime) -> None:
    """A meeting later today: its prep sheet is due."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        contact, _ = upsert_contact(
            uow, ContactRow(line=0, name=name, emails=(address,)), source="t", now=NOW
        )
        interview = open_interview(uow, contact, now=NOW)
        uow.session.add(
            Meeting(account_id=app.account_id, interview_id=interview.id, contact_id=contact.id,
                    source="cal", uid="soon", start_utc=start, end_utc=start + timedelta(hours=1),
                    summary="Coffee", first_seen_at=NOW, last_seen_at=NOW)
        )  # fmt: skip
        apply_event(uow, interview, Event.MEETING_SCHEDULED, now=NOW)
        uow.commit()


def snapshot(app: App) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table, in primary-key order."""
    with app.factory() as session:
        return [
            (t.name, [tuple(r) for r in session.execute(select(t).order_by(*t.primary_key))])
            for t in Base.metadata.sorted_tables
        ]


def test_plan_prints_what_would_go_and_changes_nothing(
    world: tuple[Run, App], smtp: SmtpServer, database_url: str, tmp_path: Path
) -> None:
    cli, app = world
    met(app, "Ada Lovelace", "ada@example.com", NOW - timedelta(hours=3, minutes=30))
    booked(app, "Cy Young", "cy@example.com", NOW + timedelta(hours=5))
    before = snapshot(app)
    db_file = tmp_path / "coffeechat.db"
    raw = db_file.read_bytes() if database_url.startswith("sqlite") else b""
    rows = json.loads(cli("plan", "--json"))
    assert [(r["kind"], r["to"], r["action"], r["new"]) for r in rows] == [
        ("thank_you", "ada@example.com", "send", True),
        ("prep_sheet", USER, "send", True),
    ]
    text = cli("plan")
    assert "sends thank_you to Ada Lovelace <ada@example.com>" in text
    assert "nothing was sent or saved" in text
    assert "ada@example.com" in cli("run", "--dry-run")
    assert snapshot(app) == before  # no outbox row, no state change, no connection marker
    if raw:
        assert db_file.read_bytes() == raw
    assert smtp.messages == []


def test_old_meeting_is_listed_not_planned_and_thank_queues_it(world: tuple[Run, App]) -> None:
    cli, app = world
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        mark_connected(uow, NOW - timedelta(hours=1))  # connected an hour ago
        uow.commit()
    met(app, "Ada Lovelace", "ada@example.com", NOW - timedelta(hours=3))  # inside 24 h
    met(app, "Bob Babbage", "bob@example.com", NOW - timedelta(days=3))  # before the horizon
    planned = {r["to"] for r in json.loads(cli("plan", "--json"))}
    assert planned == {"ada@example.com"}
    [old] = json.loads(cli("status", "--json"))["not_thanked"]
    assert (old["contact"], old["command"]) == ("Bob Babbage", "coffeechat thank Bob")
    shown = cli("status")
    assert "met Bob Babbage on" in shown and "`coffeechat thank Bob` to send one" in shown
    assert "goes to Drafts for your review" in cli("thank", "Bob")
    assert "already queued" in cli("thank", "Bob", code=2)
    assert json.loads(cli("status", "--json"))["not_thanked"] == []
    [row] = json.loads(cli("queue", "--json"))
    assert (row["kind"], row["to"], row["mode"]) == ("thank_you", "bob@example.com", "review")
    with app.factory() as session:
        assert session.scalars(select(Outbox.kind)).all() == ["thank_you"]


def test_thank_with_send_goes_out_on_its_own_and_refuses_nothing_to_thank(
    world: tuple[Run, App],
) -> None:
    cli, app = world
    met(app, "Bob Babbage", "bob@example.com", NOW - timedelta(days=30))
    assert "goes out" in cli("thank", "bob@example.com", "--send")
    [row] = json.loads(cli("queue", "--json"))
    assert (row["mode"], row["not_after"]) == ("auto", None)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        upsert_contact(uow, ContactRow(line=0, name="Cy Nobody", emails=("cy@example.com",)),
                       source="t", now=NOW)  # fmt: skip
        uow.commit()
    assert "no meeting with Cy Nobody has ended" in cli("thank", "Cy", code=2)
