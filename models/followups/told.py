"""When news counts as told: while the email that carries it went out or still will.

News for a contact (a kept promise, advice acted on, a note for the update, someone they
introduced who was met) records the outbox row of the update that tells it (``reported_in``)
and when that update was planned (``reported_at``). It counts as told while that row is
``OUT_OR_GOING`` (pending, draft, sending, needs review, sent): no later update repeats it.
When the row is cancelled (dropped in review, its draft deleted) or fails, the item is news
again and the next update tells it; that update supersedes the failed row, which is dropped
then, so a resend cannot tell the same news twice. An item marked before rows were recorded
(``reported_in`` NULL), or whose row is gone, stays told: never twice beats once more.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, aliased

from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import OUT_OR_GOING, Move, Status
from coffeechat.models.store.tables import Advice, Contact, Note, Outbox, Promise

Told = type[Promise] | type[Advice] | type[Note] | type[Contact]


@dataclass(frozen=True)
class Telling:
    """The email that tells an item: its outbox row, whether it went, and when."""

    row_id: int | None  # None: marked before rows were recorded
    sent: bool
    on: datetime  # when it went; when it is to go while it has not

    def words(self, who: str) -> str:
        """``was told to Ada in the update of 2026-03-09``, or the update on its way."""
        if self.sent:
            return f"was told to {who} in the update of {self.on:%Y-%m-%d}"
        return f"is in {who}'s update going out on {self.on:%Y-%m-%d} (outbox #{self.row_id})"


def columns(table: Told) -> tuple[Any, Any]:
    """The (when, which row) columns that record the telling of ``table``'s items."""
    if table is Contact:
        return Contact.introduction_reported_at, Contact.introduction_reported_in
    return table.reported_at, table.reported_in  # type: ignore[union-attr]


def untold(table: Told) -> ColumnElement[bool]:
    """The items of ``table`` no email tells: never marked, or their row reached nobody."""
    at, row = columns(table)
    its = aliased(Outbox)  # the caller's query may join the outbox itself
    dead = select(its.id).where(its.id == row, its.status.not_in(OUT_OR_GOING))
    return or_(at.is_(None), dead.correlate(table).exists())


def telling(
    reported_at: datetime | None,
    row_id: int | None,
    status: str | None,
    sent_at: datetime | None,
    not_before: datetime | None,
) -> Telling | None:
    """How an item is told, from its columns and its row's (None: it is not, or no longer)."""
    if reported_at is None:
        return None
    if row_id is None or status is None:
        return Telling(row_id, sent=True, on=reported_at)  # an older mark, or the row is gone
    if status not in OUT_OR_GOING:
        return None
    if status == Status.SENT:
        return Telling(row_id, sent=True, on=sent_at or not_before or reported_at)
    return Telling(row_id, sent=False, on=not_before or reported_at)


def mark(
    session: Session, table: Told, ids: Collection[int], *, row_id: int, now: datetime
) -> None:
    """Record that outbox row ``row_id`` tells items ``ids`` of ``table``.

    A failed row that told them before is dropped: this one supersedes it, and a resend of it
    would tell them twice.
    """
    if not ids:
        return
    at, row = columns(table)
    earlier = set(session.scalars(select(row).where(table.id.in_(ids), row.is_not(None))))
    earlier.discard(row_id)
    if earlier:
        move(session, Move.DROP, Outbox.id.in_(earlier), frm=Status.FAILED)
    session.execute(update(table).where(table.id.in_(ids)).values({at: now, row: row_id}))
