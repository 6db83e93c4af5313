"""Apply an emailed invitation (iTIP METHOD REQUEST / CANCEL, RFC 5546) to known meetings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from coffeechat.models.calendar.types import Occurrence, ParsedCalendar
from coffeechat.models.calendar.versions import Merge, Update, is_newer, merge


class ItipKind(Enum):
    """What an iTIP message means for our records."""

    REQUEST = "request"  # a new invitation or an update of one
    CANCEL = "cancel"  # the organiser cancelled the series or some instances
    ANSWER = "answer"  # REPLY / COUNTER / REFRESH / DECLINECOUNTER: someone's answer, no change
    PUBLISH = "publish"  # a plain published calendar, read like a feed
    UNKNOWN = "unknown"


_KINDS = {
    "REQUEST": ItipKind.REQUEST,
    "ADD": ItipKind.REQUEST,
    "CANCEL": ItipKind.CANCEL,
    "REPLY": ItipKind.ANSWER,
    "COUNTER": ItipKind.ANSWER,
    "REFRESH": ItipKind.ANSWER,
    "DECLINECOUNTER": ItipKind.ANSWER,
    "PUBLISH": ItipKind.PUBLISH,
}


def itip_kind(method: str | None) -> ItipKind:
    """Classify a METHOD value (read from the iCalendar body, not the MIME header)."""
    if method is None:
        return ItipKind.PUBLISH  # no METHOD: a calendar file, not a scheduling message
    return _KINDS.get(method.strip().upper(), ItipKind.UNKNOWN)


@dataclass(frozen=True)
class ItipOutcome:
    """What an invitation does to the meetings we know."""

    kind: ItipKind
    merge: Merge
    cancelled: tuple[Occurrence, ...]


def _cancellations(known: Iterable[Occurrence], parsed: ParsedCalendar) -> tuple[Update, ...]:
    """Known occurrences a CANCEL covers: whole series by UID, or single instances by key."""
    instances = {o.key: o for o in parsed.occurrences}
    result: list[Update] = []
    for old in known:
        if old.status == "CANCELLED":
            continue
        notice = instances.get(old.key)
        if notice is not None and is_newer(old, notice):
            continue  # a CANCEL older than the version we hold was superseded by a later REQUEST
        if notice is not None or old.uid in parsed.cancelled_uids:
            new = replace(old, status="CANCELLED")
            result.append(Update(old, new, frozenset({"status"})))
    return tuple(result)


def apply_itip(
    known: Iterable[Occurrence], parsed: ParsedCalendar, *, now: datetime | None = None
) -> ItipOutcome:
    """Work out what an iTIP message changes; answers from attendees change nothing.

    With `now`, a REQUEST that moves a whole series reschedules its instances (see
    versions.merge); it never cancels what it does not list.
    """
    known = tuple(known)
    kind = itip_kind(parsed.method)
    if kind in (ItipKind.ANSWER, ItipKind.UNKNOWN):
        return ItipOutcome(kind, Merge(), ())
    if kind is ItipKind.CANCEL:
        updates = _cancellations(known, parsed)
        held = {o.key for o in known}
        # Instances we never heard of are still recorded, as cancelled, so a later stray
        # REQUEST with an older SEQUENCE cannot resurrect them.
        fresh = tuple(o for o in parsed.occurrences if o.key not in held)
        return ItipOutcome(kind, Merge(added=fresh, updated=updates), tuple(u.new for u in updates))
    result = merge(known, parsed.occurrences, now=now)
    cancelled = tuple(u.new for u in result.updated if u.new.status == "CANCELLED")
    return ItipOutcome(kind, result, cancelled)
