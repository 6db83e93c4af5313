"""Hostile iCalendar shapes: each is (name, .ics bytes), generated here rather than stored.

`shapes()` is the interface the hostile benchmark runs through `coffeechat inspect calendar`
under a resource limit, and tests/hostile/test_calendar_shapes.py through the parser. A shape
is a file a stranger could send (an emailed invitation) or a feed could serve; the budget
holds for every one of them: at most 5 s of CPU and 500 MB per calendar.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

_HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n"
_TAIL = "END:VCALENDAR\r\n"
_STAMP = "DTSTAMP:20260101T000000Z"


def _cal(*blocks: str, method: str | None = None) -> bytes:
    """Wrap blocks (each CRLF-terminated text) into one VCALENDAR."""
    head = _HEAD + (f"METHOD:{method}\r\n" if method else "")
    return (head + "".join(blocks) + _TAIL).encode()


def _event(uid: str, *lines: str, start: str = "DTSTART:20260105T090000Z") -> str:
    """One VEVENT with a UID, DTSTAMP, start and the given extra lines."""
    body = [f"UID:{uid}", _STAMP, start, *lines, "SUMMARY:coffee"]
    return "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in body) + "END:VEVENT\r\n"


def _ok(uid: str = "good@x") -> str:
    """An ordinary one-hour meeting that must survive whatever else the file holds."""
    return _event(uid, "DTEND:20260105T100000Z")


def _vtimezone(tzid: str, *observances: str, extra: tuple[str, ...] = ()) -> str:
    """A VTIMEZONE with the given TZID line(s) and observance blocks."""
    lines = "".join(f"{line}\r\n" for line in extra)
    return f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n{lines}" + "".join(observances) + "END:VTIMEZONE\r\n"


def _observance(kind: str, start: str, frm: str, to: str, *lines: str) -> str:
    """A STANDARD or DAYLIGHT block."""
    body = [f"DTSTART:{start}", f"TZOFFSETFROM:{frm}", f"TZOFFSETTO:{to}", *lines]
    return f"BEGIN:{kind}\r\n" + "".join(f"{line}\r\n" for line in body) + f"END:{kind}\r\n"


def _rules() -> Iterator[tuple[str, bytes]]:
    """Recurrence rules whose naive expansion costs unbounded time or memory."""
    end = "DTEND:20260105T093000Z"
    yield "rrule_secondly_unbounded", _cal(_event("s@x", end, "RRULE:FREQ=SECONDLY"), _ok())
    yield (
        "rrule_secondly_count_1e9",
        _cal(_event("s@x", end, "RRULE:FREQ=SECONDLY;COUNT=1000000000"), _ok()),
    )
    yield "rrule_minutely_unbounded", _cal(_event("m@x", end, "RRULE:FREQ=MINUTELY"), _ok())
    yield "rrule_hourly_unbounded", _cal(_event("h@x", end, "RRULE:FREQ=HOURLY"), _ok())
    every = ",".join(str(i) for i in range(60))
    hours = ",".join(str(i) for i in range(24))
    yield (
        "rrule_daily_huge_by_sets",
        _cal(
            _event(
                "b@x", end, f"RRULE:FREQ=DAILY;BYHOUR={hours};BYMINUTE={every};BYSECOND={every}"
            ),
            _ok(),
        ),
    )
    days = ",".join(str(i) for i in range(1, 32))
    yield (
        "rrule_yearly_huge_by_sets",
        _cal(
            _event(
                "y@x",
                end,
                f"RRULE:FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYMONTHDAY={days};"
                f"BYHOUR={hours};BYMINUTE={every}",
            ),
            _ok(),
        ),
    )
    yield (
        "rrule_daily_never_matches",
        _cal(_event("n@x", end, "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"), _ok()),
    )
    yield (
        "rrule_daily_interval_never_matches",
        _cal(
            _event(
                "i@x",
                "DTEND:20260106T093000Z",
                "RRULE:FREQ=DAILY;INTERVAL=7;BYDAY=MO",
                start="DTSTART:20260106T090000Z",
            ),
            _ok(),
        ),
    )
    yield (
        "rrule_daily_from_year_1",
        _cal(
            _event(
                "d@x",
                "DTEND:00010101T093000Z",
                "RRULE:FREQ=DAILY",
                start="DTSTART:00010101T090000Z",
            ),
            _ok(),
        ),
    )
    yield (
        "rrule_daily_count_1e9",
        _cal(_event("c@x", end, "RRULE:FREQ=DAILY;COUNT=1000000000"), _ok()),
    )
    yield (
        "rrule_bysetpos_flood",
        _cal(
            _event(
                "p@x",
                end,
                "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS="
                + ",".join(str(i) for i in range(-366, 367) if i),
            ),
            _ok(),
        ),
    )
    yield (
        "rrule_thousand_rrules",
        _cal(
            _event("r@x", end, *(f"RRULE:FREQ=DAILY;BYHOUR={i % 24}" for i in range(1000))), _ok()
        ),
    )
    yield "rrule_interval_zero", _cal(_event("z@x", end, "RRULE:FREQ=DAILY;INTERVAL=0"), _ok())
    yield "rrule_garbage", _cal(_event("g@x", end, "RRULE:FREQ=SOMETIMES;BYDAY=XX"), _ok())


def _lists() -> Iterator[tuple[str, bytes]]:
    """Huge lists of dates, components and overrides."""
    end = "DTEND:20260105T093000Z"
    rdates = ",".join(
        f"2026{m:02d}{d:02d}T{h:02d}0000Z"
        for m in range(1, 13)
        for d in range(1, 29)
        for h in range(24)
    )
    yield "rdate_list_8k_in_window", _cal(_event("rd@x", end, f"RDATE:{rdates}"), _ok())
    many = ",".join(f"{1900 + i // 365:04d}0101T{i % 24:02d}0000Z" for i in range(100_000))
    yield "rdate_list_100k", _cal(_event("rd@x", end, f"RDATE:{many}"), _ok())
    yield (
        "exdate_flood_100k",
        _cal(_event("ex@x", end, "RRULE:FREQ=DAILY", f"EXDATE:{many}"), _ok()),
    )
    yield "vevents_100k", _cal(*(_event(f"e{i}@x", end) for i in range(100_000)))
    overrides = [_event("o@x", end, "RRULE:FREQ=DAILY")]
    overrides += [
        _event(
            "o@x",
            f"RECURRENCE-ID:{2026 + i // 365 % 3}{1 + i % 12:02d}{1 + i % 28:02d}T090000Z",
            "DTEND:20260105T100000Z",
            f"SEQUENCE:{i}",
        )
        for i in range(100_000)
    ]
    few = [_event("o@x", end, "RRULE:FREQ=DAILY", "SEQUENCE:5")]
    few += [
        _event(
            "o@x",
            f"RECURRENCE-ID:{2026 + i // 336}{1 + i // 28 % 12:02d}{1 + i % 28:02d}T090000Z",
            "RRULE:FREQ=DAILY;COUNT=2",
            f"SEQUENCE:{i % 5}",
            start=f"DTSTART:{2026 + i // 336}{1 + i // 28 % 12:02d}{1 + i % 28:02d}T100000Z",
        )
        for i in range(6_500)
    ]
    yield "overrides_6k_one_uid_with_rules", _cal(*few, _ok())
    yield "overrides_100k_one_uid", _cal(*overrides, _ok())
    nest = "".join(f"BEGIN:X-N{i}\r\n" for i in range(10_000))
    unnest = "".join(f"END:X-N{i}\r\n" for i in reversed(range(10_000)))
    yield "deep_nesting_10k", _cal(nest + _ok("nested@x") + unnest, _ok())
    attendees = [f"ATTENDEE:mailto:a{i}@x" for i in range(100_000)]
    yield "attendees_100k", _cal(_event("a@x", end, *attendees), _ok())
    yield (
        "many_vtimezones_10k",
        _cal(
            *(
                _vtimezone(f"Z{i}", _observance("STANDARD", "19700101T000000", "+0100", "+0100"))
                for i in range(10_000)
            ),
            *(
                _event(
                    f"z{i}@x",
                    f"DTEND;TZID=Z{i}:20260105T100000",
                    start=f"DTSTART;TZID=Z{i}:20260105T090000",
                )
                for i in range(10_000)
            ),
        ),
    )


def _zones() -> Iterator[tuple[str, bytes]]:
    """VTIMEZONEs that are huge, contradictory or garbage, next to events that do not use them."""
    bad_event = _event(
        "bad@x", "DTEND;TZID=Bad:20260105T100000", start="DTSTART;TZID=Bad:20260105T090000"
    )
    transitions = ",".join(
        f"{1800 + i // 400:04d}{1 + i % 12:02d}01T020000" for i in range(100_000)
    )
    yield (
        "vtimezone_100k_transitions",
        _cal(
            _vtimezone(
                "Bad",
                _observance(
                    "STANDARD", "18000101T020000", "+0100", "+0200", f"RDATE:{transitions}"
                ),
            ),
            bad_event,
            _ok(),
        ),
    )
    yield (
        "vtimezone_rrule_secondly",
        _cal(
            _vtimezone(
                "Bad",
                _observance("DAYLIGHT", "19700101T000000", "+0100", "+0200", "RRULE:FREQ=SECONDLY"),
            ),
            bad_event,
            _ok(),
        ),
    )
    yield (
        "vtimezone_10k_observances",
        _cal(
            _vtimezone(
                "Bad",
                *(
                    _observance("STANDARD", f"{1800 + i // 100:04d}0101T000000", "+0100", "+0200")
                    for i in range(10_000)
                ),
            ),
            bad_event,
            _ok(),
        ),
    )
    yield (
        "vtimezone_duplicate_tzid",
        _cal(
            _vtimezone(
                "Bad",
                _observance("STANDARD", "19700101T000000", "+0100", "+0100"),
                extra=("TZID:Other",),
            ),
            bad_event,
            _ok(),
        ),
    )
    yield (
        "vtimezone_offset_over_24h",
        _cal(
            _vtimezone("Bad", _observance("STANDARD", "19700101T000000", "+2500", "+9959")),
            bad_event,
            _ok(),
        ),
    )
    yield (
        "vtimezone_garbage",
        _cal(
            "BEGIN:VTIMEZONE\r\nTZID:Bad\r\nBEGIN:STANDARD\r\nDTSTART:garbage\r\n"
            "TZOFFSETFROM:x\r\nTZOFFSETTO:y\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
            bad_event,
            _ok(),
        ),
    )
    yield (
        "vtimezone_no_observance",
        _cal("BEGIN:VTIMEZONE\r\nTZID:Bad\r\nEND:VTIMEZONE\r\n", bad_event, _ok()),
    )
    fixed = [
        _event(
            f"f{i}@x",
            f"DTEND;TZID={tz}:20260105T100000",
            start=f"DTSTART;TZID={tz}:20260105T090000",
        )
        for i, tz in enumerate(
            (
                "UTC+01",
                '"GMT+01:00"',
                "GMT+01:00",
                "UTC-5",
                '"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"',
            )
        )
    ]
    yield "fixed_offset_tzids", _cal(*fixed)


def _odd() -> Iterator[tuple[str, bytes]]:
    """Malformed files and properties."""
    yield (
        "dtend_before_dtstart_override",
        _cal(
            _event("o@x", "DTEND:20260105T100000Z", "RRULE:FREQ=WEEKLY;COUNT=4"),
            _event(
                "o@x",
                "RECURRENCE-ID:20260112T090000Z",
                "DTEND:20260112T080000Z",
                start="DTSTART:20260112T090000Z",
            ),
        ),
    )
    yield "dtend_before_dtstart_single", _cal(_event("d@x", "DTEND:20260105T080000Z"))
    yield (
        "all_day",
        _cal(_event("ad@x", "DTEND;VALUE=DATE:20260106", start="DTSTART;VALUE=DATE:20260105")),
    )
    yield (
        "missing_dtstart",
        _cal("BEGIN:VEVENT\r\nUID:nostart@x\r\nDTSTAMP:20260101T000000Z\r\nEND:VEVENT\r\n", _ok()),
    )
    yield (
        "huge_line_10mb",
        _cal(_event("l@x", "DTEND:20260105T100000Z", "DESCRIPTION:" + "x" * 10_000_000)),
    )
    folded = "DESCRIPTION:" + "".join("\r\n y" for _ in range(1_000_000))
    yield "folded_line_1m", _cal(_event("f@x", "DTEND:20260105T100000Z", folded))
    bad = _cal(_ok()).replace(b"SUMMARY:coffee", b"SUMMARY:caf\xc3\x28\xff\xfe")
    yield "bad_utf8", bad
    yield "not_a_calendar", b"NOTES:this is not a calendar\r\n"
    yield "empty", b""
    yield "binary_garbage", bytes(range(256)) * 1000
    yield "unterminated", _cal(_ok())[:-15]
    yield (
        "properties_100k_unknown",
        _cal(_event("u@x", "DTEND:20260105T100000Z", *(f"X-P{i}:v" for i in range(100_000)))),
    )


def _big() -> Iterator[tuple[str, bytes]]:
    """Feeds near the size cap: years of history (mostly left unparsed), or all in the window."""
    yield "history_feed_16mb", history_feed(16_000_000)  # just under the size cap
    yield "window_feed_3mb", big_feed(3_000_000)
    yield "window_feed_under_line_cap", big_feed(1_100_000)  # the costliest accepted shape
    many = ",".join(
        f"{1900 + i // 3000}{1 + i % 12:02d}{1 + i % 28:02d}T000000Z" for i in range(940_000)
    )
    yield "rdate_list_940k_13mb", _cal(_event("rd@x", "DTEND:20260105T093000Z", f"RDATE:{many}"))
    yield "tiny_events_200k", _cal(*("BEGIN:VEVENT\r\nEND:VEVENT\r\n" for _ in range(200_000)))


def shapes() -> Iterator[tuple[str, bytes]]:
    """Yield every hostile shape as (name, iCalendar bytes)."""
    yield from _rules()
    yield from _lists()
    yield from _zones()
    yield from _odd()
    yield from _big()


def history_feed(size: int) -> bytes:
    """Return a feed of about `size` bytes: twenty years of one-off meetings, then one in 2026.

    The meetings are spread evenly, so any one year's window holds a twentieth of them.
    """
    count = size // 215  # the length of one block below
    parts = [_HEAD, _ok()]
    for i in range(count):
        day = date(2006, 1, 1) + timedelta(days=i * 7300 // count)
        block = _event(
            f"old{i}@x",
            f"DTEND;TZID=Europe/Berlin:{day:%Y%m%d}T100000",
            "DESCRIPTION:an old meeting, long since held",
            start=f"DTSTART;TZID=Europe/Berlin:{day:%Y%m%d}T090000",
        )
        parts.append(block)
    parts.append(_TAIL)
    return "".join(parts).encode()


def big_feed(size: int) -> bytes:
    """Return an ordinary-looking feed of about `size` bytes (one-off meetings, some weekly)."""
    parts = [_HEAD]
    total, i = len(_HEAD), 0
    while total < size - 200:
        rule = ("RRULE:FREQ=WEEKLY;COUNT=10",) if i % 10 == 0 else ()
        day = 1 + i % 28
        block = _event(
            f"big{i}@x",
            f"DTEND:202603{day:02d}T100000Z",
            *rule,
            start=f"DTSTART:202603{day:02d}T090000Z",
        )
        parts.append(block)
        total += len(block)
        i += 1
    parts.append(_TAIL)
    return "".join(parts).encode()
