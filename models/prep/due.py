"""Which meetings need a prep sheet now, which sheet a meeting has, and what one would hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.prep.bank import QuestionBank
from coffeechat.models.prep.context import PrepContext
from coffeechat.models.prep.load import ThankYouRules, load_prep_context
from coffeechat.models.store.tables import Account, Interview, Meeting, PrepSheet

DEFAULT_LEAD = timedelta(hours=24)
CANCELLED = "CANCELLED"  # a meeting's iCalendar STATUS


def due_prep_sheets(
    session: Session, account_id: int, now: datetime, lead: timedelta = DEFAULT_LEAD
) -> list[int]:
    """Meetings starting within ``lead`` (at once when booked later) whose version has no sheet."""
    has_sheet = exists().where(
        PrepSheet.meeting_id == Meeting.id, PrepSheet.meeting_version == Meeting.version
    )
    return list(
        session.scalars(
            select(Meeting.id)
            .join(Interview, Interview.id == Meeting.interview_id)
            .where(
                Meeting.account_id == account_id,
                Meeting.status != CANCELLED,
                Meeting.contact_id.is_not(None),
                Meeting.start_utc > now,
                Meeting.start_utc <= now + lead,
                Interview.state != State.CLOSED.value,
                ~has_sheet,
            )
            .order_by(Meeting.start_utc, Meeting.id)
        )
    )


def current_sheet(session: Session, meeting_id: int) -> int | None:
    """The sheet made for the meeting's current version, if there is one."""
    return session.scalar(
        select(PrepSheet.id)
        .join(Meeting, Meeting.id == PrepSheet.meeting_id)
        .where(PrepSheet.meeting_id == meeting_id, PrepSheet.meeting_version == Meeting.version)
    )


@dataclass(frozen=True)
class SheetWanted:
    """A sheet to make: what it says, and the user's address it goes to."""

    ctx: PrepContext
    to_addr: str


def sheet_wanted(
    session: Session,
    meeting_id: int,
    now: datetime,
    *,
    bank: QuestionBank,
    thank_you: ThankYouRules | None = None,
) -> SheetWanted | None:
    """What the meeting's sheet would hold, or None when it wants none (gone or cancelled)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status == CANCELLED or meeting.interview_id is None:
        return None
    ctx = load_prep_context(session, meeting_id, now, bank=bank, thank_you=thank_you)
    account = session.get(Account, meeting.account_id)
    assert account is not None  # the meeting's foreign key guarantees it
    return SheetWanted(ctx, account.email)
