"""Which version of a meeting wins, what changed, what moved, and what vanished from a feed.

A recurring series whose start moves (the master's DTSTART, and so every RECURRENCE-ID, shifted
by the same amount) arrives as instances with keys we have never seen, while the keys we hold
vanish. Read by key alone that is N cancellations and N new meetings; for the contact it is N
meetings that moved. `pair_moves` pairs them back up: within one UID, the instances left over
on both sides are matched by one common shift of their RECURRENCE-IDs (the n-th instance of the
old version with the n-th of the new), a shift shorter than the series' own spacing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from coffeechat.models.calendar.types import Occurrence, ParsedCalendar

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


def merge(
    known: Iterable[Occurrence], incoming: Iterable[Occurrence], *, now: datetime | None = None
) -> Merge:
    """Compare incoming occurrences with known ones, keyed by (UID, RECURRENCE-ID).

    With `now`, the instances of a moved series are paired with their old versions (see
    `pair_moves`): each becomes an update of the meeting it was, re-keyed, rather than a new
    meeting (and, in a feed, a cancellation). An instance that had already ended keeps its
    times: history does not move. Pairing needs new keys less than the series' spacing from
    old ones, which a message holding a few instances of an unmoved series never has.
    """
    known = tuple(known)
    incoming = tuple(incoming)
    by_key: dict[Key, Occurrence] = {o.key: o for o in known}
    moved = dict(pair_moves(known, incoming)) if now is not None else {}
    added: list[Occurrence] = []
    updated: list[Update] = []
    stale: list[Occurrence] = []
    unchanged: list[Occurrence] = []
    for new in incoming:
        old = by_key.get(new.key)
        if old is None and new.key in moved:
            old = moved[new.key]
            if is_newer(old, new):
                stale.append(new)
            elif now is not None and old.end <= now:
                updated.append(Update(old, _rekeyed(old, new), frozenset()))
            else:
                updated.append(Update(old, new, changes(old, new)))
        elif old is None:
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
    known = tuple(known)
    window = current.window
    seen = {o.key for o in current.occurrences}
    seen |= {old.key for _, old in pair_moves(known, current.occurrences)}  # moved, not gone
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


def _rekeyed(old: Occurrence, new: Occurrence) -> Occurrence:
    # The old instance under its new identity and version, its times and details unchanged.
    return replace(
        old,
        recurrence_id=new.recurrence_id,
        sequence=new.sequence,
        dtstamp=new.dtstamp,
        last_modified=new.last_modified,
    )


def _rid_time(occ: Occurrence) -> datetime:
    """The instance's place in its series: its RECURRENCE-ID as a time (its start if unreadable)."""
    rid = occ.recurrence_id or ""
    try:
        if "T" in rid:
            parsed = datetime.fromisoformat(rid)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return datetime.combine(date.fromisoformat(rid), datetime.min.time(), UTC)
    except ValueError:
        return occ.start


def _spacing(*sides: Sequence[Occurrence]) -> timedelta | None:
    """The shortest gap between two instances of the series on either side, if any."""
    gaps: list[timedelta] = []
    for side in sides:
        times = sorted({_rid_time(o) for o in side})
        gaps += [b - a for a, b in pairwise(times)]
    return min(gaps) if gaps else None


def _overlap(
    old: list[datetime], new: list[datetime], spacing: timedelta | None
) -> tuple[list[datetime], list[datetime]]:
    """Each side cut to the span the other covers, give or take half the spacing.

    The old side holds every instance ever stored (years of history), the new one only what
    the window shows, and the window has moved on since: counted over those unequal spans, the
    shift pairing each old instance with the *next* new one would win by the instances at the
    ends. Over the same span the true shift wins, or ties and is the smaller move.
    """
    if spacing is None or not old or not new:
        return old, new
    margin = spacing / 2
    old_cut = [t for t in old if new[0] - margin <= t <= new[-1] + margin]
    new_cut = [t for t in new if old[0] - margin <= t <= old[-1] + margin]
    return old_cut, new_cut


def _pairs_in_series(
    old: Sequence[Occurrence], new: Sequence[Occurrence], spacing: timedelta | None
) -> list[tuple[Key, Occurrence]]:
    """Pair leftover old and new instances of one series by their most common shift."""
    by_time = {_rid_time(n): n for n in new}
    old_times, new_times = _overlap(sorted(map(_rid_time, old)), sorted(by_time), spacing)
    shifts: Counter[timedelta] = Counter()
    for at in old_times:
        # Sorted times and a bound: a few candidates per instance, whatever the series' size.
        lo = 0 if spacing is None else bisect_right(new_times, at - spacing)
        hi = len(new_times) if spacing is None else bisect_left(new_times, at + spacing)
        for t in new_times[lo:hi]:
            shifts[t - at] += 1
    if not shifts:
        return []
    # The shift most instances share; between equals, the smallest move, then the later one.
    shift = max(shifts, key=lambda d: (shifts[d], -abs(d), d))
    pairs = []
    for o in sorted(old, key=_rid_time):
        partner = by_time.pop(_rid_time(o) + shift, None)
        if partner is not None:
            pairs.append((partner.key, o))
    return pairs


def pair_moves(
    known: Iterable[Occurrence], incoming: Iterable[Occurrence]
) -> list[tuple[Key, Occurrence]]:
    """Pair each moved instance's new key with its old version: (new key, old occurrence).

    Only recurring instances whose key is on one side alone take part, per UID: overrides that
    kept their RECURRENCE-ID match by key as usual, an instance the new version no longer has
    (an EXDATE, a shorter series) stays unpaired and so is cancelled, and a new one unpaired is
    added. Old instances already cancelled take no part. The shift must be shorter than the
    series' spacing: a daily series moved by a day is the same keys, not a move.
    """
    known = tuple(known)
    incoming = tuple(incoming)
    known_keys = {o.key for o in known}
    incoming_keys = {o.key for o in incoming}
    old_left: dict[str, list[Occurrence]] = defaultdict(list)
    new_left: dict[str, list[Occurrence]] = defaultdict(list)
    series: dict[str, list[Occurrence]] = defaultdict(list)
    for o in known:
        if o.recurrence_id is not None:
            series[o.uid].append(o)
            if o.key not in incoming_keys and o.status != "CANCELLED":
                old_left[o.uid].append(o)
    for n in incoming:
        if n.recurrence_id is not None and n.key not in known_keys:
            new_left[n.uid].append(n)
    pairs: list[tuple[Key, Occurrence]] = []
    for uid in sorted(old_left.keys() & new_left.keys()):
        # Each side on its own grid: overrides that kept their key sit on the old one.
        spacing = _spacing(series[uid], new_left[uid])
        pairs += _pairs_in_series(old_left[uid], new_left[uid], spacing)
    return pairs
