"""A second meeting's "last time" lines: what was learned then and what happened since.

``last_time_lines`` is the one loader the sheet takes these lines from. Today it reads the
user's notes and the event log; a debrief store can feed the same list of lines later without
the sheet or its templates changing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.models.store.tables import EventLog, Meeting, Note
from coffeechat.models.text import clean_line

LIMIT = 8
EXCERPT = 200
_SENT = {
    "thank_you": "your thank-you went",
    "update": "you sent them an update",
    "nudge": "a follow-up went",
    "outreach": "you wrote to them",
}


@dataclass(frozen=True)
class Happened:
    """One thing from the record: a note (``note``), mail sent (its kind) or a reply (``reply``)."""

    at: datetime
    what: str
    text: str = ""


def describe_last_time(
    met: datetime, title: str, happened: Sequence[Happened], zone: tzinfo
) -> tuple[str, ...]:
    """The lines, oldest first, that open a second meeting's sheet (pure)."""
    lines = [f"You last met on {_day(met, zone)}" + (f" ({title})." if title else ".")]
    for h in sorted(happened, key=lambda h: (h.at, h.what, h.text))[:LIMIT]:
        day = _day(h.at, zone)
        if h.what == "note":
            lines.append(f"You noted on {day}: {_excerpt(h.text)}")
        elif h.what == "news":
            lines.append(f"News you told them about ({day}): {_excerpt(h.text)}")
        elif h.what == "reply":
            lines.append(f"They wrote to you on {day}.")
        else:
            lines.append(f"On {day} {_SENT.get(h.what, 'you wrote to them')}.")
    return tuple(lines)


def last_time_lines(
    session: Session, contact_id: int, before: datetime, now: datetime, zone: tzinfo
) -> tuple[str, ...]:
    """The lines for a meeting with ``contact_id`` starting at ``before``; () for a first one."""
    last = session.scalars(
        select(Meeting)
        .where(
            Meeting.contact_id == contact_id,
            Meeting.status != "CANCELLED",
            Meeting.end_utc <= min(before, now),
        )
        .order_by(Meeting.end_utc.desc())
        .limit(1)
    ).first()
    if last is None:
        return ()
    since = last.start_utc
    notes = session.scalars(
        select(Note)
        .where(Note.contact_id == contact_id, Note.created_at >= since, Note.created_at <= now)
        .order_by(Note.created_at, Note.id)
    ).all()
    happened = [Happened(n.created_at, "news" if n.for_update else "note", n.text) for n in notes]
    events = session.scalars(
        select(EventLog)
        .where(
            EventLog.contact_id == contact_id,
            EventLog.type.in_(("EmailSent", "ReplyReceived")),
            EventLog.occurred_at >= last.end_utc,
            EventLog.occurred_at <= now,
        )
        .order_by(EventLog.occurred_at, EventLog.id)
        .limit(4 * LIMIT)
    ).all()
    for e in events:
        kind = str(e.payload.get("kind", "")) if e.type == "EmailSent" else "reply"
        if kind in _SENT or kind == "reply":
            happened.append(Happened(e.occurred_at, kind))
    return describe_last_time(last.start_utc, clean_line(last.summary, limit=200), happened, zone)


def _excerpt(text: str) -> str:
    line = clean_line(text, limit=EXCERPT + 1)
    return line if len(line) <= EXCERPT else line[:EXCERPT].rstrip() + "…"


def _day(value: datetime, zone: tzinfo) -> str:
    d = value.astimezone(zone)
    return f"{d:%a} {d.day} {d:%b} {d.year}"
