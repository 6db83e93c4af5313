"""Creating outbox rows and moving them between statuses: the only code that writes a status.

A row is born ``pending`` with a fresh Message-ID (:func:`new_row`); from then on its status
changes only through :func:`move`, an UPDATE conditional on the statuses the move may leave
(states.py), so two writers (two senders, a sender and the inbox sync) never both act on one row.
Its text changes only through :func:`rewrite`, while still pending (unclaimed, not in Drafts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffeechat.models.outbox.mailbuild import new_message_id
from coffeechat.models.outbox.states import INITIAL, Kind, Mode, Move, Status, sources, transition
from coffeechat.models.store.tables import Outbox


def move(
    session: Session,
    step: Move,
    *where: ColumnElement[bool],
    frm: Status | Iterable[Status] | None = None,
    **values: object,
) -> int:
    """Apply ``step`` to the rows matching ``where`` that are in ``frm``; how many moved.

    ``frm`` defaults to every status the move may leave; a status it may not leave raises
    IllegalMove before anything is written. A row in any other status is left alone: that is
    how a caller learns that someone else moved it first (the count is 0).
    """
    if not where:
        raise ValueError("an outbox move needs a condition naming its rows")
    if "status" in values:
        raise ValueError("the status is the move's to set, not a value")
    if frm is None:
        leaving = sources(step)
    elif isinstance(frm, str):
        leaving = (Status(frm),)
    else:
        leaving = tuple(Status(s) for s in frm)
    targets = {transition(s, step) for s in leaving}  # raises IllegalMove
    if not targets:
        return 0
    (to,) = targets  # one target per move: states.py writes it so, a test checks it
    result = session.execute(
        update(Outbox)
        .where(*where, Outbox.status.in_([s.value for s in leaving]))
        .values(status=to.value, **values)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


def rewrite(session: Session, row_id: int, *, mode: Mode | str, body_text: str) -> bool:
    """Give row ``row_id`` a new text while it is still pending in ``mode``; whether it did.

    Only a row nobody has claimed, placed in Drafts or sent: the UPDATE is conditional on
    that, so a sender that claimed it first keeps the text it is sending (False here). A row
    back in pending after a try (a retry, a resend after review) may have reached its reader
    already under this Message-ID: its text stays.
    """
    result = session.execute(
        update(Outbox)
        .where(
            Outbox.id == row_id,
            Outbox.status == Status.PENDING.value,
            Outbox.mode == Mode(mode).value,
            Outbox.attempts == 0,
            Outbox.claimed_at.is_(None),
        )
        .values(body_text=body_text)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0) == 1


def new_row(
    *,
    account_id: int,
    interview_id: int | None,
    kind: Kind | str,
    occurrence: str,
    sender: str,
    to_addr: str,
    subject: str,
    body_text: str,
    mode: Mode | str,
    not_before: datetime,
    now: datetime,
    body_html: str | None = None,
    not_after: datetime | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    note: str = "",
) -> Outbox:
    """A new pending row (not yet added to a session) with a fresh Message-ID from ``sender``.

    ``kind`` and ``mode`` are checked against their enums: an unknown one raises ValueError.
    """
    return Outbox(
        account_id=account_id,
        interview_id=interview_id,
        kind=Kind(kind).value,
        occurrence=occurrence,
        message_id=new_message_id(sender),
        status=INITIAL.value,
        mode=Mode(mode).value,
        to_addr=to_addr,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        in_reply_to=in_reply_to,
        references=list(references),
        not_before=not_before,
        not_after=not_after,
        attempts=0,
        last_error=note,
        created_at=now,
    )


def add_once(session: Session, row: Outbox) -> Outbox | None:
    """Add ``row`` unless a row with its natural key exists; None when one did.

    The natural key is (account, kind, interview, occurrence), a unique constraint (a partial
    unique index for the rows that belong to no interview, like the digest). Two planners racing
    on PostgreSQL: the loser's insert fails inside a savepoint and it returns None.
    """
    interview = (
        Outbox.interview_id.is_(None)
        if row.interview_id is None
        else Outbox.interview_id == row.interview_id
    )
    exists = session.scalar(
        select(Outbox.id).where(
            Outbox.account_id == row.account_id,
            Outbox.kind == row.kind,
            interview,
            Outbox.occurrence == row.occurrence,
        )
    )
    if exists is not None:
        return None
    if session.get_bind().dialect.name == "sqlite":
        # pysqlite would make the savepoint's RELEASE commit the whole transaction; SQLite's
        # single writer lock makes the check above sufficient there anyway.
        session.add(row)
        session.flush()
        return row
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None  # a concurrent planner got there first
    return row
