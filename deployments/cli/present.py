"""How the command line shows things to a person: local times, relative times, events in words.

Pure formatting: every function takes the moment to compare with (``now``) and the zone to show
times in as parameters, so golden tests fix both. Listings print through :func:`out`, which does
not cut lines to 80 columns when standard output is not a terminal (a pipe, a file): an address
piped to ``grep`` must arrive whole.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console, RenderableType

# Width used when standard output is not a terminal: wide enough that no table cell is cut.
PIPE_WIDTH = 1000

# Arrows and dashes a person reads; the JSON forms keep the bare names.
ARROW = "→"


def out() -> Console:
    """A console on standard output: the terminal's width, or no width limit when piped."""
    tty = sys.stdout.isatty()
    return Console(width=None if tty else PIPE_WIDTH, soft_wrap=not tty)


def print_table(con: Console, renderable: RenderableType) -> None:
    """Print a table: as is on a terminal; piped, without the padding at the ends of lines."""
    if con.is_terminal:
        con.print(renderable)
        return
    with con.capture() as captured:
        con.print(renderable)
    text = "\n".join(line.rstrip() for line in captured.get().splitlines())
    con.file.write(text + "\n")


def _day(when: datetime, now: datetime) -> str:
    year = "" if when.year == now.year else f" {when.year}"
    return f"{when:%a} {when.day} {when:%b}{year}"


def local(when: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``Sat 5 Dec 14:02`` in ``zone`` (the year only when not this year); never microseconds."""
    at = when.astimezone(zone)
    return f"{_day(at, now.astimezone(zone))} {at:%H:%M}"


def day(when: datetime | date, now: datetime, zone: ZoneInfo) -> str:
    """``2 Dec`` (with the year when not this year), the local calendar day of ``when``."""
    if isinstance(when, datetime):
        when = when.astimezone(zone).date()
    year = "" if when.year == now.astimezone(zone).year else f" {when.year}"
    return f"{when.day} {when:%b}{year}"


def relative(when: datetime, now: datetime) -> str:
    """``in 3 h``, ``2 days ago``, ``in 12 min``, ``just now``: how far ``when`` is from now."""
    delta = when - now
    future = delta > timedelta(0)
    span = abs(delta)
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        text = f"{minutes} min"
    elif minutes < 48 * 60:
        text = f"{minutes // 60} h"
    else:
        days = minutes // (24 * 60)
        text = f"{days} days"
    return f"in {text}" if future else f"{text} ago"


def moment(when: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``Sat 5 Dec 14:02 (in 3 h)``: the local time and how far it is."""
    return f"{local(when, now, zone)} ({relative(when, now)})"


def when_text(iso: str | None, now: datetime, zone: ZoneInfo, *, never: str = "never") -> str:
    """An ISO time from a report as :func:`moment`; ``never`` when there is none."""
    return never if not iso else moment(datetime.fromisoformat(iso), now, zone)


_MAIL_KINDS = {
    "outreach": "request",
    "nudge": "nudge",
    "prep_sheet": "prep sheet",
    "thank_you": "thank-you",
    "update": "update",
}


def mail_kind(kind: str) -> str:
    """An outbox kind in words (``thank_you`` -> ``thank-you``)."""
    return _MAIL_KINDS.get(kind, kind.replace("_", " "))


def event_words(
    kind: str, payload: Mapping[str, Any], name: str, now: datetime, zone: ZoneInfo
) -> str:
    """One event of the log in words (``reply from Ada Lovelace``); unknown kinds by name."""
    p = payload

    def at(key: str) -> str:
        value = p.get(key)
        return local(datetime.fromisoformat(value), now, zone) if value else "?"

    words: dict[str, Any] = {
        "ContactAdded": lambda: f"{name} added ({p.get('source', '')})",
        "OutreachSent": lambda: (
            "request sent"
            + (" from your own mail" if p.get("by") not in (None, "coffeechat") else "")
        ),
        "ReplyReceived": lambda: f"reply from {name}",
        "AutoReplyReceived": lambda: (
            f"automatic reply from {name}"
            + (
                f", back {day(date.fromisoformat(p['return_date']), now, zone)}"
                if p.get("return_date")
                else ""
            )
        ),
        "BounceReceived": lambda: (
            "mail to " + (", ".join(p.get("addresses") or ()) or name) + " bounced"
        ),
        "ContactOptedOut": lambda: f"{name} asked not to be contacted ({p.get('reason', '')})",
        "MeetingScheduled": lambda: f"meeting booked for {at('start')}",
        "MeetingRescheduled": lambda: f"meeting moved to {at('start')}",
        "MeetingCancelled": lambda: f"meeting cancelled ({p.get('how', '')})",
        "MeetingEnded": lambda: "meeting took place",
        "PrepSheetDelivered": lambda: (
            ("updated " if p.get("is_update") else "") + "prep sheet sent to you"
        ),
        "EmailSent": lambda: f"{mail_kind(str(p.get('kind', '')))} sent to {p.get('to', name)}",
        "ReferralSuggested": lambda: (
            "suggested talking to "
            + (
                f"{p['name']} <{p['address']}>"
                if p.get("name") and p.get("address")
                else str(p.get("name") or p.get("address"))
            )
        ),
        "NoteAdded": lambda: f"note: {p.get('text', '')}",
        "AssistantCalled": lambda: f"assistant called {p.get('tool', '')} ({p.get('outcome', '')})",
        "MessageSuspected": lambda: (
            f"suspicious mail from {p.get('sender', '?')}: {p.get('reason', '')}"
        ),
        "DebriefRequested": lambda: (
            "asked you how it went" + (" (reminder)" if p.get("reminder") else "")
        ),
        "DebriefReceived": lambda: (
            "your debrief stored" + (", replacing an earlier one" if p.get("replaced") else "")
        ),
        "DebriefRefused": lambda: (
            f"mail from {p.get('sender', '?')} about a debrief refused: {p.get('reason', '')}"
        ),
        "PromiseMade": lambda: f"you promised: {p.get('text', '')}",
        # `coffeechat done`: a promise kept, or the contact's advice acted on, with the note.
        "PromiseKept": lambda: (
            (
                "you kept your promise: "
                if p.get("kind", "promise") == "promise"
                else "you acted on their advice: "
            )
            + str(p.get("text", ""))
            + (f" ({p['note']})" if p.get("note") else "")
        ),
        "PromiseRevised": lambda: (
            f"you took back the done of {p.get('ref', '')}"
            if p.get("change") == "undone"
            else f"you changed the note of {p.get('ref', '')}: {p.get('note', '')}"
        ),
    }
    said = words.get(kind)
    return str(said()) if said else kind


def transition(payload: Mapping[str, Any]) -> str:
    """``requested → replied`` from a StateChanged payload."""
    return f"{payload.get('old', '?')} {ARROW} {payload.get('new', '?')}"


# The event that moves an interview into each state: a state change is told with its cause.
_CAUSE = {
    "requested": ("OutreachSent",),
    "replied": ("ReplyReceived", "MeetingCancelled"),
    "undeliverable": ("BounceReceived",),
    "scheduled": ("MeetingScheduled", "MeetingRescheduled"),
    "prepped": ("PrepSheetDelivered",),
    "held": ("MeetingEnded",),
    "thanked": ("EmailSent",),
    "updated": ("EmailSent",),
    "closed": ("ContactOptedOut",),
}

Event = tuple[str, Mapping[str, Any]]


def grouped_words(
    events: Iterable[Event], name: str, now: datetime, zone: ZoneInfo
) -> list[tuple[str, list[Event]]]:
    """Events logged at one moment as lines in words, each state change with its cause.

    ``requested → replied: reply from Ada Lovelace``; an event without a state change is a line
    of its own; a state change whose cause is not among them is ``replied → scheduled``.
    """
    items = list(events)
    delivered = any(kind == "PrepSheetDelivered" for kind, _ in items)
    others = [
        (kind, p)
        for kind, p in items
        if kind != "StateChanged" and not (delivered and _prep_mail(kind, p))
    ]
    attached: dict[int, list[str]] = {}
    alone: list[tuple[str, list[Event]]] = []
    for kind, payload in items:
        if kind != "StateChanged":
            continue
        causes = _CAUSE.get(str(payload.get("new")), ())
        match = next((i for i, (k, _) in enumerate(others) if k in causes), None)
        if match is None:
            alone.append((transition(payload), [(kind, payload)]))
        else:
            attached.setdefault(match, []).append(transition(payload))
    lines = list(alone)
    for i, (kind, payload) in enumerate(others):
        text = event_words(kind, payload, name, now, zone)
        if i in attached:
            text = f"{', '.join(attached[i])}: {text}"
        lines.append((text, [(kind, payload)]))
    return lines


def _prep_mail(kind: str, payload: Mapping[str, Any]) -> bool:
    # The prep sheet's own email beside its delivery says the same thing twice.
    return kind == "EmailSent" and payload.get("kind") == "prep_sheet"
