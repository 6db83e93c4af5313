"""Recording a made prep sheet and queueing its email, in the caller's unit of work.

Exactly one sheet per meeting version is kept by the database (unique meeting + version): a
second run that gets here for the same version fails on commit, and the caller keeps the first.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from coffeechat.models.outbox.rows import move, new_row
from coffeechat.models.outbox.states import UNSENT, Kind, Mode, Move
from coffeechat.models.prep.context import PrepContext
from coffeechat.models.prep.due import CANCELLED
from coffeechat.models.store.tables import Meeting, Outbox, PrepSheet
from coffeechat.models.store.uow import UnitOfWork


def queue_sheet(
    uow: UnitOfWork,
    ctx: PrepContext,
    *,
    text: str,
    html: str,
    path: Path,
    to_addr: str,
    mode: Mode | str,
    now: datetime,
) -> int | None:
    """Record the sheet made from ``ctx`` and its pending email; its id, or None if outdated."""
    meeting = uow.session.get(Meeting, ctx.meeting_id)
    if (
        meeting is None
        or meeting.interview_id is None
        or meeting.status == CANCELLED
        or meeting.version != ctx.meeting_version
    ):
        return None  # changed while it was made: the next run makes the new version's sheet
    supersede(uow, meeting)
    outbox = new_row(
        account_id=uow.account_id,
        interview_id=meeting.interview_id,
        kind=Kind.PREP_SHEET,
        occurrence=f"meeting:{meeting.id}:v{meeting.version}",
        sender=to_addr,
        to_addr=to_addr,
        subject=ctx.subject,
        body_text=text,
        body_html=html,
        mode=mode,
        not_before=now,
        now=now,
    )
    uow.session.add(outbox)
    uow.session.flush()
    sheet = PrepSheet(
        account_id=uow.account_id,
        meeting_id=meeting.id,
        meeting_version=meeting.version,
        interview_id=meeting.interview_id,
        is_update=ctx.is_update,
        path=str(path),
        outbox_id=outbox.id,
        questions=list(ctx.question_texts),
        created_at=now,
    )
    uow.session.add(sheet)
    uow.session.flush()
    return sheet.id


def supersede(uow: UnitOfWork, meeting: Meeting) -> int:
    """Cancel older versions' sheets not yet sent: the new one replaces them; how many."""
    return move(
        uow.session,
        Move.CANCEL,
        Outbox.interview_id == meeting.interview_id,
        Outbox.kind == Kind.PREP_SHEET,
        Outbox.occurrence.like(f"meeting:{meeting.id}:v%"),
        frm=UNSENT,
        last_error=f"superseded by version {meeting.version}",
    )
