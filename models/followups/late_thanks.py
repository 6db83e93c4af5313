"""``coffeechat thank CONTACT``: a thank-you the user asks for (a meeting from before coffeechat).

The planner never thanks a meeting that ended long before the account was connected (see
first_run.py); the user may still want to. This queues the same thank-you the planner
would write, for the contact's most recent meeting that was held and not yet thanked, and by
default puts it up for review (it waits in Drafts): a thank-you days after the meeting is worth
a read before it goes. ``send=True`` lets it go out on its own in the next send window.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coffeechat.models.followups.cadence import CadenceRules
from coffeechat.models.followups.mail import ModeRules, PlanContext, Renderer
from coffeechat.models.followups.thank_yous import plan_thank_you
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.states import Kind, Mode
from coffeechat.models.store.tables import Account, Contact, Interview, Meeting, Outbox
from coffeechat.models.store.uow import UnitOfWork

REASON_ASKED = "review: asked for with `coffeechat thank`"


class NothingToThank(LookupError):
    """No meeting with this contact is waiting for a thank-you."""


def request_thank_you(
    uow: UnitOfWork,
    contact: Contact,
    *,
    now: datetime,
    cadence: CadenceRules,
    modes: ModeRules,
    user_email: str,
    render: Renderer,
    send: bool = False,
) -> Outbox:
    """Queue a thank-you for the contact's last held meeting; raise NothingToThank if none."""
    found = uow.session.execute(
        select(Meeting, Interview)
        .join(Interview, Interview.id == Meeting.interview_id)
        .where(
            Meeting.account_id == uow.account_id,
            Interview.contact_id == contact.id,
            Meeting.status != "CANCELLED",
            Meeting.end_utc <= now,
        )
        .order_by(Meeting.end_utc.desc(), Meeting.id.desc())
    ).first()
    if found is None:
        raise NothingToThank(f"no meeting with {contact.name} has ended")
    meeting, interview = found
    if interview.state != State.HELD.value:
        raise NothingToThank(
            f"{contact.name}: the conversation is '{interview.state}', not waiting for a thank-you"
        )
    occurrence = f"meeting:{meeting.id}:thanks"
    if _row(uow, interview.id, occurrence) is not None:
        raise NothingToThank(f"a thank-you to {contact.name} is already queued: `coffeechat queue`")
    account = uow.session.get(Account, uow.account_id)
    assert account is not None
    ctx = PlanContext(
        uow, now, cadence, modes, user_email, render, account, ZoneInfo(account.timezone)
    )
    labels = plan_thank_you(ctx, meeting, interview, asked=True)
    row = _row(uow, interview.id, occurrence)
    if row is None:
        why = (
            "you wrote to them after the meeting: that was the thank-you"
            if "thanked-by-user" in labels
            else "no usable address, or the meeting ended too recently (it is planned on its own)"
        )
        raise NothingToThank(f"{contact.name}: nothing queued: {why}")
    row.mode = (Mode.AUTO if send else Mode.REVIEW).value
    row.not_after = None  # asked for by the user: no deadline of ours applies
    row.last_error = "" if send else REASON_ASKED
    uow.session.flush()
    return row


def _row(uow: UnitOfWork, interview_id: int, occurrence: str) -> Outbox | None:
    return uow.session.scalars(
        select(Outbox).where(
            Outbox.account_id == uow.account_id,
            Outbox.kind == Kind.THANK_YOU,
            Outbox.interview_id == interview_id,
            Outbox.occurrence == occurrence,
        )
    ).first()
