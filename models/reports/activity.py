"""What changed since a cursor: new domain events and outbox rows that moved, for ``run``.

Pure reads (no clock): the caller keeps the :class:`Cursor` between polls. Only open outbox
rows (pending, sending, draft) and rows newer than the cursor are looked at, so a poll costs
what is in flight, not the whole history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coffeechat.models.followups.next_due import aware
from coffeechat.models.store.tables import Contact, EventLog, Interview, Outbox

OPEN = ("pending", "sending", "draft")
# At most this many events are read in one poll; the rest come at the next.
BATCH = 500


@dataclass
class Cursor:
    """Where the last poll stopped: the newest event seen, and open outbox rows' statuses."""

    event_id: int = 0
    outbox_id: int = 0
    open_rows: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxMove:
    """An outbox row that appeared or changed status."""

    id: int
    kind: str
    status: str
    to: str
    contact_id: int | None
    contact: str
    last_error: str
    not_before: datetime


@dataclass
class News:
    """What one poll found, events grouped by contact in log order."""

    events: list[tuple[int | None, str, str, dict[str, Any]]] = field(default_factory=list)
    outbox: list[OutboxMove] = field(default_factory=list)


def start(session: Session, account_id: int) -> Cursor:
    """A cursor at the present state: what exists now is not news."""
    event_id = session.scalar(
        select(func.max(EventLog.id)).where(EventLog.account_id == account_id)
    )
    outbox_id = session.scalar(select(func.max(Outbox.id)).where(Outbox.account_id == account_id))
    rows = session.execute(
        select(Outbox.id, Outbox.status).where(
            Outbox.account_id == account_id, Outbox.status.in_(OPEN)
        )
    ).all()
    return Cursor(int(event_id or 0), int(outbox_id or 0), {i: s for i, s in rows})


def poll(session: Session, account_id: int, cursor: Cursor) -> News:
    """Events after the cursor and outbox rows that are new or moved; the cursor advances."""
    news = News()
    for ev, name in session.execute(
        select(EventLog, Contact.name)
        .outerjoin(Contact, Contact.id == EventLog.contact_id)
        .where(EventLog.account_id == account_id, EventLog.id > cursor.event_id)
        .order_by(EventLog.id)
        .limit(BATCH)
    ):
        news.events.append((ev.contact_id, name or "", ev.type, dict(ev.payload)))
        cursor.event_id = ev.id
    watched = list(cursor.open_rows)
    for row, cid, name in session.execute(
        select(Outbox, Contact.id, Contact.name)
        .join(Interview, Interview.id == Outbox.interview_id)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(Outbox.account_id == account_id)
        .where(or_(Outbox.id > cursor.outbox_id, Outbox.id.in_(watched)))
        .order_by(Outbox.id)
    ):
        cursor.outbox_id = max(cursor.outbox_id, row.id)
        if cursor.open_rows.get(row.id) != row.status:
            news.outbox.append(
                OutboxMove(
                    row.id,
                    row.kind,
                    row.status,
                    row.to_addr,
                    cid,
                    name,
                    row.last_error,
                    aware(row.not_before),
                )
            )
        if row.status in OPEN:
            cursor.open_rows[row.id] = row.status
        else:
            cursor.open_rows.pop(row.id, None)
    return news
