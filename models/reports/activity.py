"""What changed since a cursor, for ``run``: new domain events, outbox rows that moved, mail
kept unread, sources that started failing or recovered.

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
from coffeechat.models.outbox.states import Status
from coffeechat.models.store.tables import (
    Contact,
    EventLog,
    Interview,
    Message,
    Outbox,
    SyncCursor,
)

OPEN = (Status.PENDING, Status.SENDING, Status.DRAFT)  # rows whose next move is told
# At most this many events are read in one poll; the rest come at the next.
BATCH = 500


@dataclass
class Cursor:
    """Where the last poll stopped: the newest event seen, and open outbox rows' statuses."""

    event_id: int = 0
    outbox_id: int = 0
    open_rows: dict[int, str] = field(default_factory=dict)
    message_id: int = 0
    failing: set[tuple[str, str]] = field(default_factory=set)


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
    # Mail kept but not read: (from, subject, why).
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)
    # Sources that started failing (kind, source, error) or recovered (kind, source, "").
    failing: list[tuple[str, str, str]] = field(default_factory=list)
    recovered: list[tuple[str, str]] = field(default_factory=list)


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
    message_id = session.scalar(
        select(func.max(Message.id)).where(Message.account_id == account_id)
    )
    cursor = Cursor(int(event_id or 0), int(outbox_id or 0), {i: s for i, s in rows})
    cursor.message_id = int(message_id or 0)
    cursor.failing = set(_failing(session, account_id))
    return cursor


def _failing(session: Session, account_id: int) -> dict[tuple[str, str], str]:
    rows = session.execute(
        select(SyncCursor.source_kind, SyncCursor.source, SyncCursor.last_error).where(
            SyncCursor.account_id == account_id, SyncCursor.consecutive_failures > 0
        )
    ).all()
    return {(kind, source): error for kind, source, error in rows}


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
    _poll_sources(session, account_id, cursor, news)
    return news


def _poll_sources(session: Session, account_id: int, cursor: Cursor, news: News) -> None:
    """Unreadable mail recorded since the cursor; sources that started failing or recovered."""
    newest = session.scalar(select(func.max(Message.id)).where(Message.account_id == account_id))
    for m in session.scalars(
        select(Message)
        .where(Message.account_id == account_id, Message.id > cursor.message_id)
        .where(Message.kind == "unreadable")
        .order_by(Message.id)
        .limit(BATCH)
    ):
        news.unreadable.append((m.from_addr, m.subject, m.excerpt))
    cursor.message_id = max(cursor.message_id, int(newest or 0))
    failing = _failing(session, account_id)
    news.failing += [(k, s, e) for (k, s), e in failing.items() if (k, s) not in cursor.failing]
    news.recovered += sorted(cursor.failing - set(failing))
    cursor.failing = set(failing)
