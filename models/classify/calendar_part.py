"""Reading the iTIP METHOD of a calendar part, from its iCalendar body rather than its headers."""

from __future__ import annotations

import re

from coffeechat.models.classify.model import Kind

_FOLD = re.compile(r"\r?\n[ \t]")
_METHOD = re.compile(r"^METHOD(?:;[^:\r\n]*)?:[ \t]*([A-Za-z\-]+)[ \t]*\r?$", re.I | re.M)
_STATUS = re.compile(r"^STATUS(?:;[^:\r\n]*)?:[ \t]*([A-Za-z\-]+)", re.I | re.M)
_ORGANIZER = re.compile(
    r'^ORGANIZER(?:;(?:"[^"\r\n]*"|[^:;"\r\n])*)*:[ \t]*(?:mailto:)?([^\s"]{1,320})', re.I | re.M
)
_VEVENT = re.compile(r"^BEGIN:VEVENT\b", re.I | re.M)

# RFC 5546 methods grouped by what the lifecycle does with them.
METHOD_KINDS: dict[str, Kind] = {
    "REQUEST": Kind.INVITATION,
    "PUBLISH": Kind.INVITATION,
    "ADD": Kind.INVITATION,
    "DECLINECOUNTER": Kind.INVITATION,
    "CANCEL": Kind.CANCELLATION,
    "REPLY": Kind.ATTENDEE_RESPONSE,
    "COUNTER": Kind.ATTENDEE_RESPONSE,
    "REFRESH": Kind.ATTENDEE_RESPONSE,
}


def unfold(ics: str) -> str:
    """iCalendar text with folded continuation lines joined (RFC 5545 section 3.1)."""
    return _FOLD.sub("", ics)


def calendar_method(ics: str, param: str = "") -> str | None:
    """METHOD from the iCalendar body; the Content-Type parameter only when the body has none."""
    found = _METHOD.search(unfold(ics[:1_000_000]))
    if found:
        return found.group(1).upper()
    return param.upper() or None


def all_events_cancelled(ics: str) -> bool:
    """True when every VEVENT says STATUS:CANCELLED (some clients cancel with METHOD:REQUEST)."""
    text = unfold(ics[:1_000_000])
    events = len(_VEVENT.findall(text))
    if events == 0:
        return False
    cancelled = sum(1 for s in _STATUS.findall(text) if s.upper() == "CANCELLED")
    return cancelled >= events


def calendar_kind(ics: str, param: str = "") -> tuple[Kind | None, str | None]:
    """The Kind a calendar part implies and the METHOD read; (None, method) when unknown."""
    method = calendar_method(ics, param)
    if method is None:
        return None, None
    kind = METHOD_KINDS.get(method)
    if kind is Kind.INVITATION and all_events_cancelled(ics):
        return Kind.CANCELLATION, method
    return kind, method


def calendar_organizer(ics: str) -> str | None:
    """The first ORGANIZER address (lower-cased, without mailto:), for display; None if absent."""
    found = _ORGANIZER.search(unfold(ics[:1_000_000]))
    return found.group(1).lower() if found else None
