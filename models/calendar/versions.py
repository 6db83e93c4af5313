"""Which version of a meeting wins, what changed, and what vanished from a feed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from models.calendar.types import Occurrence, ParsedCalendar

_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
# Compared by `changes`; a difference in any of the first four is an update even at the same
# SEQUENCE (Google moves a meeting's location without bumping it).
COMPARED = (
    "start",
    "end",
    "location",
    "status",
    "summary",
    "description",
    "video_link",
    "organizer",
    "attendees",
    "all_day",
)
MATERIAL = frozenset(("start", "end", "location", "status"))
RESCHEDULE = frozenset(("start", "end"))

Key = tuple[str, str | None]


def version_key(occurrence: Occurrence) -> tuple[int, datetime, datetime]:
    """Order versions by (SEQUENCE, DTSTAMP, LAST-MODIFIED); missing stamps sort first."""
    return (
        occurrence.sequence,
        occurrence.dtstamp or _EPOCH,
        occurrence.last_modified or _EPOCH,
    )


def is_newer(a: Occurrence, b: Occurrence) -> bool:
    """Whether a is a strictly newer version than b of the same occurrence."""
    return version_key(a) > version_key(b)


def changes(old: Occurrence, new: Occurrence) -> frozenset[str]:
    """Return the names of the compared fields that differ between two versions."""
    return frozenset(name for name in COMPARED if getattr(old, name) != getattr(new, name))


@dataclass(frozen=True)
class Update:
    """A known occurrence replaced by a newer or differing version."""

    old: Occurrence
    new: Occurrence
    fields: frozenset[str]


@dataclass(frozen=True)
class Merge:
    """The result of comparing what we knew with what a source says now."""

    added: tuple[Occurrence, ...] = ()
    updated: tuple[Update, ...] = ()
    stale: tuple[Occurrence, ...] = ()
    unchanged: tuple[Occurrence, ...] = ()


def merge(known: Iterable[Occurrence], incoming: Iterable[Occurrence]) -> Merge:
    """Compare incoming occurrences with known ones, keyed by (UID, RECURRENCE-ID)."""
    by_key: dict[Key, Occurrence] = {o.key: o for o in known}
    added: list[Occurrence] = []
    updated: list[Update] = []
    stale: list[Occurrence] = []
    unchanged: list[Occurrence] = []
    for new in incoming:
        old = by_key.get(new.key)
        if old is None:
            added.append(new)
        elif is_newer(old, new):
            stale.append(new)  # an older copy arriving late (a re-sent invitation) changes nothing
        elif fields := changes(old, new):
            updated.append(Update(old, new, fields))
        else:
            unchanged.append(new)
    return Merge(tuple(added), tuple(updated), tuple(stale), tuple(unchanged))


def disappeared(
    known: Iterable[Occurrence], current: ParsedCalendar, now: datetime
) -> tuple[Occurrence, ...]:
    """Return known future meetings the feed no longer lists, marked CANCELLED.

    Only occurrences that start after `now` and inside the feed's window count, and nothing
    disappears from a feed that could not be read, or whose UID was skipped as broken: a
    failed fetch or a bad component must never cancel a meeting.
    """
    if not current.readable:
        return ()
    window = current.window
    seen = {o.key for o in current.occurrences}
    broken = {s.uid for s in current.skipped}
    if None in broken and not current.occurrences:
        return ()  # a calendar-level failure with nothing read: treat the feed as unreadable
    gone = [
        o
        for o in known
        if o.status != "CANCELLED"
        and now < o.start
        and window.start <= o.start < window.end
        and o.key not in seen
        and o.uid not in broken
    ]
    return tuple(replace(o, status="CANCELLED") for o in gone)
