"""Deciding what follow-up mail to send and when: thank-yous, the one nudge, updates.

``plan_followups`` runs inside one unit of work and creates outbox rows; the sender delivers
them. A row is created only once it is due, so a note the user adds before then is in the text,
and once per natural key, so running the planner again creates nothing. Only the contact's
current ok address is ever used; do_not_contact and bounced contacts get nothing.

Thank-you: for a meeting that ended (interview ``held``), ``meeting:<id>:thanks``, as a reply in
the outreach thread. Automatic only while it can go out within the deadline and nobody has
written since; if the contact wrote, it is put up for review; if the user wrote, they have
followed up themselves and nothing is planned. With debriefs on it waits for the user's answer
(cadence.py says how long) and quotes its public fields (thank_you.py); without an answer it is
the generic text, put up for review when ``[debrief] thank_you_without = "review"``.

Nudge: opt-in (tag ``nudge``), ``nudge:1``, once, after N business days without reply and past
an auto-reply's return date.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from coffeechat.models.followups.cadence import (
    CadenceRules,
    DebriefRules,
    NoThankYou,
    Review,
    next_send_time,
    nudge_due,
    nudge_stale,
    thank_you_oldest_end,
    thank_you_timing,
    wait_hours,
)
from coffeechat.models.followups.first_run import connected_at
from coffeechat.models.followups.mail import (
    ModeRules,
    PlanContext,
    Planned,
    Renderer,
    first_name,
    introducer,
    people,
    recipient,
    thread_of,
)
from coffeechat.models.followups.outreach import NUDGE_TAG, OutreachRefused, create_outreach
from coffeechat.models.followups.thank_you import (
    Suggested,
    has_content,
    said_notes,
    thank_you_context,
)
from coffeechat.models.followups.updates import plan_updates
from coffeechat.models.interviews.fact_times import outreach_sent_at, written_at
from coffeechat.models.interviews.lifecycle import Event, State
from coffeechat.models.interviews.moves import try_apply
from coffeechat.models.outbox.states import Kind, Mode, Status
from coffeechat.models.store.tables import (
    Account,
    Contact,
    Debrief,
    Interview,
    Meeting,
    Message,
    Note,
    Outbox,
    Referral,
)
from coffeechat.models.store.uow import UnitOfWork

__all__ = ["NUDGE_TAG", "OutreachRefused", "create_outreach", "plan_followups"]

REASON_CONTACT_WROTE = "review: the contact wrote after the meeting"
REASON_LATE = "review: it can no longer go out within the thank-you deadline"
REASON_NO_DEBRIEF = "review: no debrief answer came in time to say something specific"
_REVIEW_REASONS = {Review.CONTACT_WROTE: REASON_CONTACT_WROTE, Review.LATE: REASON_LATE}


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
    labels = _review_pending_thank_yous(ctx) + _defer_paused_nudges(ctx)
    labels += _plan_thank_yous(ctx, debrief)
    labels += _plan_nudges(ctx)
    labels += plan_updates(ctx)
    return labels


def _plan_thank_yous(ctx: PlanContext, debrief: DebriefRules | None) -> list[str]:
    # Only meetings that ended inside the first-run horizon of the connection time: one that
    # was over long before coffeechat knew the account is listed by status, never thanked here.
    connected = connected_at(ctx.uow.session, ctx.uow.account_id)
    oldest = thank_you_oldest_end(ctx.now, connected, ctx.cadence)
    latest: dict[int, tuple[Meeting, Interview]] = {}
    for meeting, interview in ctx.uow.session.execute(
        select(Meeting, Interview)
        .join(Interview, Interview.id == Meeting.interview_id)
        .where(
            Meeting.account_id == ctx.uow.account_id,
            Meeting.status != "CANCELLED",
            Meeting.end_utc <= ctx.now,
            Meeting.end_utc > oldest,
            Interview.state == State.HELD.value,
        )
        .order_by(Meeting.end_utc)
    ):
        latest[interview.id] = (meeting, interview)  # only the most recent meeting is thanked
    labels = []
    for meeting, interview in latest.values():
        labels += _thank_you(ctx, meeting, interview, debrief=debrief)
    return labels


def _thank_you(
    ctx: PlanContext,
    meeting: Meeting,
    interview: Interview,
    *,
    asked: bool = False,
    debrief: DebriefRules | None = None,
) -> list[str]:
    """Plan the thank-you for ``meeting`` when due; ``asked``: the user asked for it."""
    contact = ctx.uow.session.get(Contact, interview.contact_id)
    if contact is None:
        return []
    if _user_wrote_since(ctx, contact.id, meeting.end_utc):
        # They thanked the contact themselves (perhaps before the sync saw the meeting end):
        # that is the thank-you, and the interview moves on so updates can follow later.
        # Whether we could write to them ourselves does not change what the user did.
        try_apply(ctx.uow, interview, Event.THANK_YOU_SENT, now=ctx.now, cause="sent-folder")
        return ["thanked-by-user"]
    to = recipient(contact)
    if to is None:
        return []
    answer = _debrief_of(ctx, meeting)
    timing = thank_you_timing(
        meeting.end_utc,
        now=ctx.now,
        cadence=ctx.cadence,
        zone=ctx.zone,
        contact_wrote=_contact_wrote_since(ctx, contact.id, meeting.end_utc),
        connected=connected_at(ctx.uow.session, ctx.uow.account_id),
        asked=asked,
        wait=wait_hours(debrief),
        debrief_at=answer.received_at if answer is not None else None,
    )
    if isinstance(timing, NoThankYou):
        return []  # not due yet (notes and debriefs added until then make the text), or too old
    mode, reason, not_after = ctx.modes.thank_you, "", timing.not_after
    if timing.review is not None:
        mode, reason = Mode.REVIEW, _REVIEW_REASONS[timing.review]
    elif answer is None and debrief is not None and _review_without(debrief):
        # The user's call now, like any review: no deadline of ours expires their draft.
        mode, reason, not_after = Mode.REVIEW, REASON_NO_DEBRIEF, None
    said = thank_you_context(
        answer.fields if answer is not None else None,
        _suggested(ctx, contact.id),
        meeting_day=ctx.local(meeting.start_utc).date(),
        send_day=ctx.local(timing.send_at).date(),
        contact_name=contact.name,
    )
    context = {
        **people(ctx.account, contact, introducer(ctx.uow, contact)),
        "meeting": {
            "day": ctx.local(meeting.start_utc).strftime("%A"),
            "when": said.pop("when"),
            "summary": meeting.summary,
        },
        "notes": said_notes(_conversation_notes(ctx, contact.id, meeting.start_utc), contact.name),
        **said,
    }
    planned = Planned(
        interview_id=interview.id,
        kind=Kind.THANK_YOU,
        occurrence=f"meeting:{meeting.id}:thanks",
        to_addr=to,
        subject=f"Thank you, {first_name(contact.name) or contact.name}",
        body=ctx.text("thank_you", context),
        mode=mode,
        not_before=timing.send_at,
        not_after=not_after,
        thread=thread_of(ctx.uow, interview),
        reason=reason,
    )
    if ctx.add(planned) is None:
        return []
    return ["thank-you" if mode == ctx.modes.thank_you and not reason else "thank-you-review"]


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
        if _contact_wrote_since(ctx, contact.id, sent_at):
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
    for row in ctx.uow.session.scalars(
        select(Outbox).where(
            Outbox.account_id == ctx.uow.account_id,
            Outbox.kind == Kind.THANK_YOU,
            Outbox.status == Status.PENDING,
            Outbox.mode == Mode.AUTO,
        )
    ):
        meeting_id = row.occurrence.split(":")[1]
        meeting = ctx.uow.session.get(Meeting, int(meeting_id)) if meeting_id.isdigit() else None
        if meeting is None or meeting.contact_id is None:
            continue
        if _contact_wrote_since(ctx, meeting.contact_id, meeting.end_utc):
            # Conditional on still pending: a row the sender claimed meanwhile is left alone.
            ctx.uow.session.execute(
                update(Outbox)
                .where(
                    Outbox.id == row.id,
                    Outbox.status == Status.PENDING,
                    Outbox.mode == Mode.AUTO,
                )
                .values(mode=Mode.REVIEW.value, not_after=None, last_error=REASON_CONTACT_WROTE)
            )
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


def _contact_wrote_since(ctx: PlanContext, contact_id: int, since: datetime) -> bool:
    found = ctx.uow.session.scalar(
        select(Message.id).where(
            Message.account_id == ctx.uow.account_id,
            Message.contact_id == contact_id,
            Message.direction == "in",
            Message.kind == "human",
            written_at > since,
        )
    )
    return found is not None


def _user_wrote_since(ctx: PlanContext, contact_id: int, since: datetime) -> bool:
    ours = select(Outbox.message_id).where(Outbox.account_id == ctx.uow.account_id)
    found = ctx.uow.session.scalar(
        select(Message.id).where(
            Message.account_id == ctx.uow.account_id,
            Message.contact_id == contact_id,
            Message.direction == "out",
            written_at > since,
            Message.message_id.not_in(ours),
        )
    )
    return found is not None


def _conversation_notes(ctx: PlanContext, contact_id: int, since: datetime) -> list[str]:
    # Notes from the meeting on: what the user took away, not what they planned to ask.
    return list(
        ctx.uow.session.scalars(
            select(Note.text)
            .where(
                Note.contact_id == contact_id,
                Note.for_update.is_(False),
                Note.created_at >= since,
                Note.created_at <= ctx.now,
            )
            .order_by(Note.id)
        )
    )


def _review_without(debrief: DebriefRules) -> bool:
    return debrief.enabled and debrief.thank_you_without == "review"


def _debrief_of(ctx: PlanContext, meeting: Meeting) -> Debrief | None:
    """The meeting's debrief answer stored by now, when it says anything."""
    found = ctx.uow.session.scalars(
        select(Debrief).where(
            Debrief.account_id == ctx.uow.account_id,
            Debrief.meeting_id == meeting.id,
            Debrief.received_at <= ctx.now,
        )
    ).first()
    return found if found is not None and has_content(found.fields) else None


def _suggested(ctx: PlanContext, contact_id: int) -> list[Suggested]:
    """People this contact suggested before now (not those the user declined), oldest first."""
    rows = ctx.uow.session.execute(
        select(Referral.name, Referral.address)
        .where(
            Referral.account_id == ctx.uow.account_id,
            Referral.from_contact_id == contact_id,
            Referral.created_at <= ctx.now,
            Referral.status != "dismissed",
        )
        .order_by(Referral.created_at, Referral.id)
    )
    return [Suggested(name or "", address) for name, address in rows]
