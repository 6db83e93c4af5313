"""Frozen values produced by calendar normalisation: windows, occurrences, skips."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
# The largest calendar read at all, whatever its source (feed, file, emailed invitation).
# Only its events near the window are parsed (see prefilter), but scanning costs too: at this
# size the scan stays under a second, and every calendar must stay within 5 s and 500 MB.
# See docs/calendar-budget.md.
MAX_CALENDAR_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Window:
    """A bounded span of time, aware and in UTC; recurrences are expanded only inside it."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        """Refuse naive or reversed bounds: an unbounded or ambiguous window is a caller bug."""
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.end < self.start:
            raise ValueError("window end is before its start")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))


def default_window(now: datetime, days_back: int = 14, days_ahead: int = 90) -> Window:
    """Return the window around `now` that calendar sources are read in."""
    return Window(now - timedelta(days=days_back), now + timedelta(days=days_ahead))


@dataclass(frozen=True)
class Occurrence:
    """One meeting instance, keyed by (uid, recurrence_id), with times in UTC.

    An all-day occurrence also carries its dates (`start_date`, and the exclusive
    `end_date`): a date is the same day everywhere, while `start` is only its midnight in the
    zone it was read in, which is the previous evening west of that zone.
    """

    uid: str
    recurrence_id: str | None
    start: datetime
    end: datetime
    timezone: str | None
    all_day: bool
    status: str
    summary: str
    description: str
    location: str
    video_link: str | None
    organizer: str | None
    attendees: tuple[str, ...]
    sequence: int
    dtstamp: datetime | None
    last_modified: datetime | None
    start_date: date | None = None
    end_date: date | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        """Return the identity of this occurrence: (UID, RECURRENCE-ID)."""
        return (self.uid, self.recurrence_id)


@dataclass(frozen=True)
class Skip:
    """Something that could not be read, with the reason; uid is None for file-level problems."""

    uid: str | None
    reason: str


@dataclass(frozen=True)
class ParsedCalendar:
    """Everything one iCalendar file says inside a window, plus what had to be skipped.

    `cancelled_uids` lists series cancelled as a whole (METHOD:CANCEL without RECURRENCE-ID, or
    STATUS:CANCELLED on the master), so callers can cancel instances outside the window too.
    `readable` is False when the file as a whole could not be read: callers must then keep
    what they already know rather than treat every meeting as gone.
    """

    method: str | None
    components: int
    occurrences: tuple[Occurrence, ...]
    skipped: tuple[Skip, ...]
    cancelled_uids: frozenset[str]
    window: Window
    readable: bool = True
    notes: tuple[str, ...] = field(default=())
