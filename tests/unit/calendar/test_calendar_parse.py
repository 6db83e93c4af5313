"""Normalisation of real-world shapes: Google, Outlook, iCloud, recurrences, DST, broken input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from calendar_fixtures import by_uid, load, parse, utc

from coffeechat.models.calendar import Window, default_window, parse_calendar


def test_default_window_is_fourteen_days_back_ninety_ahead() -> None:
    now = utc(2026, 3, 15, 12)
    window = default_window(now)
    assert window == Window(now - timedelta(days=14), now + timedelta(days=90))


def test_window_refuses_naive_bounds() -> None:
    with pytest.raises(ValueError, match="aware"):
        Window(datetime(2026, 1, 1), utc(2026, 2, 1))


def test_google_utc_series_expands_in_x_wr_timezone_across_dst() -> None:
    parsed = parse("google_feed.ics")
    weekly = by_uid(parsed, "weekly-utc@google.com")
    # 10:00 Berlin every week: 09:00Z before 2026-03-29, 08:00Z after.
    assert [o.start for o in weekly] == [
        utc(2026, 3, 24, 9),
        utc(2026, 3, 31, 8),
        utc(2026, 4, 7, 8),
        utc(2026, 4, 14, 8),
    ]
    assert {o.timezone for o in weekly} == {"Europe/Berlin"}
    assert weekly[0].video_link == "https://meet.google.com/abc-defg-hij"
    assert weekly[0].organizer == "ada@example.com"
    assert weekly[0].attendees == ("jobseeker@example.com", "ada@example.com")


def test_google_cancelled_instance_is_returned_cancelled() -> None:
    weekly = by_uid(parse("google_feed.ics"), "weekly-utc@google.com")
    cancelled = [o for o in weekly if o.status == "CANCELLED"]
    assert [o.recurrence_id for o in cancelled] == ["2026-04-07T08:00:00+00:00"]
    assert sum(o.recurrence_id == "2026-04-07T08:00:00+00:00" for o in weekly) == 1


def test_floating_time_uses_x_wr_timezone() -> None:
    (floating,) = by_uid(parse("google_feed.ics", tz="America/New_York"), "floating@google.com")
    assert floating.start == utc(2026, 3, 25, 13)  # 14:00 Berlin, not New York
    assert floating.timezone == "Europe/Berlin"
    assert floating.recurrence_id is None


def test_floating_time_without_x_wr_uses_user_zone() -> None:
    data = load("google_feed.ics").replace(b"X-WR-TIMEZONE:Europe/Berlin\r\n", b"")
    data = data.replace(b"X-WR-TIMEZONE:Europe/Berlin\n", b"")
    parsed = parse_calendar(data, Window(utc(2026, 3, 1), utc(2026, 4, 1)), default_tz="Asia/Tokyo")
    (floating,) = by_uid(parsed, "floating@google.com")
    assert floating.start == utc(2026, 3, 25, 5)
    assert floating.timezone == "Asia/Tokyo"


def test_unknown_x_wr_timezone_is_an_explicit_note() -> None:
    data = load("google_feed.ics").replace(
        b"X-WR-TIMEZONE:Europe/Berlin", b"X-WR-TIMEZONE:Atlantis"
    )
    parsed = parse_calendar(data, Window(utc(2026, 3, 1), utc(2026, 4, 1)), default_tz="UTC")
    assert any("Atlantis" in note for note in parsed.notes)
    (floating,) = by_uid(parsed, "floating@google.com")
    assert floating.timezone == "UTC"


def test_outlook_windows_and_label_zones() -> None:
    parsed = parse("outlook.ics")
    pacific, berlin, label = parsed.occurrences
    assert (pacific.start, pacific.timezone) == (utc(2026, 4, 2, 16), "America/Los_Angeles")
    assert (berlin.start, berlin.timezone) == (utc(2026, 4, 3, 13), "Europe/Berlin")
    assert label.start == utc(2026, 4, 6, 8)
    assert label.timezone in {"Europe/Amsterdam", "Europe/Berlin"}
    assert pacific.video_link is not None
    assert pacific.video_link.startswith("https://teams.microsoft.com/l/meetup-join/")
    assert berlin.video_link == "https://example.webex.com/meet/linus"


def test_icloud_zone_last_modified_and_zoom_in_location() -> None:
    (meeting,) = by_uid(parse("icloud.ics"), "8C3F0B4A-1D2E-4F5A-9B6C-7D8E9F0A1B2C")
    assert (meeting.start, meeting.end) == (utc(2026, 3, 10, 15), utc(2026, 3, 10, 15, 45))
    assert meeting.last_modified == utc(2026, 3, 5, 11)
    assert meeting.video_link == "https://us06web.zoom.us/j/87654321098?pwd=secret"


def test_all_day_and_missing_dtend() -> None:
    parsed = parse("icloud.ics")
    (fair,) = by_uid(parsed, "ALLDAY-1")
    assert fair.all_day and fair.start == utc(2026, 3, 11, 23) and fair.end == utc(2026, 3, 13, 23)
    (deadline,) = by_uid(parsed, "ALLDAY-NOEND")
    assert deadline.end - deadline.start == timedelta(days=1)  # DATE without DTEND: one day
    (call,) = by_uid(parsed, "TIMED-NOEND")
    assert call.end == call.start == utc(2026, 3, 17, 20)  # DATE-TIME without DTEND: zero length


def test_series_with_moved_instance_exdate_and_cancelled_instance() -> None:
    series = by_uid(parse("recurring.ics"), "series-moved@example.com")
    by_rid = {o.recurrence_id: o for o in series}
    assert sorted(by_rid) == [
        "2026-03-02T09:00:00+00:00",
        "2026-03-09T09:00:00+00:00",
        "2026-03-23T09:00:00+00:00",
        "2026-03-30T08:00:00+00:00",
    ]  # 16 March is an EXDATE
    moved = by_rid["2026-03-09T09:00:00+00:00"]
    assert moved.start == utc(2026, 3, 10, 13) and moved.sequence == 1
    assert by_rid["2026-03-23T09:00:00+00:00"].status == "CANCELLED"
    assert by_rid["2026-03-30T08:00:00+00:00"].status == "CONFIRMED"


def test_cancelled_series_is_returned_and_listed() -> None:
    parsed = parse("recurring.ics")
    lunches = by_uid(parsed, "cancelled-series@example.com")
    assert len(lunches) == 3 and {o.status for o in lunches} == {"CANCELLED"}
    assert "cancelled-series@example.com" in parsed.cancelled_uids
    assert "series-moved@example.com" not in parsed.cancelled_uids


def test_endless_rrule_is_bounded_by_the_window() -> None:
    window = Window(utc(2026, 3, 1), utc(2026, 3, 8))
    standups = by_uid(parse("recurring.ics", window), "forever@example.com")
    assert len(standups) == 7


def test_method_cancel_marks_everything_cancelled() -> None:
    parsed = parse("cancel.ics")
    assert parsed.method == "CANCEL"
    assert {o.status for o in parsed.occurrences} == {"CANCELLED"}
    assert {"series-moved@example.com", "8C3F0B4A-1D2E-4F5A-9B6C-7D8E9F0A1B2C"} <= (
        parsed.cancelled_uids
    )
    assert "forever@example.com" not in parsed.cancelled_uids  # only one instance


@pytest.mark.parametrize(
    ("uid", "start", "end"),
    [
        ("berlin-spring-gap", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)),
        ("berlin-autumn-overlap", utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 2, 30)),
        ("ny-spring", utc(2026, 3, 8, 6), utc(2026, 3, 8, 8)),
        ("ny-autumn", utc(2026, 11, 1, 4), utc(2026, 11, 1, 8)),
    ],
)
def test_dst_boundaries(uid: str, start: datetime, end: datetime) -> None:
    (meeting,) = by_uid(parse("dst.ics"), uid)
    assert (meeting.start, meeting.end) == (start, end)


def test_weekly_series_keeps_wall_clock_across_dst() -> None:
    weekly = by_uid(parse("dst.ics"), "berlin-weekly-across-dst")
    assert [o.start for o in weekly] == [utc(2026, 3, 23, 8), utc(2026, 3, 30, 7)]


def test_custom_vtimezone_is_read_from_the_file() -> None:
    (meeting,) = parse("custom_tz.ics").occurrences
    assert meeting.start == utc(2026, 3, 12, 4, 30)
    assert meeting.timezone == "Coffeechat Office Time"


def test_custom_vtimezone_is_not_shared_between_files() -> None:
    window = Window(utc(2026, 3, 1), utc(2026, 4, 1))
    parse_calendar(load("custom_tz.ics"), window)  # first definition: +05:30
    other = load("custom_tz.ics").replace(b"+0530", b"-0300")
    (meeting,) = parse_calendar(other, window).occurrences
    assert meeting.start == utc(2026, 3, 12, 13)


def test_broken_components_are_isolated_and_recorded() -> None:
    parsed = parse("broken.ics")
    assert parsed.components == 6
    assert [o.uid for o in parsed.occurrences] == ["good@example.com"]
    reasons = {s.uid: s.reason for s in parsed.skipped}
    assert "DTSTART" in reasons["bad-dtstart@example.com"]
    assert "Mars/Olympus_Mons" in reasons["unknown-tz@example.com"]
    assert "RRULE" in reasons["bad-rrule@example.com"]
    assert "DTSTART" in reasons["no-start@example.com"]
    assert reasons[None] == "missing UID"


def test_unknown_tzid_never_falls_back_to_utc() -> None:
    parsed = parse("broken.ics")
    assert all(o.uid != "unknown-tz@example.com" for o in parsed.occurrences)


@pytest.mark.parametrize("data", [b"", b"garbage", b"END:VCALENDAR\r\n", "\x00"])
def test_whole_file_garbage_is_a_skip(data: bytes | str) -> None:
    parsed = parse_calendar(data, Window(utc(2026, 1, 1), utc(2026, 2, 1)))
    assert not parsed.readable and parsed.occurrences == ()
    assert parsed.skipped and parsed.skipped[0].uid is None


def test_unknown_user_zone_is_recorded() -> None:
    parsed = parse("google_feed.ics", tz="Not/AZone")
    assert any("Not/AZone" in s.reason for s in parsed.skipped if s.uid is None)
    assert by_uid(parsed, "floating@google.com")  # X-WR-TIMEZONE still places it


def test_occurrence_times_are_aware_utc() -> None:
    for name in ("google_feed.ics", "outlook.ics", "icloud.ics", "recurring.ics", "dst.ics"):
        for o in parse(name).occurrences:
            assert o.start.tzinfo is UTC and o.end.tzinfo is UTC
            assert o.end >= o.start


def test_parsing_is_deterministic() -> None:
    assert parse("recurring.ics") == parse("recurring.ics")
