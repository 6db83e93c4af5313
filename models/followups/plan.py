"""Deciding what follow-up mail to send and when: thank-yous, the one nudge, updates.

``plan_followups`` runs inside one unit of work and creates outbox rows; the sender delivers
them. A row is created only once it is due, so a note the user adds before then is in the text,
and once per natural key, so running the planner again creates nothing. Only the contact's
current ok address is ever used; do_not_contact and bounced contacts get nothing.

Thank-you: for a meeting that ended, planned by thank_yous.py; here a pending automatic one goes
to review when the contact writes before it went.

Nudge: opt-in (tag ``nudge``), ``nudge:1``, once, after N business days without reply and past
an auto-reply's return date.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update

from coffeechat.models.followups.cadence import (
    CadenceRules,
    DebriefRules,
    next_send_time,
    nudge_due,
    nudge_stale,
)
from coffeechat.models.followups.mail import (
    ModeRules,
    PlanContext,
    Planned,
    Renderer,
    introducer,
    people,
    recipient,
    thread_of,
)
from coffeechat.models.followups.outreach import NUDGE_TAG, OutreachRefused, create_outreach
from coffeechat.models.followups.thank_yous import (
    REASON_CONTACT_WROTE,
    REASON_LATE,
    REASON_NO_DEBRIEF,
    contact_wrote_since,
    meeting_of,
    pending_automatic,
    plan_thank_yous,
    rewrite_row,
    rewrite_thank_yous,
)
from coffeechat.models.followups.updates import plan_updates
from coffeechat.models.interviews.fact_times import outreach_sent_at
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.states import Kind, Mode, Status
from coffeechat.models.store.tables import Account, Contact, Interview, Outbox
from coffeechat.models.store.uow import UnitOfWork

__all__ = [
    "NUDGE_TAG",
    "REASON_CONTACT_WROTE",
    "REASON_LATE",
    "REASON_NO_DEBRIEF",
    "OutreachRefused",
    "create_outreach",
    "plan_followups",
]


def plan_followups(
    uow: UnitOfWork,
    *,
    now: datetime,
    cadence: CadenceRules,
    modes: ModeRules,
    user_email: str,
    render: Renderer,
    debrief: DebriefRules | None = None,
) -> list[str]:
    """Create every follow-up that is due now; return labels of what was planned or changed.

    ``debrief``: the debrief settings the thank-you waits by (None: no wait, generic without).
    """
    account = uow.session.get(Account, uow.account_id)
    assert account is not None
    ctx = PlanContext(
        uow, now, cadence, modes, user_email, render, account, ZoneInfo(account.timezone)
    )
    labels = _review_pending_thank_yous(ctx) + rewrite_thank_yous(ctx) + _defer_paused_nudges(ctx)
    labels += plan_thank_yous(ctx, debrief)
    labels += _plan_nudges(ctx)
    labels += plan_updates(ctx)
    return labels


def _plan_nudges(ctx: PlanContext) -> list[str]:
    labels = []
    for interview, contact in ctx.uow.session.execute(
        select(Interview, Contact)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(
            Interview.account_id == ctx.uow.account_id,
            Interview.state == State.REQUESTED.value,  # nudged already, or answered: never again
        )
    ):
        to = recipient(contact) if NUDGE_TAG in contact.tags else None
        thread = thread_of(ctx.uow, interview) if to is not None else None
        if to is None or thread is None:
            continue  # not opted in, nowhere to write, or no outreach to follow up on
        sent_at = outreach_sent_at(ctx.uow.session, ctx.uow.account_id, interview)
        due = nudge_due(sent_at, interview.paused_until, ctx.cadence, ctx.zone)
        if ctx.now < due or nudge_stale(due, ctx.now, ctx.cadence):
            continue
        if contact_wrote_since(ctx, contact.id, sent_at):
            continue
        context = people(ctx.account, contact, introducer(ctx.uow, contact))
        planned = Planned(
            interview_id=interview.id,
            kind=Kind.NUDGE,
            occurrence="nudge:1",
            to_addr=to,
            subject=thread.subject,
            body=ctx.text("nudge", context),
            mode=ctx.modes.nudge,
            not_before=_window(ctx, ctx.now, weekdays_only=True),
            thread=thread,
        )
        if ctx.add(planned) is not None:
            labels.append("nudge")
    return labels


def _review_pending_thank_yous(ctx: PlanContext) -> list[str]:
    """Automatic thank-yous not yet sent go to review when the contact has written since."""
    labels = []
    for row in pending_automatic(ctx):
        meeting = meeting_of(ctx, row)
        if meeting is None or meeting.contact_id is None:
            continue
        if contact_wrote_since(ctx, meeting.contact_id, meeting.end_utc):
            # Conditional on still pending: a row the sender claimed meanwhile is left alone.
            moved = ctx.uow.session.execute(
                update(Outbox)
                .where(
                    Outbox.id == row.id,
                    Outbox.status == Status.PENDING,
                    Outbox.mode == Mode.AUTO,
                )
                .values(mode=Mode.REVIEW.value, not_after=None, last_error=REASON_CONTACT_WROTE)
            )
            if not cast(CursorResult[Any], moved).rowcount:
                continue
            # A draft may be approved days later: its "today" or "yesterday" would turn false.
            rewrite_row(ctx, row, meeting, review=True)
            labels.append("thank-you-to-review")
    return labels


def _defer_paused_nudges(ctx: PlanContext) -> list[str]:
    """A nudge not yet sent moves past a return date that arrived after it was planned."""
    labels = []
    for row, interview in ctx.uow.session.execute(
        select(Outbox, Interview)
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(
            Outbox.account_id == ctx.uow.account_id,
            Outbox.kind == Kind.NUDGE,
            Outbox.status == Status.PENDING,
            Interview.paused_until.is_not(None),
        )
    ):
        sent_at = outreach_sent_at(ctx.uow.session, ctx.uow.account_id, interview)
        due = nudge_due(sent_at, interview.paused_until, ctx.cadence, ctx.zone)
        if row.not_before < due:
            ctx.uow.session.execute(
                update(Outbox)
                .where(Outbox.id == row.id, Outbox.status == Status.PENDING)
                .values(not_before=due)
            )
            labels.append("nudge-deferred")
    return labels


def _window(ctx: PlanContext, earliest: datetime, *, weekdays_only: bool = False) -> datetime:
    cad = ctx.cadence
    return next_send_time(
        earliest,
        zone=ctx.zone,
        window_start=cad.send_window_start,
        window_end=cad.send_window_end,
        weekdays_only=weekdays_only,
    )
