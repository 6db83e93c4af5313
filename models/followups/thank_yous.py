"""Planning the thank-you for a meeting that ended: when it goes, in which mode, and what it says.

One per meeting, ``meeting:<id>:thanks``, for the most recent meeting of a ``held`` interview,
as a reply in the outreach thread. Automatic only while it can go out within the deadline and
nobody has written since; if the contact wrote, it is put up for review; if the user wrote, they
have followed up themselves and nothing is planned. With debriefs on it waits for the user's
answer (cadence.thank_you_timing says how long) and quotes its public fields (thank_you.py);
without an answer it is the generic text, put up for review when ``[debrief] thank_you_without
= "review"``. Whom it thanks for is thanked_for.py's to say.

An answer stored (or corrected) after the row was written rewrites its text while the row is
pending and automatic (``rewrite_thank_yous``), as though it had come first: its timing stays,
and a row claimed for sending, sent or in Drafts is never touched. A draft for review never says
"today" or "yesterday": the user may approve it days later.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from coffeechat.models.followups.cadence import (
    DebriefRules,
    NoThankYou,
    Review,
    ThankYouTiming,
    thank_you_oldest_end,
    thank_you_timing,
    wait_hours,
)
from coffeechat.models.followups.first_run import connected_at
from coffeechat.models.followups.mail import (
    PlanContext,
    Planned,
    first_name,
    introducer,
    people,
    recipient,
    thread_of,
)
from coffeechat.models.followups.thank_you import has_content, thank_you_context
from coffeechat.models.followups.thanked_for import people_to_thank
from coffeechat.models.interviews.fact_times import written_at
from coffeechat.models.interviews.lifecycle import Event, State
from coffeechat.models.interviews.moves import try_apply
from coffeechat.models.outbox.rows import rewrite
from coffeechat.models.outbox.states import Kind, Mode, Status
from coffeechat.models.store.tables import (
    Contact,
    Debrief,
    Interview,
    Meeting,
    Message,
    Outbox,
)

REASON_CONTACT_WROTE = "review: the contact wrote after the meeting"
REASON_LATE = "review: it can no longer go out within the thank-you deadline"
REASON_NO_DEBRIEF = "review: no debrief answer came in time to say something specific"
_REVIEW_REASONS = {Review.CONTACT_WROTE: REASON_CONTACT_WROTE, Review.LATE: REASON_LATE}


def plan_thank_yous(ctx: PlanContext, debrief: DebriefRules | None) -> list[str]:
    """Plan the thank-you of every held interview's latest meeting that is due now."""
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
        labels += plan_thank_you(ctx, meeting, interview, debrief=debrief)
    return labels


def plan_thank_you(
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
    if user_wrote_since(ctx, contact.id, meeting.end_utc):
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
        contact_wrote=contact_wrote_since(ctx, contact.id, meeting.end_utc),
        connected=connected_at(ctx.uow.session, ctx.uow.account_id),
        asked=asked,
        wait=wait_hours(debrief),
        debrief_at=answer.received_at if answer is not None else None,
    )
    if isinstance(timing, NoThankYou):
        return []  # not due yet (notes and debriefs added until then make the text), or too old
    mode, reason, not_after = _mode(ctx, timing, answer, debrief)
    planned = Planned(
        interview_id=interview.id,
        kind=Kind.THANK_YOU,
        occurrence=occurrence(meeting),
        to_addr=to,
        subject=f"Thank you, {first_name(contact.name) or contact.name}",
        body=_body(
            ctx,
            meeting,
            contact,
            answer,
            send_at=timing.send_at,
            review=mode == Mode.REVIEW,
            as_of=ctx.now,
        ),
        mode=mode,
        not_before=timing.send_at,
        not_after=not_after,
        thread=thread_of(ctx.uow, interview),
        reason=reason,
    )
    if ctx.add(planned) is None:
        return []
    return ["thank-you" if mode == ctx.modes.thank_you and not reason else "thank-you-review"]


def pending_automatic(ctx: PlanContext) -> list[Outbox]:
    """Automatic thank-yous written and not yet taken by the sender (their text may change)."""
    return list(
        ctx.uow.session.scalars(
            select(Outbox).where(
                Outbox.account_id == ctx.uow.account_id,
                Outbox.kind == Kind.THANK_YOU,
                Outbox.status == Status.PENDING,
                Outbox.mode == Mode.AUTO,
            )
        )
    )


def rewrite_thank_yous(ctx: PlanContext) -> list[str]:
    """Automatic thank-yous still pending whose debrief came (or changed) after they were
    written take its text: the same as had it come first, so the order answers are read in
    makes no difference. Their timing stays; a row claimed, in Drafts or sent is left alone."""
    labels = []
    for row in pending_automatic(ctx):
        meeting = meeting_of(ctx, row)
        answer = _debrief_of(ctx, meeting) if meeting is not None else None
        if meeting is None or answer is None or answer.received_at <= row.created_at:
            continue  # no answer since the row was written: its text is the answer's already
        if rewrite_row(ctx, row, meeting, review=False):
            labels.append("thank-you-rewritten")
    return labels


def rewrite_row(ctx: PlanContext, row: Outbox, meeting: Meeting, *, review: bool) -> bool:
    """Render ``row``'s thank-you again and store the text when it changed (while pending)."""
    contact = ctx.uow.session.get(Contact, meeting.contact_id) if meeting.contact_id else None
    if contact is None:
        return False
    answer = _debrief_of(ctx, meeting)
    body = _body(
        ctx, meeting, contact, answer, send_at=row.not_before, review=review, as_of=row.created_at
    )
    if body == row.body_text:
        return False
    mode = Mode.REVIEW if review else Mode.AUTO
    return rewrite(ctx.uow.session, row.id, mode=mode, body_text=body)


def meeting_of(ctx: PlanContext, row: Outbox) -> Meeting | None:
    """The meeting a thank-you row is for (its key names it)."""
    meeting_id = row.occurrence.split(":")[1] if row.occurrence.count(":") == 2 else ""
    meeting = ctx.uow.session.get(Meeting, int(meeting_id)) if meeting_id.isdigit() else None
    return meeting if meeting is not None and meeting.account_id == ctx.uow.account_id else None


def _mode(
    ctx: PlanContext, timing: ThankYouTiming, answer: Debrief | None, debrief: DebriefRules | None
) -> tuple[Mode | str, str, datetime | None]:
    """The row's mode, the reason it goes to review (or ""), and its deadline."""
    if timing.review is not None:
        return Mode.REVIEW, _REVIEW_REASONS[timing.review], timing.not_after
    if answer is None and debrief is not None and _review_without(debrief):
        # The user's call now, like any review: no deadline of ours expires their draft.
        return Mode.REVIEW, REASON_NO_DEBRIEF, None
    return ctx.modes.thank_you, "", timing.not_after


def _body(
    ctx: PlanContext,
    meeting: Meeting,
    contact: Contact,
    answer: Debrief | None,
    *,
    send_at: datetime,
    review: bool,
    as_of: datetime,
) -> str:
    """The thank-you's text from the debrief stored by now and the referrals known at ``as_of``
    (when the row was first written, for a row rewritten since)."""
    meeting_day = ctx.local(meeting.start_utc).date()
    fields, suggested = people_to_thank(
        ctx.uow.session,
        account_id=ctx.uow.account_id,
        meeting=meeting,
        fields=answer.fields if answer is not None else None,
        as_of=as_of,
        now=ctx.now,
        occurrence=occurrence(meeting),
    )
    said = thank_you_context(
        fields,
        suggested,
        meeting_day=meeting_day,
        send_day=_day_written(meeting_day, ctx.local(send_at).date(), review=review),
        contact_name=contact.name,
    )
    context = {
        **people(ctx.account, contact, introducer(ctx.uow, contact)),
        "meeting": {
            "day": ctx.local(meeting.start_utc).strftime("%A"),
            "when": said.pop("when"),
            "summary": meeting.summary,
        },
        # The user's own notes are never quoted: like what they learned in a debrief, they are
        # private ("salary band 90-110k"). What reaches the contact is the debrief's advice and
        # people, and notes marked --for-update, in an update.
        **said,
    }
    return ctx.text("thank_you", context)


def _day_written(meeting_day: date, send_day: date, *, review: bool) -> date:
    """The day the text is written as of: a review draft may be approved days later, so it
    never says "today" or "yesterday" (as of two days on, the meeting is "on Monday")."""
    return max(send_day, meeting_day + timedelta(days=2)) if review else send_day


def occurrence(meeting: Meeting) -> str:
    """The natural key of the meeting's thank-you row."""
    return f"meeting:{meeting.id}:thanks"


def contact_wrote_since(ctx: PlanContext, contact_id: int, since: datetime) -> bool:
    """Whether the contact wrote (a person, not an auto-reply) after ``since``."""
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


def user_wrote_since(ctx: PlanContext, contact_id: int, since: datetime) -> bool:
    """Whether the user wrote to the contact by hand (not through our outbox) after ``since``."""
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
