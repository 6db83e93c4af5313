"""A recurring series moved by an hour, over Radicale (CalDAV) and its .ics feed.

The organiser moves the master's DTSTART and raises SEQUENCE, so every RECURRENCE-ID changes.
For the contact it is the same meetings, an hour later: each is rescheduled, the prep sheet is
issued once more for the new time, nothing is cancelled and no meeting is added.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app
from coffeechat.flows.steps.calendar import sync_calendar_source
from coffeechat.flows.steps.prep_sheets import due_prep_sheets, make_prep_sheet
from coffeechat.integrations.config import CalendarConfig
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.store.tables import EventLog, Interview, Meeting, Outbox
from tests.testbed import Calendar
from tests.testbed import world as bed
from tests.testbed.xandikos import XandikosServer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def weekly(start: str, seq: int, *, exdate: str = "") -> str:
    """Four weekly 30-minute meetings with Ada from `start` (Berlin time)."""
    end = start[:11] + "30" + start[13:]
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//coffeechat tests//EN\r\n"
        "BEGIN:VEVENT\r\nUID:weekly-move\r\nDTSTAMP:20260301T100000Z\r\n"
        f"SEQUENCE:{seq}\r\nDTSTART;TZID=Europe/Berlin:{start}\r\n"
        f"DTEND;TZID=Europe/Berlin:{end}\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n{exdate}"
        "SUMMARY:Mentoring with Ada\r\nORGANIZER:mailto:sam@example.net\r\n"
        "ATTENDEE:mailto:ada@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.fixture
def app(tmp_path: Path) -> App:
    app = build_app(bed.settings(tmp_path, name="Sam", timezone="Europe/Berlin"))
    replied = (Event.OUTREACH_SENT, Event.REPLY_RECEIVED)
    bed.seed_interview(app, "Ada Lovelace", "ada@example.com", at=NOW, events=replied)
    return app


@dataclass
class Where:
    """Where a test's calendar lives: its config and how to publish an event there."""

    cfg: CalendarConfig
    put_event: Callable[[str], object]


@pytest.fixture(params=["radicale-caldav", "radicale-feed", "xandikos-caldav"])
def where(request: pytest.FixtureRequest, calendar: Calendar) -> Where:
    if request.param == "xandikos-caldav":
        server: XandikosServer = request.getfixturevalue("xandikos")
        path = server.new_calendar()
        cfg = CalendarConfig(name="x", kind="caldav", url=server.url.rstrip("/") + path)
        return Where(cfg, lambda text: server.put_event(path, text))
    kind = "caldav" if request.param == "radicale-caldav" else "ics_url"
    return Where(config(kind, calendar), calendar.put_event)


def config(kind: str, calendar: Calendar) -> CalendarConfig:
    if kind == "caldav":
        os.environ["TEST_MOVE_DAV_PASSWORD"] = calendar.password
        return CalendarConfig(
            name="dav",
            kind="caldav",
            url=calendar.url,
            username=calendar.username,
            password="env:TEST_MOVE_DAV_PASSWORD",
        )
    return CalendarConfig(name="feed", kind="ics_url", url=calendar.feed_url)


def prepare(app: App, now: datetime) -> list[int]:
    """What a cycle's prep step does: a sheet for each due meeting without one."""
    with app.factory() as s:
        due = due_prep_sheets(s, app.account_id, now)
    return [sheet for m in due if (sheet := make_prep_sheet(app, m, now)) is not None]


def snapshot(app: App) -> tuple[str, list[Meeting], list[str], list[tuple[str, str]]]:
    with app.factory() as s:
        state = s.scalars(select(Interview.state)).one()
        rows = list(s.scalars(select(Meeting).order_by(Meeting.start_utc)))
        log = list(
            s.scalars(
                select(EventLog.type).where(EventLog.type.like("Meeting%")).order_by(EventLog.id)
            )
        )
        sheets = [
            (o.occurrence, o.status)
            for o in s.scalars(
                select(Outbox).where(Outbox.kind == "prep_sheet").order_by(Outbox.id)
            )
        ]
        return state, rows, log, sheets


def test_series_moved_by_an_hour_is_rescheduled_not_cancelled(app: App, where: Where) -> None:
    cfg = where.cfg
    where.put_event(weekly("20260303T100000", 0))
    assert sync_calendar_source(app, cfg, NOW).effects == ["meeting-scheduled"] * 4
    assert len(prepare(app, NOW)) == 1  # the first meeting is within the 24 h lead
    _, before, _, _ = snapshot(app)

    where.put_event(weekly("20260303T110000", 1))
    later = NOW + timedelta(minutes=10)
    moved = sync_calendar_source(app, cfg, later)
    assert moved.effects == ["meeting-rescheduled"] * 4
    state, after, log, _ = snapshot(app)
    assert state == "scheduled"
    assert [m.id for m in after] == [m.id for m in before]  # the same meetings, none added
    assert [m.start_utc - b.start_utc for m, b in zip(after, before, strict=True)] == [
        timedelta(hours=1)
    ] * 4
    assert all(m.status == "CONFIRMED" and m.version == 2 for m in after)
    assert "MeetingCancelled" not in log and log.count("MeetingRescheduled") == 4

    soon = NOW + timedelta(hours=2)  # the moved first meeting is within the lead again
    assert len(prepare(app, soon)) == 1  # the sheet, issued once more for the new time
    assert prepare(app, soon) == []
    first = after[0].id
    *_, sheets = snapshot(app)
    assert sheets == [(f"meeting:{first}:v1", "cancelled"), (f"meeting:{first}:v2", "pending")]

    # Read again, nothing moves: the meetings now carry the new RECURRENCE-IDs.
    where.put_event(weekly("20260303T110000", 1) + "\r\n")  # same events, a new ETag
    assert sync_calendar_source(app, cfg, later + timedelta(minutes=10)).effects == []
    assert snapshot(app)[2] == log


def test_moved_series_with_an_instance_dropped_cancels_that_one_only(
    app: App, calendar: Calendar
) -> None:
    cfg = config("caldav", calendar)
    calendar.put_event(weekly("20260303T100000", 0))
    sync_calendar_source(app, cfg, NOW)
    dropped = "EXDATE;TZID=Europe/Berlin:20260317T110000\r\n"
    calendar.put_event(weekly("20260303T110000", 1, exdate=dropped))
    report = sync_calendar_source(app, cfg, NOW + timedelta(minutes=10))
    assert sorted(report.effects) == ["meeting-cancelled"] + ["meeting-rescheduled"] * 3
    _, rows, _, _ = snapshot(app)
    assert len(rows) == 4
    assert [m.status for m in rows] == ["CONFIRMED", "CONFIRMED", "CANCELLED", "CONFIRMED"]


def test_an_instance_already_held_keeps_its_time_when_the_series_moves(
    app: App, calendar: Calendar
) -> None:
    cfg = config("caldav", calendar)
    calendar.put_event(weekly("20260303T100000", 0))
    sync_calendar_source(app, cfg, NOW)
    held_at = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # the first meeting ended at 09:30 UTC
    assert sync_calendar_source(app, cfg, held_at).effects == ["meeting-ended"]
    _, before, _, _ = snapshot(app)

    calendar.put_event(weekly("20260303T110000", 1))
    moved = sync_calendar_source(app, cfg, held_at + timedelta(minutes=10))
    assert moved.effects == ["meeting-rescheduled"] * 3  # the held one is history
    _, after, log, _ = snapshot(app)
    assert [m.id for m in after] == [m.id for m in before]
    assert after[0].start_utc == before[0].start_utc and after[0].version == 1
    assert after[0].recurrence_id != before[0].recurrence_id  # known by its new key from now on
    assert log.count("MeetingScheduled") == 4 and "MeetingCancelled" not in log
    again = sync_calendar_source(app, cfg, held_at + timedelta(minutes=20))
    assert again.effects == [] and snapshot(app)[2] == log
