"""What a sent outbox row does to its interview, applied exactly once per Message-ID."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from sqlalchemy import select

from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import try_apply
from coffeechat.models.outbox.states import Kind
from coffeechat.models.store.events import EmailSent, OutreachSent, PrepSheetDelivered
from coffeechat.models.store.tables import EventLog, Interview, Outbox, PrepSheet
from coffeechat.models.store.uow import UnitOfWork

LIFECYCLE: Final[Mapping[str, Event]] = {
    Kind.THANK_YOU: Event.THANK_YOU_SENT,
    Kind.UPDATE: Event.UPDATE_SENT,
    Kind.NUDGE: Event.NUDGE_SENT,
    Kind.OUTREACH: Event.OUTREACH_SENT,
    Kind.PREP_SHEET: Event.PREP_SHEET_DELIVERED,
}


def already_recorded(uow: UnitOfWork, row: Outbox) -> bool:
    """Whether an EmailSent event for this row's Message-ID is already in the event log."""
    payloads = uow.session.scalars(
        select(EventLog.payload).where(
            EventLog.account_id == row.account_id,
            EventLog.interview_id == row.interview_id,
            EventLog.type == EmailSent.__name__,
        )
    )
    return any(p.get("message_id") == row.message_id for p in payloads)


def record_sent(uow: UnitOfWork, row: Outbox, *, now: datetime) -> bool:
    """Apply the lifecycle effects of row having been sent, unless already applied; True if applied.

    Idempotent on purpose: the sender, start-up recovery and the inbox sync (which sees the
    copy in Sent) may each learn that the same email went out.
    """
    if already_recorded(uow, row):
        return False
    if row.interview_id is None:  # the digest: about the account, it moves no interview
        uow.record(
            EmailSent(occurred_at=now, kind=row.kind, message_id=row.message_id, to=row.to_addr)
        )
        return True
    interview = uow.session.get(Interview, row.interview_id)
    assert interview is not None
    if row.kind == Kind.OUTREACH:
        interview.outreach_message_id = row.message_id
        interview.thread_subject = row.subject
        uow.record(
            OutreachSent(
                occurred_at=now, interview_id=interview.id, contact_id=interview.contact_id,
                message_id=row.message_id,
            )
        )  # fmt: skip
    if row.kind == Kind.PREP_SHEET:
        for sheet in uow.session.scalars(select(PrepSheet).where(PrepSheet.outbox_id == row.id)):
            sheet.delivered_at = now
            uow.record(
                PrepSheetDelivered(
                    occurred_at=now, interview_id=interview.id, contact_id=interview.contact_id,
                    meeting_id=sheet.meeting_id, path=sheet.path, is_update=sheet.is_update,
                )
            )  # fmt: skip
    event = LIFECYCLE.get(row.kind)
    if event is not None:
        try_apply(uow, interview, event, now=now, cause=f"outbox:{row.kind}")
    uow.record(
        EmailSent(
            occurred_at=now, interview_id=interview.id, contact_id=interview.contact_id,
            kind=row.kind, message_id=row.message_id, to=row.to_addr,
        )
    )  # fmt: skip
    return True
