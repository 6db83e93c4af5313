"""Benchmark: our calendar normalisation against a plain icalendar + recurring_ical_events run.

Run: .venv/bin/python -m bench.bench_calendar [--events 10000] [--series 1000] [--rounds 5]

Both sides parse the same bytes and expand over the same window in the same process; rounds
alternate between them so machine noise hits both alike. The median of the rounds is reported.
Target (issue 4): ours <= 1.5x the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import recurring_ical_events
from icalendar import Calendar

from coffeechat.models.calendar import Window, parse_calendar

ZONES = ("Europe/Berlin", "America/New_York", "W. Europe Standard Time", None)
WINDOW = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 6, 13, tzinfo=UTC))
BASE = datetime(2026, 1, 5, 9, 0)
VTIMEZONE_BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def _when(name: str, moment: datetime, zone: str | None) -> str:
    """Format a DTSTART/DTEND line in the given zone (None = UTC)."""
    stamp = moment.strftime("%Y%m%dT%H%M%S")
    return f"{name}:{stamp}Z" if zone is None else f"{name};TZID={zone}:{stamp}"


def _event(i: int, recurring: bool) -> list[str]:
    """Return the lines of one VEVENT; every tenth has a Zoom link, recurring ones vary rules."""
    zone = ZONES[i % len(ZONES)]
    start = BASE + timedelta(days=(i * 7) % 365, hours=i % 8)
    lines = [
        "BEGIN:VEVENT",
        f"UID:bench-{i}@example.com",
        "DTSTAMP:20260101T000000Z",
        _when("DTSTART", start, zone),
        _when("DTEND", start + timedelta(minutes=30), zone),
        f"SUMMARY:Coffee chat {i}",
        f"LOCATION:Room {i % 40}",
        f"ORGANIZER;CN=Org {i}:mailto:org{i % 50}@example.com",
        f"ATTENDEE;CN=Guest:mailto:guest{i}@example.org",
        f"SEQUENCE:{i % 3}",
    ]
    if i % 10 == 0:
        lines.append(f"DESCRIPTION:Join https://us02web.zoom.us/j/{100000 + i}?pwd=x")
    else:
        lines.append("DESCRIPTION:Let us talk about the role and the team.")
    if recurring:
        lines.append("RRULE:FREQ=WEEKLY" if i % 3 else "RRULE:FREQ=WEEKLY;COUNT=40")
        exdate = start + timedelta(weeks=3)
        lines.append(_when("EXDATE", exdate, zone))
    lines.append("END:VEVENT")
    return lines


def _override(i: int) -> list[str]:
    """Return a RECURRENCE-ID override moving the second instance of series i by an hour."""
    zone = ZONES[i % len(ZONES)]
    original = BASE + timedelta(days=(i * 7) % 365, hours=i % 8) + timedelta(weeks=1)
    return [
        "BEGIN:VEVENT",
        f"UID:bench-{i}@example.com",
        "DTSTAMP:20260101T000000Z",
        _when("RECURRENCE-ID", original, zone),
        _when("DTSTART", original + timedelta(hours=1), zone),
        _when("DTEND", original + timedelta(hours=1, minutes=30), zone),
        f"SUMMARY:Coffee chat {i} (moved)",
        "SEQUENCE:1",
        "END:VEVENT",
    ]


def make_feed(events: int = 10_000, series: int = 1_000) -> bytes:
    """Generate a feed of `events` VEVENTs, the first `series` of them recurring."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//coffeechat//bench//EN", VTIMEZONE_BERLIN]
    for i in range(events):
        lines += _event(i, recurring=i < series)
    for i in range(0, series, 10):
        lines += _override(i)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def baseline(data: bytes) -> int:
    """Plain icalendar parse plus recurring_ical_events expansion over the window."""
    calendar = Calendar.from_ical(data)
    return len(recurring_ical_events.of(calendar).between(WINDOW.start, WINDOW.end))


def ours(data: bytes) -> int:
    """Our normalisation over the same window."""
    return len(parse_calendar(data, WINDOW, default_tz="Europe/Berlin").occurrences)


def _time(fn: Callable[[bytes], int], data: bytes) -> tuple[float, int]:
    """Run fn once and return (seconds, result)."""
    began = time.perf_counter()
    result = fn(data)
    return time.perf_counter() - began, result


def main() -> None:
    """Generate the feed, time both sides alternately and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--series", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = make_feed(args.events, args.series)
    base_times: list[float] = []
    our_times: list[float] = []
    counts: tuple[int, int] = (0, 0)
    for _ in range(args.rounds):
        base_s, base_n = _time(baseline, data)
        our_s, our_n = _time(ours, data)
        base_times.append(base_s)
        our_times.append(our_s)
        counts = (base_n, our_n)
    base_med, our_med = statistics.median(base_times), statistics.median(our_times)
    print(f"feed: {args.events} VEVENTs ({args.series} recurring), {len(data) / 1e6:.1f} MB")
    print(f"window: {WINDOW.start.isoformat()} .. {WINDOW.end.isoformat()}")
    print(f"occurrences: baseline {counts[0]}, ours {counts[1]}")
    print(
        f"baseline (icalendar + recurring_ical_events): median {base_med:.3f} s "
        f"over {args.rounds} rounds (min {min(base_times):.3f})"
    )
    print(f"ours (parse_calendar): median {our_med:.3f} s (min {min(our_times):.3f})")
    print(f"ratio ours/baseline: {our_med / base_med:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
