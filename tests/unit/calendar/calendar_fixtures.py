"""Shared helpers for calendar tests: fixtures by file name and a fixed window."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from coffeechat.models.calendar import Occurrence, ParsedCalendar, Window, parse_calendar

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "calendar"
# Fixed dates only: these tests never look at the clock.
MARCH_TO_DEC = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def load(name: str) -> bytes:
    """Return the bytes of a fixture file."""
    return (FIXTURES / name).read_bytes()


def parse(name: str, window: Window = MARCH_TO_DEC, tz: str = "Europe/Berlin") -> ParsedCalendar:
    """Parse a fixture in a fixed window, for a user living in Berlin."""
    return parse_calendar(load(name), window, default_tz=tz)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Build an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def by_uid(parsed: ParsedCalendar, uid: str) -> list[Occurrence]:
    """Return the occurrences of one UID, in order."""
    return [o for o in parsed.occurrences if o.uid == uid]
