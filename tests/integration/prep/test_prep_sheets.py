"""Prep sheets against a real database: due, made once per meeting version, never when cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from coffeechat.deployments.cli.prep_cmd import prep
from coffeechat.deployments.cli.runtime import Runtime
from coffeechat.flows.steps.app import App, build_app
from coffeechat.flows.steps.prep_sheets import (
    DEFAULT_LEAD,
    due_prep_sheets,
    make_prep_sheet,
    publish_artifact,
)
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import apply_event, open_interview, try_apply
from coffeechat.models.store.tables import Interview, Meeting, Outbox, PrepSheet
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import world as bed

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[App]:
    settings = bed.settings(
        tmp_path / "data", database_url=database_url, name="Jo Seeker", email="jo@example.net",
        timezone="Europe/Berlin",
    )  # fmt: skip
    built = build_app(settings)
    yield built
    built.factory.kw["bind"].dispose()


def book(app: App, start: datetime = START, *, name: str = "Ada Lovelace") -> int:
    """A contact who replied and a meeting found in the calendar; the meeting's id."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        row = ContactRow(line=0, name=name, emails=("ada@example.com",), company="Engines")
        contact, _ = upsert_contact(uow, row, source="manual", now=NOW)
        interview = open_interview(uow, contact, now=NOW)
        apply_event(uow, interview, Event.OUTREACH_SENT, now=NOW)
        apply_event(uow, interview, Event.REPLY_RECEIVED, now=NOW)
        meeting = Meeting(
            account_id=app.account_id,
            interview_id=interview.id,
            contact_id=contact.id,
            source="feed",
            uid="m1",
            recurrence_id="",
            start_utc=start,
            end_utc=start + timedelta(minutes=30),
            timezone="Europe/Berlin",
            summary="Coffee",
            location="Café Central",
            version=1,
            first_seen_at=NOW,
            last_seen_at=NOW,
        )
        uow.session.add(meeting)
        uow.session.flush()
        apply_event(uow, interview, Event.MEETING_SCHEDULED, now=NOW)
        uow.commit()
        return meeting.id


def change(app: App, meeting_id: int, **values: object) -> None:
    """What the calendar sync does on a material change: new values, version bumped."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        m = uow.session.get(Meeting, meeting_id)
        assert m is not None
        for key, value in values.items():
            setattr(m, key, value)
        m.version += 1
        interview = uow.session.get(Interview, m.interview_id)
        assert interview is not None
        event = Event.MEETING_CANCELLED if m.status == "CANCELLED" else Event.MEETING_RESCHEDULED
        try_apply(uow, interview, event, now=NOW)
        uow.commit()


def due(app: App, now: datetime) -> list[int]:
    with app.factory() as s:
        return due_prep_sheets(s, app.account_id, now, DEFAULT_LEAD)


def rows(app: App) -> tuple[list[PrepSheet], list[Outbox]]:
    with app.factory() as s:
        sheets = list(s.scalars(select(PrepSheet).order_by(PrepSheet.id)))
        return sheets, list(s.scalars(select(Outbox).order_by(Outbox.id)))


def test_due_within_lead_then_made_exactly_once(app: App) -> None:
    mid = book(app)
    assert due(app, START - timedelta(hours=25)) == []
    at = START - timedelta(hours=23)
    assert due(app, at) == [mid]
    first = make_prep_sheet(app, mid, at)
    assert first is not None
    assert make_prep_sheet(app, mid, at + timedelta(minutes=5)) == first
    assert due(app, at) == []
    [sheet], [out] = rows(app)
    assert (sheet.meeting_version, sheet.is_update, sheet.outbox_id) == (1, False, out.id)
    path = Path(sheet.path)
    assert path.parent == (app.settings.data_dir / "prep").resolve()
    assert path.name == "2026-03-03-ada-lovelace.html" and "Ada Lovelace" in path.read_text()
    assert (out.kind, out.occurrence, out.status, out.mode) == (
        "prep_sheet",
        f"meeting:{mid}:v1",
        "pending",
        "auto",
    )
    assert out.to_addr == "jo@example.net" and out.not_before == at
    assert out.subject == "Prep: coffee with Ada Lovelace, Tue 3 Mar 10:00"
    assert out.message_id.startswith("<") and out.message_id.endswith("@example.net>")
    assert "COFFEE WITH ADA LOVELACE" in out.body_text
    assert out.body_html is not None and out.body_html.startswith("<!DOCTYPE html>")
    assert due(app, START + timedelta(minutes=1)) == []  # started: too late for a sheet


def test_booked_inside_the_lead_time_is_due_at_once(app: App) -> None:
    mid = book(app, NOW + timedelta(hours=2))
    assert due(app, NOW) == [mid]


def test_reschedule_gives_exactly_one_updated_sheet(app: App) -> None:
    mid = book(app)
    at = START - timedelta(hours=23)
    assert make_prep_sheet(app, mid, at) is not None
    later = START + timedelta(hours=3)
    change(app, mid, start_utc=later, end_utc=later + timedelta(minutes=45))
    assert due(app, at) == []  # moved out of the lead time: its sheet comes later
    at = later - timedelta(hours=23)
    assert due(app, at) == [mid]
    second = make_prep_sheet(app, mid, at)
    assert make_prep_sheet(app, mid, at + timedelta(minutes=2)) == second
    sheets, outs = rows(app)
    assert [(s.meeting_version, s.is_update) for s in sheets] == [(1, False), (2, True)]
    assert [o.status for o in outs] == ["cancelled", "pending"]  # v1 never went: replaced
    assert outs[1].subject == "Updated prep: coffee with Ada Lovelace, Tue 3 Mar 13:00"
    assert "<strong>Updated</strong>" in (outs[1].body_html or "")
    assert "45 minutes, ends 13:45" in outs[1].body_text


def test_a_cancelled_meeting_gets_no_sheet(app: App) -> None:
    mid = book(app)
    change(app, mid, status="CANCELLED")
    at = START - timedelta(hours=1)
    assert due(app, at) == []
    assert make_prep_sheet(app, mid, at) is None
    assert rows(app) == ([], [])


def test_publish_artifact_without_a_run_does_nothing() -> None:
    assert publish_artifact("# hi", key="prep-sheet-1") is False


def cli(app: App) -> typer.Typer:
    cmd = typer.Typer()

    @cmd.callback()
    def root(ctx: typer.Context) -> None:
        rt = Runtime(config=None, account_slug="")
        rt.__dict__["settings"] = app.settings  # cached_property: the test's settings
        ctx.obj = rt

    cmd.command("prep")(prep)
    return cmd


def test_cli_prints_the_sheet_and_opens_the_html(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    book(app, datetime.now(UTC) + timedelta(days=2))
    runner = CliRunner()
    out = runner.invoke(cli(app), ["prep", "Ada"])
    assert out.exit_code == 0, out.output
    assert "COFFEE WITH ADA LOVELACE" in out.stdout and "Starts:" in out.stdout
    md = runner.invoke(cli(app), ["prep", "ada@example.com", "--format", "md"])
    assert md.exit_code == 0 and md.stdout.startswith("# Coffee with Ada Lovelace")
    opened: list[str] = []

    def fake_open(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", fake_open)
    res = runner.invoke(cli(app), ["prep", "Ada", "--open"])
    assert res.exit_code == 0, res.output
    [url] = opened
    assert url.startswith("file://") and url.endswith("-ada-lovelace.html")
    assert rows(app) == ([], [])  # nothing recorded, nothing sent


def test_cli_without_a_meeting(app: App) -> None:
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        upsert_contact(uow, ContactRow(line=0, name="Grace Hopper"), source="manual", now=NOW)
        uow.commit()
    out = CliRunner().invoke(cli(app), ["prep", "Grace"])
    assert out.exit_code == 0, out.output
    assert "No meeting booked yet." in out.stdout
