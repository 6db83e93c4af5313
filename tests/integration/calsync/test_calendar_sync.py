"""Calendar sync against Radicale (CalDAV) and a loopback ICS feed: the lifecycle effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app
from coffeechat.flows.steps.calendar import sync_calendar_source
from coffeechat.integrations.calendar import CalendarError
from coffeechat.integrations.config import CalendarConfig
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.store.tables import EventLog, Interview, Meeting, SyncCursor
from tests.testbed import Calendar, IcsFeedServer
from tests.testbed import world as bed

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def vevent(
    uid: str,
    start: str,
    end: str,
    *,
    seq: int = 0,
    status: str = "CONFIRMED",
    location: str = "Café Central",
    attendee: str = "ada@example.com",
    summary: str = "Coffee with Ada",
) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260301T100000Z\r\nSEQUENCE:{seq}\r\n"
        f"DTSTART;TZID=Europe/Berlin:{start}\r\nDTEND;TZID=Europe/Berlin:{end}\r\n"
        f"SUMMARY:{summary}\r\nLOCATION:{location}\r\nSTATUS:{status}\r\n"
        f"ORGANIZER:mailto:sam@example.net\r\nATTENDEE;CN=Ada:mailto:{attendee}\r\n"
        "END:VEVENT\r\n"
    )


def vcalendar(*events: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//coffeechat tests//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )


@pytest.fixture
def app(tmp_path: Path) -> App:
    app = build_app(bed.settings(tmp_path, name="Sam", timezone="Europe/Berlin"))
    replied = (Event.OUTREACH_SENT, Event.REPLY_RECEIVED)
    bed.seed_interview(app, "Ada Lovelace", "ada@example.com", at=NOW, events=replied)
    return app


def state(app: App) -> str:
    with app.factory() as s:
        return s.scalars(select(Interview.state)).one()


def meetings(app: App) -> list[Meeting]:
    with app.factory() as s:
        return list(s.scalars(select(Meeting).order_by(Meeting.id)))


def log_types(app: App) -> list[str]:
    with app.factory() as s:
        return list(
            s.scalars(
                select(EventLog.type).where(EventLog.type.like("Meeting%")).order_by(EventLog.id)
            )
        )


def test_feed_new_reschedule_same_sequence_removed_and_unreachable(
    app: App, ics_http_server: IcsFeedServer
) -> None:
    cfg = CalendarConfig(name="feed", kind="ics_url", url=ics_http_server.url)
    private = vevent(
        "dentist",
        "20260303T080000",
        "20260303T090000",
        attendee="dr@example.org",
        summary="Dentist",
    )
    ics_http_server.set_body(vcalendar(vevent("m1", "20260304T100000", "20260304T103000"), private))
    report = sync_calendar_source(app, cfg, NOW)
    assert report.effects == ["meeting-scheduled"] and state(app) == "scheduled"
    [m] = meetings(app)  # the dentist is none of our business
    assert (m.start_utc, m.timezone, m.match) == (
        datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
        "Europe/Berlin",
        "address",
    )

    before = ics_http_server.request_count
    again = sync_calendar_source(app, cfg, NOW + timedelta(minutes=5))
    assert not again.changed and ics_http_server.request_count == before + 1

    # Moved by an hour without a SEQUENCE bump (Google does this).
    ics_http_server.set_body(vcalendar(vevent("m1", "20260304T110000", "20260304T113000")))
    moved = sync_calendar_source(app, cfg, NOW + timedelta(minutes=10))
    assert moved.effects == ["meeting-rescheduled"]
    [m] = meetings(app)
    assert m.start_utc == datetime(2026, 3, 4, 10, 0, tzinfo=UTC) and m.version == 2

    ics_http_server.fail_next(status=500, times=1)
    with pytest.raises(CalendarError) as caught:
        sync_calendar_source(app, cfg, NOW + timedelta(minutes=15))
    assert caught.value.transient
    assert meetings(app)[0].status == "CONFIRMED"  # a failed fetch cancels nothing

    ics_http_server.set_body(vcalendar(private))
    gone = sync_calendar_source(app, cfg, NOW + timedelta(minutes=20))
    assert gone.effects == ["meeting-cancelled"] and state(app) == "replied"
    assert log_types(app) == ["MeetingScheduled", "MeetingRescheduled", "MeetingCancelled"]


def test_caldav_cancel_and_meeting_end(app: App, calendar: Calendar) -> None:
    cfg = CalendarConfig(
        name="dav",
        kind="caldav",
        url=calendar.url,
        username=calendar.username,
        password="env:TEST_DAV_PASSWORD",
    )
    import os

    os.environ["TEST_DAV_PASSWORD"] = calendar.password
    calendar.put_event(vcalendar(vevent("c1", "20260303T140000", "20260303T143000")))
    assert sync_calendar_source(app, cfg, NOW).effects == ["meeting-scheduled"]
    assert not sync_calendar_source(app, cfg, NOW + timedelta(minutes=1)).changed
    # The meeting happens: an hour after its end the interview is held.
    after = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
    assert sync_calendar_source(app, cfg, after).effects == ["meeting-ended"]
    assert state(app) == "held"
    with app.factory() as s:
        cur = s.scalars(select(SyncCursor)).one()
        assert cur.last_success_at == after


def test_caldav_status_cancelled(app: App, calendar: Calendar) -> None:
    import os

    os.environ["TEST_DAV_PASSWORD"] = calendar.password
    cfg = CalendarConfig(
        name="dav",
        kind="caldav",
        url=calendar.url,
        username=calendar.username,
        password="env:TEST_DAV_PASSWORD",
    )
    calendar.put_event(vcalendar(vevent("c2", "20260305T140000", "20260305T143000")))
    sync_calendar_source(app, cfg, NOW)
    calendar.put_event(
        vcalendar(vevent("c2", "20260305T140000", "20260305T143000", seq=1, status="CANCELLED"))
    )
    report = sync_calendar_source(app, cfg, NOW + timedelta(hours=1))
    assert report.effects == ["meeting-cancelled"]
    assert state(app) == "replied" and meetings(app)[0].status == "CANCELLED"


def series(*, moved: bool = False, cancel_one: bool = False) -> str:
    """A weekly series with Ada; optionally one instance moved or one cancelled (overrides)."""
    master = (
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260301T100000Z\r\nSEQUENCE:0\r\n"
        "DTSTART;TZID=Europe/Berlin:20260303T100000\r\nDTEND;TZID=Europe/Berlin:20260303T103000\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Mentoring with Ada\r\n"
        "ORGANIZER:mailto:sam@example.net\r\nATTENDEE:mailto:ada@example.com\r\nEND:VEVENT\r\n"
    )
    override = ""
    if moved:
        override = (
            "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260302T100000Z\r\nSEQUENCE:1\r\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20260310T100000\r\n"
            "DTSTART;TZID=Europe/Berlin:20260311T150000\r\nDTEND;TZID=Europe/Berlin:20260311T153000\r\n"
            "SUMMARY:Mentoring with Ada\r\nORGANIZER:mailto:sam@example.net\r\n"
            "ATTENDEE:mailto:ada@example.com\r\nEND:VEVENT\r\n"
        )
    if cancel_one:
        override += (
            "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260302T110000Z\r\nSEQUENCE:1\r\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20260317T100000\r\n"
            "DTSTART;TZID=Europe/Berlin:20260317T100000\r\nDTEND;TZID=Europe/Berlin:20260317T103000\r\n"
            "STATUS:CANCELLED\r\nSUMMARY:Mentoring with Ada\r\nORGANIZER:mailto:sam@example.net\r\n"
            "ATTENDEE:mailto:ada@example.com\r\nEND:VEVENT\r\n"
        )
    return vcalendar(master + override)


def test_recurring_instance_moved_then_one_cancelled(app: App, calendar: Calendar) -> None:
    import os

    os.environ["TEST_DAV_PASSWORD"] = calendar.password
    cfg = CalendarConfig(
        name="dav",
        kind="caldav",
        url=calendar.url,
        username=calendar.username,
        password="env:TEST_DAV_PASSWORD",
    )
    calendar.put_event(series())
    sync_calendar_source(app, cfg, NOW)
    assert len(meetings(app)) == 4  # each occurrence is its own meeting, keyed by RECURRENCE-ID
    calendar.put_event(series(moved=True))
    report = sync_calendar_source(app, cfg, NOW + timedelta(hours=1))
    assert report.effects == ["meeting-rescheduled"]
    moved = next(m for m in meetings(app) if m.recurrence_id.startswith("2026-03-10"))
    assert moved.start_utc == datetime(2026, 3, 11, 14, 0, tzinfo=UTC) and moved.version == 2
    calendar.put_event(series(moved=True, cancel_one=True))
    report = sync_calendar_source(app, cfg, NOW + timedelta(hours=2))
    assert report.effects == ["meeting-cancelled"]
    statuses = sorted((m.recurrence_id[:10], m.status) for m in meetings(app))
    assert statuses == [
        ("2026-03-03", "CONFIRMED"),
        ("2026-03-10", "CONFIRMED"),
        ("2026-03-17", "CANCELLED"),
        ("2026-03-24", "CONFIRMED"),
    ]


def test_name_in_summary_matches_with_lower_confidence(
    app: App, ics_http_server: IcsFeedServer
) -> None:
    cfg = CalendarConfig(name="feed", kind="ics_url", url=ics_http_server.url)
    # No attendee: the user put "Coffee with Ada Lovelace" in their own calendar.
    ics_http_server.set_body(
        vcalendar(
            vevent(
                "solo",
                "20260304T100000",
                "20260304T103000",
                attendee="sam@example.net",
                summary="Coffee with Ada Lovelace",
            ),
            vevent(
                "other",
                "20260305T100000",
                "20260305T103000",
                attendee="sam@example.net",
                summary="Coffee with Ada",
            ),  # a first name alone is not enough
        )
    )
    assert sync_calendar_source(app, cfg, NOW).effects == ["meeting-scheduled"]
    [m] = meetings(app)
    assert (m.uid, m.match) == ("solo", "name")
