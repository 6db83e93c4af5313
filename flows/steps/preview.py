"""What the next cycle would send, worked out without sending or keeping anything.

The planner runs exactly as the cycle runs it (meetings that ended are marked, follow-ups are
planned, due prep sheets are found) inside one transaction that is always rolled back: no
outbox row, state change or event persists, and nothing is handed to SMTP or to Drafts. It
reads what coffeechat has recorded; it fetches neither mail nor calendars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.plan import plan_in
from coffeechat.models.interviews.meetings import mark_ended
from coffeechat.models.outbox.states import Kind, Mode, Status
from coffeechat.models.outbox.steps import refusal
from coffeechat.models.prep.due import due_prep_sheets
from coffeechat.models.store.tables import Account, Contact, Interview, Meeting, Outbox
from coffeechat.models.store.uow import UnitOfWork


@dataclass(frozen=True)
class Preview:
    """One email of the outbox as the next cycle would treat it."""

    kind: str
    contact: str
    to: str
    subject: str
    when: datetime
    action: str  # send | draft | later | refused
    new: bool
    note: str


def preview_cycle(app: App, now: datetime) -> list[Preview]:
    """Plan as the next cycle would and say what it would send, to whom; persists nothing."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:  # never committed
        session = uow.session
        before = set(session.scalars(select(Outbox.id).where(Outbox.account_id == app.account_id)))
        mark_ended(uow, now)
        plan_in(uow, app, now)
        session.flush()
        account = session.get(Account, app.account_id)
        assert account is not None
        out = []
        for row, name in session.execute(
            select(Outbox, Contact.name)
            .join(Interview, Interview.id == Outbox.interview_id)
            .join(Contact, Contact.id == Interview.contact_id)
            .where(Outbox.account_id == app.account_id, Outbox.status == Status.PENDING)
            .order_by(Outbox.not_before, Outbox.id)
        ):
            reason = refusal(session, row, account, now) if row.not_before <= now else None
            out.append(
                Preview(
                    kind=row.kind,
                    contact=name,
                    to=row.to_addr,
                    subject=row.subject,
                    when=row.not_before,
                    action=_action(row, now, reason),
                    new=row.id not in before,
                    note=reason or row.last_error or "",
                )
            )
        out += _prep_sheets(app, session, account, now)
        session.rollback()
    return out


def _prep_sheets(app: App, session: Session, account: Account, now: datetime) -> list[Preview]:
    """Prep sheets the next cycle would make and mail to the user."""
    lead = timedelta(hours=app.settings.cadence.prep_lead_hours)
    out = []
    for meeting_id in due_prep_sheets(session, app.account_id, now, lead):
        meeting = session.get(Meeting, meeting_id)
        contact = (
            session.get(Contact, meeting.contact_id) if meeting and meeting.contact_id else None
        )
        if meeting is None or contact is None:
            continue
        review = Mode(app.settings.modes.prep_sheet) is Mode.REVIEW
        out.append(
            Preview(
                kind=Kind.PREP_SHEET,
                contact=account.name,
                to=account.email,
                subject=f"Prep sheet: {contact.name} ({meeting.summary})",
                when=now,
                action="draft" if review else "send",
                new=True,
                note="",
            )
        )
    return out


def _action(row: Outbox, now: datetime, reason: str | None) -> str:
    if reason is not None:
        return "refused"
    if row.not_before > now:
        return "later"
    return "draft" if row.mode == Mode.REVIEW else "send"
