"""The core of `coffeechat inspect calendar`: a JSON-ready report of what a file contains."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from icalendar import Calendar

from coffeechat.models.calendar.occurrences import normalise_calendars
from coffeechat.models.calendar.prefilter import TooBig, bounded, earliest_day, prefilter
from coffeechat.models.calendar.prepare import prop, read_calendars
from coffeechat.models.calendar.types import (
    MAX_CALENDAR_BYTES,
    Occurrence,
    ParsedCalendar,
    Skip,
    Window,
)
from coffeechat.models.calendar.zones import known_zone

# Without --to, show a year: enough to see a series' pattern, bounded for endless RRULEs.
DEFAULT_SPAN = timedelta(days=366)
_FALLBACK_START = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST = datetime(1, 1, 2, tzinfo=UTC)


def _earliest_start(calendars: list[Calendar]) -> datetime:
    """Return the earliest DTSTART in the files (as UTC), so a bare inspect shows something."""
    found: list[datetime] = []
    for calendar in calendars:
        for event in calendar.walk("VEVENT"):
            try:
                value = prop(event, "DTSTART").dt
            except Exception:  # noqa: S112 - broken ones are reported by normalisation
                continue
            if isinstance(value, datetime):
                found.append(value if value.tzinfo else value.replace(tzinfo=UTC))
            elif isinstance(value, date):
                found.append(datetime.combine(value, time(), tzinfo=UTC))
    earliest = min(found, default=_FALLBACK_START)
    # A day early: a time with a TZID is still naive here and read as UTC, up to 14 h off.
    return earliest - timedelta(days=1) if earliest.year > 1 else earliest


def _window(calendars: list[Calendar], start: datetime | None, end: datetime | None) -> Window:
    """Choose the window: given bounds, else from the file's first meeting for a year."""
    if start is None:
        start = _plus(end, -DEFAULT_SPAN) if end is not None else _earliest_start(calendars)
    if end is None:
        end = _plus(start, DEFAULT_SPAN)
    return Window(_aware(start), _aware(end))


def _window_of(start: datetime | None, end: datetime | None) -> Window:
    """Complete a half-given window the way _window does."""
    if start is None:
        start = _plus(end, -DEFAULT_SPAN) if end is not None else _FALLBACK_START
    return Window(_aware(start), _aware(end if end is not None else _plus(start, DEFAULT_SPAN)))


def _plus(value: datetime, span: timedelta) -> datetime:
    """Return value + span, clamped to the first or last representable day."""
    try:
        return value + span
    except OverflowError:
        edge = datetime.min if span < timedelta(0) else datetime.max
        return edge.replace(tzinfo=value.tzinfo)


def _aware(value: datetime) -> datetime:
    """Read a naive bound as UTC: the command line documents its dates as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _occurrence_json(o: Occurrence) -> dict[str, object]:
    """Return the documented JSON fields of one occurrence."""
    return {
        "uid": o.uid,
        "recurrence_id": o.recurrence_id,
        # An all-day occurrence is shown as its dates (end exclusive, as in iCalendar).
        "start": o.start_date.isoformat() if o.start_date else o.start.isoformat(),
        "end": o.end_date.isoformat() if o.end_date else o.end.isoformat(),
        "timezone": o.timezone,
        "all_day": o.all_day,
        "status": o.status,
        "summary": o.summary,
        "video_link": o.video_link,
    }


def report(parsed: ParsedCalendar) -> dict[str, object]:
    """Return the inspect JSON object for a parsed calendar; notes are listed as skips."""
    skipped = [*parsed.skipped, *(Skip(None, f"note: {n}") for n in parsed.notes)]
    return {
        "components": parsed.components,
        "occurrences": [_occurrence_json(o) for o in parsed.occurrences],
        "skipped": [{"uid": s.uid, "reason": s.reason} for s in skipped],
    }


def _failure(reason: str) -> dict[str, object]:
    """Return the report for a file that could not be read at all (`readable` is False)."""
    return {
        "components": 0,
        "occurrences": [],
        "skipped": [{"uid": None, "reason": reason}],
        "readable": False,
    }


def oversized_report(size: int) -> dict[str, object]:
    """Return the report for a calendar refused, unread, for its size."""
    return _failure(f"calendar of {size} bytes, over the {MAX_CALENDAR_BYTES} bytes limit")


def inspect_calendar(
    data: bytes,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    default_tz: str = "UTC",
) -> dict[str, object]:
    """Report the VEVENT count, occurrences and skips of iCalendar data; never raises."""
    if len(data) > MAX_CALENDAR_BYTES:
        return oversized_report(len(data))
    try:
        first = earliest_day(data) if start is None and end is None else None
        if first is not None:  # the window a bare inspect will choose (see _earliest_start)
            # A day early (a TZID can move a time 14 h), and never on the first representable
            # day: the expander looks one event's length before the window's start.
            start = max(
                _plus(datetime.combine(first, time(), tzinfo=UTC), -timedelta(days=1)), _FIRST
            )
        if start is not None or end is not None:
            data, _ = prefilter(data, _window_of(start, end))
        else:
            data = bounded(data)
        read = read_calendars(data)
    except TooBig as err:
        return _failure(f"calendar too big to read: {err}")
    except Exception as err:
        return _failure(f"unreadable calendar: {type(err).__name__}: {err}"[:300])
    try:
        window = _window(read.calendars, start, end)
        default = known_zone(default_tz)
        skipped = [] if default else [Skip(None, f"unknown user zone {default_tz!r}")]
        return report(normalise_calendars(read, window, default, skipped))
    except Exception as err:  # last line of defence: the command must never show a traceback
        return _failure(f"inspection failed: {type(err).__name__}: {err}"[:300])
