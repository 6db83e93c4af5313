"""Every calendar has a budget, and a bad piece of a calendar harms only itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from calendar_fixtures import by_uid, utc
from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

from coffeechat.models.calendar import (
    MAX_CALENDAR_BYTES,
    ParsedCalendar,
    Window,
    inspect_calendar,
    parse_calendar,
)
from coffeechat.models.calendar.budget import SERIES_OCCURRENCES

# The window an emailed invitation is read in: a year.
YEAR = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def cal(*blocks: str) -> bytes:
    """Wrap VEVENT/VTIMEZONE text into a VCALENDAR with CRLF line ends."""
    text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n" + "".join(blocks) + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def event(uid: str, *lines: str, start: str = "DTSTART:20260105T090000Z") -> str:
    """One VEVENT with the given lines."""
    body = "".join(
        f"{line}\n" for line in (f"UID:{uid}", "DTSTAMP:20260101T000000Z", start, *lines)
    )
    return f"BEGIN:VEVENT\n{body}SUMMARY:coffee\nEND:VEVENT\n"


GOOD = event("good@x", "DTEND:20260105T100000Z")


def parse(data: bytes, window: Window = YEAR, tz: str = "UTC") -> ParsedCalendar:
    """Parse in the invitation window."""
    return parse_calendar(data, window, default_tz=tz)


def reasons(parsed: ParsedCalendar, uid: str) -> list[str]:
    """The skip reasons recorded for a UID."""
    return [s.reason for s in parsed.skipped if s.uid == uid]


# -- recurrence rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=SECONDLY;COUNT=1000000000",
        "FREQ=MINUTELY",
        "FREQ=HOURLY;INTERVAL=1",
        "FREQ=DAILY;BYHOUR=1,2,3,4,5;BYMINUTE=0,10,20,30,40,50",
    ],
)
def test_sub_daily_series_are_skipped_with_the_reason(rule: str) -> None:
    data = cal(
        event("s@x", "DTEND:20260105T093000Z", f"RRULE:{rule}"),
        event(
            "s@x",
            "RECURRENCE-ID:20260106T090000Z",
            "DTEND:20260106T100000Z",
            start="DTSTART:20260106T090000Z",
        ),
        GOOD,
    )
    parsed = parse(data)
    assert by_uid(parsed, "s@x") == []  # the override of such a series is not a meeting either
    assert any("not a meeting" in r for r in reasons(parsed, "s@x"))
    assert [o.uid for o in parsed.occurrences] == ["good@x"]


def test_series_over_the_occurrence_cap_is_skipped_not_truncated() -> None:
    hours = ",".join(str(h) for h in range(0, 24, 3))  # 8 a day: 2,920 in a year
    parsed = parse(
        cal(event("many@x", "DTEND:20260105T093000Z", f"RRULE:FREQ=DAILY;BYHOUR={hours}"), GOOD)
    )
    assert by_uid(parsed, "many@x") == []
    assert reasons(parsed, "many@x") == [
        f"series not expanded: more than {SERIES_OCCURRENCES} occurrences in the window"
    ]
    assert len(by_uid(parsed, "good@x")) == 1


def test_daily_series_just_under_the_cap_is_kept() -> None:
    parsed = parse(cal(event("d@x", "DTEND:20260105T093000Z", "RRULE:FREQ=DAILY")))
    assert len(by_uid(parsed, "d@x")) == 361 and parsed.skipped == ()


def test_rule_that_never_matches_costs_little_and_yields_nothing() -> None:
    parsed = parse(
        cal(
            event("n@x", "DTEND:20260105T093000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"), GOOD
        )
    )
    # DTSTART itself is the one occurrence; the rule adds none and stops at its horizon.
    assert len(by_uid(parsed, "n@x")) == 1 and parsed.skipped == ()


def test_series_starting_in_the_year_one_is_over_budget() -> None:
    start = "DTSTART:00010101T090000Z"
    parsed = parse(
        cal(event("old@x", "DTEND:00010101T093000Z", "RRULE:FREQ=DAILY", start=start), GOOD)
    )
    assert by_uid(parsed, "old@x") == []
    assert any("steps" in r for r in reasons(parsed, "old@x"))


def test_daily_series_from_1970_is_expanded() -> None:
    start = "DTSTART:19700105T090000Z"
    parsed = parse(cal(event("d@x", "DTEND:19700105T093000Z", "RRULE:FREQ=DAILY", start=start)))
    assert len(by_uid(parsed, "d@x")) == 365


def test_count_of_a_billion_is_bounded_by_the_window() -> None:
    parsed = parse(
        cal(event("c@x", "DTEND:20260105T093000Z", "RRULE:FREQ=WEEKLY;COUNT=1000000000"))
    )
    assert len(by_uid(parsed, "c@x")) == 52


def test_calendar_budget_stops_later_series() -> None:
    old = [
        event(
            f"o{i}@x",
            "DTEND:18000101T093000Z",
            "RRULE:FREQ=DAILY",
            start="DTSTART:18000101T090000Z",
        )
        for i in range(10)
    ]
    parsed = parse(cal(*old))
    assert any("calendar over its expansion budget" in s.reason for s in parsed.skipped)


def test_other_rrules_are_not_touched_by_the_budget_hook() -> None:
    rule = rrulestr("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29", dtstart=datetime(2026, 1, 1))
    assert rule.after(datetime(2026, 1, 1)) == datetime(2028, 2, 29)


# -- time zones ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tzid", "hour", "name"),
    [
        ("UTC+01", 8, "UTC+01:00"),
        ('"GMT+01:00"', 8, "UTC+01:00"),
        ("GMT+01:00", 8, "UTC+01:00"),  # unquoted, split by the parser at its colon
        ("UTC-05:30", 14, "UTC-05:30"),
        ("UTC-5", 14, "UTC-05:00"),
        ('"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"', 8, "Europe/Amsterdam"),
        ('"(UTC+03:00) Nowhere"', 6, "UTC+03:00"),
    ],
)
def test_fixed_offset_tzids_resolve(tzid: str, hour: int, name: str) -> None:
    start = f"DTSTART;TZID={tzid}:20260105T090000"
    parsed = parse(cal(event("f@x", f"DTEND;TZID={tzid}:20260105T100000", start=start)))
    (occ,) = parsed.occurrences
    assert (occ.start.replace(minute=0), occ.timezone) == (utc(2026, 1, 5, hour), name)
    assert occ.end - occ.start == timedelta(hours=1)


def vtimezone(tzid: str, *lines: str, offset: str = "+0100") -> str:
    """A one-observance VTIMEZONE with extra lines at the top."""
    extra = "".join(f"{line}\n" for line in lines)
    return (
        f"BEGIN:VTIMEZONE\nTZID:{tzid}\n{extra}BEGIN:STANDARD\nDTSTART:19700101T000000\n"
        f"TZOFFSETFROM:{offset}\nTZOFFSETTO:{offset}\nEND:STANDARD\nEND:VTIMEZONE\n"
    )


def zoned(uid: str, tzid: str) -> str:
    """An event in a custom zone."""
    return event(
        uid, f"DTEND;TZID={tzid}:20260105T100000", start=f"DTSTART;TZID={tzid}:20260105T090000"
    )


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (vtimezone("Bad", "TZID:Other"), "more than one TZID"),
        (vtimezone("Bad", offset="+2500"), "unreadable VTIMEZONE"),
        (vtimezone("Bad", "X-PAD:" + "x" * 70_000), "bytes, more than"),
        ("BEGIN:VTIMEZONE\nTZID:Bad\nEND:VTIMEZONE\n", "without a STANDARD or DAYLIGHT"),
        (
            vtimezone("Bad").replace("END:STANDARD", "RRULE:FREQ=SECONDLY\nEND:STANDARD"),
            "not yearly",
        ),
    ],
)
def test_a_bad_vtimezone_harms_only_the_events_using_it(bad: str, why: str) -> None:
    data = cal(
        vtimezone("Mine", offset="+0300"), bad, zoned("bad@x", "Bad"), zoned("mine@x", "Mine"), GOOD
    )
    parsed = parse(data)
    assert parsed.readable
    assert by_uid(parsed, "bad@x") == []
    (reason,) = reasons(parsed, "bad@x")
    assert reason.startswith("TZID 'Bad': ") and why in reason
    assert [o.start for o in by_uid(parsed, "mine@x")] == [utc(2026, 1, 5, 6)]
    assert len(by_uid(parsed, "good@x")) == 1


def test_a_vtimezone_with_a_hundred_thousand_transitions_is_refused_cheaply() -> None:
    rdates = ",".join(f"{1800 + i // 400:04d}{1 + i % 12:02d}01T020000" for i in range(100_000))
    bad = vtimezone("Bad").replace("END:STANDARD", f"RDATE:{rdates}\nEND:STANDARD")
    parsed = parse(cal(bad, zoned("bad@x", "Bad"), GOOD))
    assert "VTIMEZONE of" in reasons(parsed, "bad@x")[0]
    assert len(parsed.occurrences) == 1


# -- odd events ---------------------------------------------------------------------------


def test_dtend_before_dtstart_gets_the_default_hour_and_a_note() -> None:
    data = cal(
        event("o@x", "DTEND:20260105T100000Z", "RRULE:FREQ=WEEKLY;COUNT=3"),
        event(
            "o@x",
            "RECURRENCE-ID:20260112T090000Z",
            "DTEND:20260112T080000Z",
            start="DTSTART:20260112T110000Z",
        ),
        event("d@x", "DTEND:20260105T080000Z"),
    )
    parsed = parse(data)
    moved = [o for o in by_uid(parsed, "o@x") if o.start == utc(2026, 1, 12, 11)]
    assert [o.end for o in moved] == [utc(2026, 1, 12, 12)]
    assert [o.end for o in by_uid(parsed, "d@x")] == [utc(2026, 1, 5, 10)]
    assert any(n.startswith("d@x: ends before it starts") for n in parsed.notes)
    assert any(n.startswith("o@x: ends before it starts") for n in parsed.notes)
    assert parsed.skipped == ()


def test_negative_duration_gets_the_default_hour() -> None:
    parsed = parse(cal(event("d@x", "DURATION:-PT2H")))
    assert [o.end for o in parsed.occurrences] == [utc(2026, 1, 5, 10)]


@pytest.mark.parametrize("tz", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_all_day_occurrences_are_dates(tz: str) -> None:
    data = cal(
        event(
            "ad@x",
            "DTEND;VALUE=DATE:20260107",
            "RRULE:FREQ=WEEKLY;COUNT=2",
            start="DTSTART;VALUE=DATE:20260105",
        )
    )
    parsed = parse(data, tz=tz)
    assert [(o.start_date, o.end_date, o.all_day) for o in parsed.occurrences] == [
        (date(2026, 1, 5), date(2026, 1, 7), True),
        (date(2026, 1, 12), date(2026, 1, 14), True),
    ]
    report = inspect_calendar(data, default_tz=tz)
    shown = [(o["start"], o["end"]) for o in report["occurrences"]]  # type: ignore[attr-defined]
    assert shown == [("2026-01-05", "2026-01-07"), ("2026-01-12", "2026-01-14")]


def test_timed_occurrences_have_no_dates() -> None:
    (occ,) = parse(cal(GOOD)).occurrences
    assert occ.start_date is None and occ.end_date is None


def test_events_nested_deep_are_read_and_deeper_ones_dropped_without_recursion() -> None:
    shallow = "BEGIN:X-A\n" + event("n@x", "DTEND:20260105T100000Z") + "END:X-A\n"
    deep = (
        "".join(f"BEGIN:X-{i}\n" for i in range(5000))
        + event("deep@x")
        + "".join(f"END:X-{i}\n" for i in reversed(range(5000)))
    )
    parsed = parse(cal(shallow, deep, GOOD))
    assert sorted(o.uid for o in parsed.occurrences) == ["good@x", "n@x"]


def test_a_calendar_over_the_size_cap_is_refused_before_parsing() -> None:
    data = cal(GOOD).replace(b"SUMMARY:coffee", b"SUMMARY:" + b"x" * MAX_CALENDAR_BYTES)
    parsed = parse(data)
    assert not parsed.readable and parsed.occurrences == ()
    assert "over" in parsed.skipped[0].reason
    report = inspect_calendar(data)
    assert report["readable"] is False


def test_inspect_marks_a_file_that_is_no_calendar_unreadable() -> None:
    report = inspect_calendar(b"NOTES:this is not a calendar\r\n")
    assert report["readable"] is False and report["occurrences"] == []
    assert "readable" not in inspect_calendar(cal(GOOD))


def test_default_window_of_inspect_includes_times_east_of_utc() -> None:
    start = "DTSTART;TZID=Asia/Tokyo:20260105T090000"
    report = inspect_calendar(
        cal(event("t@x", "DTEND;TZID=Asia/Tokyo:20260105T100000", start=start))
    )
    assert [o["start"] for o in report["occurrences"]] == ["2026-01-05T00:00:00+00:00"]  # type: ignore[attr-defined]


def test_window_is_respected_for_budgeted_series() -> None:
    window = Window(utc(2026, 3, 1), utc(2026, 3, 1) + timedelta(days=7))
    parsed = parse(cal(event("w@x", "DTEND:20260105T093000Z", "RRULE:FREQ=DAILY")), window)
    assert [o.start.day for o in parsed.occurrences] == [1, 2, 3, 4, 5, 6, 7]


# -- big feeds ----------------------------------------------------------------------------


def test_one_off_events_far_outside_the_window_are_not_parsed() -> None:
    window = Window(utc(2026, 3, 1), utc(2026, 6, 1))
    old = [
        event(f"old{i}@x", "DTEND:20100105T100000Z", start="DTSTART:20100105T090000Z")
        for i in range(3)
    ]
    later = event("later@x", "DTEND:20270105T100000Z", start="DTSTART:20270105T090000Z")
    spanning = event("span@x", "DTEND:20260302T100000Z", start="DTSTART:20250105T090000Z")
    weekly = event(
        "weekly@x", "DTEND:20100105T100000Z", "RRULE:FREQ=WEEKLY", start="DTSTART:20100105T090000Z"
    )
    cancelled = event(
        "gone@x", "DTEND:20100105T100000Z", "STATUS:CANCELLED", start="DTSTART:20100105T090000Z"
    )
    near = event(
        "near@x",
        "DTEND;TZID=Pacific/Kiritimati:20260301T010000",
        start="DTSTART;TZID=Pacific/Kiritimati:20260301T003000",
    )
    parsed = parse(cal(*old, later, spanning, weekly, cancelled, near), window)
    assert {o.uid for o in parsed.occurrences} == {"span@x", "weekly@x"}
    assert "gone@x" in parsed.cancelled_uids  # a cancelled series is still read whole
    assert parsed.components == 8
    assert parsed.notes == ("4 one-off events far outside the window were not read",)


def test_too_many_lines_near_the_window_are_refused_with_the_reason() -> None:
    many = [event(f"e{i}@x", "DTEND:20260105T100000Z") for i in range(12_000)]
    parsed = parse(cal(*many))
    assert not parsed.readable and parsed.skipped[0].reason.startswith("calendar too big to read")


def test_a_long_history_is_read_for_its_window_only() -> None:
    old = [
        event(f"old{i}@x", "DTEND:20100105T100000Z", start="DTSTART:20100105T090000Z")
        for i in range(12_000)
    ]
    parsed = parse(cal(*old, GOOD))
    assert [o.uid for o in parsed.occurrences] == ["good@x"]


def test_inspect_without_a_window_starts_at_the_first_event_not_a_zone_definition() -> None:
    zone = vtimezone("Mine", offset="+0300")
    report = inspect_calendar(cal(zone, zoned("mine@x", "Mine")))
    assert [o["uid"] for o in report["occurrences"]] == ["mine@x"]  # type: ignore[attr-defined]


def test_a_million_dates_in_one_line_are_refused_by_their_count() -> None:
    many = ",".join(f"{1900 + i // 5000}0101T{i % 24:02d}0000Z" for i in range(200_000))
    parsed = parse(cal(event("r@x", "DTEND:20260105T093000Z", f"RDATE:{many}")))
    assert not parsed.readable and "list items" in parsed.skipped[0].reason


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_inspect_of_a_series_at_the_ends_of_time_is_read(year: str) -> None:
    start = f"DTSTART:{year}0101T090000Z"
    report = inspect_calendar(
        cal(event("e@x", f"DTEND:{year}0101T093000Z", "RRULE:FREQ=DAILY", start=start))
    )
    assert "readable" not in report  # read; a series past year 9999 is at worst a skip
    assert report["occurrences"] or (year == "9999" and report["skipped"])


def test_a_cancel_far_outside_the_window_still_names_its_uid() -> None:
    data = cal(event("far@x", "DTEND:20300105T100000Z", start="DTSTART:20300105T090000Z"))
    data = data.replace(b"VERSION:2.0", b"VERSION:2.0\r\nMETHOD:CANCEL")
    assert parse(data).cancelled_uids == {"far@x"}


def test_custom_zones_per_file_are_capped() -> None:
    from coffeechat.models.calendar.vtimezone import MAX_CUSTOM_ZONES

    count = MAX_CUSTOM_ZONES + 1
    zones = [vtimezone(f"Z{i}") for i in range(count)]
    events = [zoned(f"z{i}@x", f"Z{i}") for i in range(count)]
    parsed = parse(cal(*zones, *events))
    assert len(parsed.occurrences) == MAX_CUSTOM_ZONES
    (skip,) = parsed.skipped
    assert "more than 100 custom VTIMEZONEs" in skip.reason


def test_what_the_prefilter_leaves_out_leaves_no_lines_behind() -> None:
    from coffeechat.models.calendar.prefilter import content_lines, prefilter

    old = [
        event(f"old{i}@x", "DTEND:20100105T100000Z", start="DTSTART:20100105T090000Z")
        for i in range(1000)
    ]
    text, dropped = prefilter(cal(*old, GOOD), YEAR)
    assert dropped == 1000 and content_lines(text) <= 12
    assert text.startswith(b"BEGIN:VCALENDAR\r\n") and b"\r\n\r\n" not in text
