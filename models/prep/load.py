"""Reading what a prep sheet needs from the database: one session, no other I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from coffeechat.models.followups.cadence import (
    CadenceRules,
    DebriefRules,
    thank_you_moments,
    wait_hours,
)
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.prep.bank import QuestionBank
from coffeechat.models.prep.build import THREAD_LIMIT, PrepInputs, build_prep_context
from coffeechat.models.prep.context import PrepContext
from coffeechat.models.prep.history import last_time_lines
from coffeechat.models.store.tables import (
    Account,
    Contact,
    Interview,
    Meeting,
    Message,
    Note,
    PrepSheet,
    Referral,
)


class PrepSourceMissing(LookupError):
    """The meeting, its contact or its account is not in the database."""


@dataclass(frozen=True)
class ThankYouRules:
    """How coffeechat's own thank-you goes, so the sheet can say when (config's cadence, mode).

    ``wait_hours``: how long the thank-you waits for the user's debrief answer (0: debriefs
    off, the thank-you goes at its usual moment); ``without_review``: with no answer by then
    it waits in Drafts for approval instead of going in its generic form.
    """

    cadence: CadenceRules
    review: bool = False
    wait_hours: float = 0.0
    without_review: bool = False

    @classmethod
    def of(cls, cadence: CadenceRules, mode: str, debrief: DebriefRules | None) -> ThankYouRules:
        """The rules from the config's cadence, thank-you mode and debrief section."""
        without = debrief is not None and debrief.thank_you_without == "review"
        return cls(cadence, review=mode == "review", wait_hours=wait_hours(debrief),
                   without_review=without)  # fmt: skip


def load_prep_context(
    session: Session,
    meeting_id: int,
    now: datetime,
    *,
    bank: QuestionBank,
    thank_you: ThankYouRules | None = None,
) -> PrepContext:
    """The sheet for one meeting as it stands now (its current version)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.contact_id is None:
        raise PrepSourceMissing(f"meeting {meeting_id} is gone or concerns no contact")
    contact = _contact(session, meeting.contact_id)
    interview = session.get(Interview, meeting.interview_id) if meeting.interview_id else None
    earlier_sheet = session.scalar(
        select(func.count(PrepSheet.id)).where(
            PrepSheet.meeting_id == meeting.id, PrepSheet.meeting_version < meeting.version
        )
    )
    inputs = _inputs(session, contact, now, bank, meeting, interview, bool(earlier_sheet))
    if thank_you is not None:
        zone = ZoneInfo(inputs.account.timezone)
        # Waiting for a debrief, the moment depends on the answer: the sheet gives the bound.
        slot = (
            None
            if thank_you.wait_hours > 0
            else thank_you_moments(meeting.end_utc, thank_you.cadence, zone).first_slot
        )
        inputs = replace(inputs, thank_you_at=slot, thank_you_review=thank_you.review,
                         thank_you_wait_hours=thank_you.wait_hours,
                         thank_you_without_review=thank_you.without_review)  # fmt: skip
    return build_prep_context(inputs)


def load_contact_prep_context(
    session: Session, contact_id: int, now: datetime, *, bank: QuestionBank
) -> PrepContext:
    """A sheet for a contact with no meeting booked yet (no "when" section)."""
    contact = _contact(session, contact_id)
    interview = session.scalars(
        select(Interview)
        .where(Interview.contact_id == contact.id, Interview.state != State.CLOSED.value)
        .order_by(Interview.id.desc())
        .limit(1)
    ).first()
    return build_prep_context(_inputs(session, contact, now, bank, None, interview, False))


def next_meeting_id(session: Session, contact_id: int, now: datetime) -> int | None:
    """The contact's next meeting not cancelled and not yet over, if any."""
    return session.scalar(
        select(Meeting.id)
        .where(
            Meeting.contact_id == contact_id,
            Meeting.status != "CANCELLED",
            Meeting.end_utc > now,
        )
        .order_by(Meeting.start_utc)
        .limit(1)
    )


def _contact(session: Session, contact_id: int) -> Contact:
    contact = session.scalars(
        select(Contact).where(Contact.id == contact_id).options(selectinload(Contact.emails))
    ).first()
    if contact is None:
        raise PrepSourceMissing(f"contact {contact_id} is gone")
    return contact


def _inputs(
    session: Session,
    contact: Contact,
    now: datetime,
    bank: QuestionBank,
    meeting: Meeting | None,
    interview: Interview | None,
    is_update: bool,
) -> PrepInputs:
    account = session.get(Account, contact.account_id)
    if account is None:
        raise PrepSourceMissing(f"account {contact.account_id} is gone")
    notes = session.scalars(
        select(Note).where(Note.contact_id == contact.id).order_by(Note.created_at, Note.id)
    ).all()
    referrals = session.scalars(
        select(Referral)
        .where(Referral.from_contact_id == contact.id, Referral.status != "dismissed")
        .order_by(Referral.id)
    ).all()
    return PrepInputs(
        account=account,
        contact=contact,
        now=now,
        bank=bank,
        meeting=meeting,
        interview=interview,
        introducer=_introducer(session, contact),
        messages=_thread(session, contact.id),
        notes=notes,
        earlier=_earlier(session, contact, now),
        referrals=referrals,
        is_update=is_update,
        first_mail=_first_mail(session, contact.id),
        asked=_asked(session, contact.id, meeting, now),
        last_time=last_time_lines(
            session,
            contact.id,
            meeting.start_utc if meeting else now,
            now,
            ZoneInfo(account.timezone),
        ),
    )


def _first_mail(session: Session, contact_id: int) -> tuple[str, datetime] | None:
    first = session.execute(
        select(Message.direction, Message.date)
        .where(
            Message.contact_id == contact_id,
            Message.date.is_not(None),
            or_(Message.kind == "human", Message.direction == "out"),
        )
        .order_by(Message.date, Message.id)
        .limit(1)
    ).first()
    if first is None or first.date is None:
        return None
    return ("out" if first.direction == "out" else "in", first.date)


def _asked(
    session: Session, contact_id: int, meeting: Meeting | None, now: datetime
) -> tuple[str, ...]:
    # Questions of sheets for meetings with this person that are over: an update of the
    # same meeting's sheet keeps its questions, a second meeting gets new ones.
    before = meeting.start_utc if meeting is not None else now
    rows = session.scalars(
        select(PrepSheet.questions)
        .join(Meeting, Meeting.id == PrepSheet.meeting_id)
        .where(Meeting.contact_id == contact_id, Meeting.end_utc <= before)
        .order_by(PrepSheet.id)
    ).all()
    return tuple(q for questions in rows for q in questions if isinstance(q, str))


def _thread(session: Session, contact_id: int) -> list[Message]:
    # Human mail both ways; the newest few are enough for the sheet.
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.contact_id == contact_id,
                Message.date.is_not(None),
                or_(Message.kind == "human", Message.direction == "out"),
            )
            .order_by(Message.date.desc())
            .limit(THREAD_LIMIT)
        )
    )


def _introducer(session: Session, contact: Contact) -> Contact | None:
    if contact.introduced_by_id is not None:
        return session.get(Contact, contact.introduced_by_id)
    # A referral that became this contact also says who introduced them.
    return session.scalars(
        select(Contact)
        .join(Referral, Referral.from_contact_id == Contact.id)
        .where(Referral.to_contact_id == contact.id)
        .order_by(Referral.id)
        .limit(1)
    ).first()


def _earlier(session: Session, contact: Contact, now: datetime) -> list[tuple[Contact, datetime]]:
    company = contact.company.strip().lower()
    if not company:
        return []
    rows = session.execute(
        select(Contact, Meeting.end_utc)
        .join(Meeting, Meeting.contact_id == Contact.id)
        .where(
            Contact.account_id == contact.account_id,
            Contact.id != contact.id,
            func.lower(func.trim(Contact.company)) == company,
            Meeting.status != "CANCELLED",
            Meeting.end_utc <= now,
        )
        .order_by(Meeting.end_utc.desc())
    ).all()
    seen: dict[int, tuple[Contact, datetime]] = {}
    for other, ended in rows:
        seen.setdefault(other.id, (other, ended))
    return list(seen.values())
