"""Updates: telling people who helped how it went, only when there is news.

News for a contact: someone they introduced has been met; since the last thank-you or update
they got, a note the user marked ``--for-update``; a promise the user kept or advice they acted
on for this contact (``coffeechat done``; phrased by ``kept_news``, never a line the contact
already had in an earlier email); a milestone the user recorded (which goes to everyone who
helped: interviews ``thanked`` or ``updated``). Each item is told once: the update that carries
it is recorded with it, and it counts as told while that update went out or still will; an
update dropped in review, cancelled or failed leaves its news for the next one (``told.py``).
The interval counts from that last thank-you or update, so nobody hears from the user twice in
a few days; news waits, it is never dropped. Occurrence ``milestone:<id>`` when a milestone is
in it (so one milestone reaches each person once), else ``update:<local date>``.

An introducer hears that someone they introduced was met only once that meeting is settled:
it ended more than the thank-you deadline plus ``MET_MARGIN`` ago (``met_news_at``), and the
met person's thank-you for it went, or was given up (failed, cancelled, the user wrote their own
after the meeting, or the meeting is past ``THANK_YOU_GIVE_UP``, when none will be written). A
thank-you still pending, in Drafts or unsettled holds the introducer's news back until that
give-up time (a draft the user never approves must not silence the introducer for ever). So
the introducer never hears of a call minutes after it ended, nor before the person met was
thanked while that can still happen.
Whether the meeting was held is known from the calendar; it is told once, whenever it became
known, so a meeting learned late is still news.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from coffeechat.models.followups.cadence import (
    THANK_YOU_GIVE_UP,
    CadenceRules,
    next_send_time,
    update_allowed,
)
from coffeechat.models.followups.kept_news import news_lines
from coffeechat.models.followups.mail import (
    PlanContext,
    Planned,
    introducer,
    people,
    recipient,
    thread_of,
)
from coffeechat.models.followups.promises import Item, kept_news, mark_reported
from coffeechat.models.followups.told import mark, untold
from coffeechat.models.interviews.fact_times import written_at
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.states import OUT_OR_GOING, WAITING, Kind
from coffeechat.models.store.tables import (
    Contact,
    Interview,
    Meeting,
    Message,
    Milestone,
    Note,
    Outbox,
    Referral,
)

HELPED = (State.THANKED.value, State.UPDATED.value)

# Past the thank-you's deadline, the send that was due then has had its chance too.
MET_MARGIN = timedelta(hours=2)


def met_news_at(meeting_end: datetime, cadence: CadenceRules) -> datetime:
    """The earliest moment a meeting that ended then is news for its introducer."""
    return meeting_end + _met_delay(cadence)


def _met_delay(cadence: CadenceRules) -> timedelta:
    return timedelta(hours=cadence.thank_you_deadline_hours) + MET_MARGIN


@dataclass
class News:
    """What there is to tell one contact."""

    met: list[str] = field(default_factory=list)
    met_ids: list[int] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    kept: list[Item] = field(default_factory=list)  # done, not yet reported: all marked told
    kept_lines: list[str] = field(default_factory=list)  # their words, none the contact had

    def __bool__(self) -> bool:
        """True when there is anything at all to report."""
        return bool(self.met or self.notes or self.milestones or self.kept_lines)


def plan_updates(ctx: PlanContext) -> list[str]:
    """Create an update for each contact who helped and has news, at most once per interval."""
    newest: dict[int, tuple[Interview, Contact]] = {}
    for interview, contact in ctx.uow.session.execute(
        select(Interview, Contact)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(Interview.account_id == ctx.uow.account_id, Interview.state.in_(HELPED))
        .order_by(Interview.id)
    ):
        newest[contact.id] = (interview, contact)
    labels: list[str] = []
    interval = timedelta(days=ctx.cadence.update_interval_days)
    if _window_opens(ctx) > ctx.now:
        # Written only when it can go at once (weekdays, in the window): an update written on
        # Saturday for Monday would leave out what happened in between.
        return labels
    for interview, contact in newest.values():
        to = recipient(contact)
        last = last_touch(ctx, contact.id)
        if to is None or not update_allowed(last, ctx.now, interval):
            continue
        since = last_touch(ctx, contact.id, written=True)
        news = gather_news(ctx, contact, since=since or interview.created_at)
        if news and _plan_one(ctx, interview, contact, to, news):
            labels.append("update")
    return labels


def _window_opens(ctx: PlanContext) -> datetime:
    """The first time at or after now an update may go (weekdays, in the send window)."""
    cad = ctx.cadence
    return next_send_time(ctx.now, zone=ctx.zone, window_start=cad.send_window_start,
                          window_end=cad.send_window_end, weekdays_only=True)  # fmt: skip


def why_no_update(session: Session, contact_id: int | None) -> str | None:
    """Why no update can tell the contact anything now (None: one can, at the interval)."""
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    if contact is None:
        return "the contact was removed"
    name = contact.name or "the contact"
    if contact.do_not_contact:
        return f"{name} is marked do-not-contact"
    if recipient(contact) is None:
        return f"{name} has no usable email address (`coffeechat contacts edit --add-email`)"
    helped = select(Interview.id).where(
        Interview.contact_id == contact.id, Interview.state.in_(HELPED)
    )
    if session.scalar(helped.limit(1)) is None:
        return (
            f"{name} has not been thanked yet: updates go to people already thanked, "
            "so it waits until then"
        )
    return None


def last_touch(
    ctx: PlanContext, contact_id: int, *, written: bool = False
) -> datetime | None:
    """When the contact last got (or will get) a thank-you or update, ours or the user's own.

    ``written``: for ours, when its text was decided (the row's creation) rather than when it
    goes. News is gathered since then: an update written on a Saturday goes on Monday, and a
    milestone recorded in between is news for the next one, not lost between the two times.
    """
    ours = _last_outbox_touch(ctx, contact_id, written=written)
    # Mail the user wrote themselves (a thank-you from their phone) counts as a touch too.
    by_hand = ctx.uow.session.scalar(
        select(func.max(written_at)).where(
            Message.contact_id == contact_id,
            Message.direction == "out",
            Message.message_id.not_in(select(Outbox.message_id)),
        )
    )
    return max((t for t in (ours, by_hand) if t is not None), default=None)


def _last_outbox_touch(
    ctx: PlanContext, contact_id: int, *, written: bool = False
) -> datetime | None:
    when = Outbox.created_at if written else Outbox.not_before
    return ctx.uow.session.scalar(
        select(when)
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(
            Interview.contact_id == contact_id,
            Outbox.kind.in_((Kind.THANK_YOU, Kind.UPDATE)),
            # Rows that went out or still will: a failed or cancelled one was no touch.
            Outbox.status.in_(OUT_OR_GOING),
        )
        .order_by(when.desc())
        .limit(1)
    )


def gather_news(ctx: PlanContext, contact: Contact, *, since: datetime) -> News:
    """Everything worth telling ``contact`` that happened after ``since``."""
    s, now = ctx.uow.session, ctx.now
    introduced = select(Contact.id).where(Contact.introduced_by_id == contact.id)
    referred = select(Referral.to_contact_id).where(
        Referral.from_contact_id == contact.id,
        Referral.to_contact_id.is_not(None),
        Referral.status != "dismissed",
    )
    held = [
        Meeting.contact_id == Contact.id,
        Meeting.status != "CANCELLED",
        Meeting.end_utc <= now - _met_delay(ctx.cadence),
        _thanks_settled(now),
    ]
    if ctx.account.connected_at is not None:
        # History from before coffeechat watched is not news it discovered.
        held.append(Meeting.end_utc > ctx.account.connected_at)
    met = s.execute(
        select(Contact.id, Contact.name)
        .where(
            or_(Contact.id.in_(introduced), Contact.id.in_(referred)),
            untold(Contact),
            Contact.id != contact.id,
            select(Meeting.id).where(*held).exists(),
        )
        .order_by(Contact.name, Contact.id)
    ).all()
    notes = s.scalars(
        select(Note)
        .where(
            Note.contact_id == contact.id,
            Note.for_update.is_(True),
            untold(Note),
            Note.created_at <= now,
        )
        .order_by(Note.id)
    )
    milestones = s.scalars(
        select(Milestone)
        .where(
            Milestone.account_id == ctx.uow.account_id,
            Milestone.recorded_at > since,
            Milestone.recorded_at <= now,
        )
        .order_by(Milestone.id)
    )
    notes_now = list(notes)
    kept = kept_news(s, contact.id, now)
    # Nothing the contact had in an earlier email, nor a line a note in this one already says.
    told = [*told_before(ctx, contact.id), *(n.text for n in notes_now)]
    lines = news_lines(kept, told) if kept else []
    return News([n for _, n in met], [i for i, _ in met], notes_now, list(milestones),
                kept, lines)  # fmt: skip


def _thanks_settled(now: datetime) -> Any:
    """SQL: the thank-you for the enclosing query's Meeting went or was given up."""
    thanks = select(Outbox.id).where(
        Outbox.interview_id == Meeting.interview_id,
        Outbox.kind == Kind.THANK_YOU,
        Outbox.occurrence == literal("meeting:").concat(cast(Meeting.id, String)).concat(":thanks"),
    )
    by_hand = select(Message.id).where(
        Message.contact_id == Meeting.contact_id,
        Message.direction == "out",
        written_at > Meeting.end_utc,
        Message.message_id.not_in(
            select(Outbox.message_id).where(Outbox.account_id == Meeting.account_id)
        ),
    )
    given_up = Meeting.end_utc <= now - THANK_YOU_GIVE_UP
    # A thank-you left in Drafts (review rows have no deadline) holds the news back only until
    # the give-up time: after a week the introducer hears of the meeting anyway.
    return or_(
        given_up,
        ~thanks.where(Outbox.status.in_(WAITING)).exists()
        & or_(thanks.where(Outbox.status.not_in(WAITING)).exists(), by_hand.exists()),
    )


def told_before(ctx: PlanContext, contact_id: int) -> list[str]:
    """The bodies of the emails the contact got or will get from us (newest 50)."""
    return list(
        ctx.uow.session.scalars(
            select(Outbox.body_text)
            .join(Interview, Interview.id == Outbox.interview_id)
            .where(Interview.contact_id == contact_id, Outbox.status.in_(OUT_OR_GOING))
            .order_by(Outbox.id.desc())
            .limit(50)
        )
    )


def update_context(ctx: PlanContext, contact: Contact, news: News) -> dict[str, object]:
    """What the update template needs to tell ``news`` to ``contact``."""
    return {
        **people(ctx.account, contact, introducer(ctx.uow, contact)),
        "met": news.met,
        "kept": news.kept_lines,
        "news": [n.text for n in news.notes],
        "milestones": [m.text for m in news.milestones],
    }


def mark_told(ctx: PlanContext, news: News, row: Outbox) -> None:
    """Record that ``row`` (an update) tells ``news``: while it goes, no update repeats any."""
    s, now = ctx.uow.session, ctx.now
    mark(s, Contact, news.met_ids, row_id=row.id, now=now)
    mark(s, Note, [n.id for n in news.notes], row_id=row.id, now=now)
    # Every kept item, also one whose line the contact had already: it is told either way.
    mark_reported(s, news.kept, now, row_id=row.id)


def _again(ctx: PlanContext, interview_id: int, occurrence: str) -> str:
    """``occurrence``, or ``<occurrence>:<n>`` when every update by that key reached nobody:
    its news is news again, and the key must not block the update that tells it."""
    statuses = list(
        ctx.uow.session.scalars(
            select(Outbox.status).where(
                Outbox.interview_id == interview_id,
                Outbox.kind == Kind.UPDATE,
                or_(
                    Outbox.occurrence == occurrence,
                    Outbox.occurrence.startswith(f"{occurrence}:", autoescape=True),
                ),
            )
        )
    )
    if not statuses or any(s in OUT_OR_GOING for s in statuses):
        return occurrence  # new, or it went or will: the key keeps it once
    return f"{occurrence}:{len(statuses) + 1}"


def _plan_one(
    ctx: PlanContext, interview: Interview, contact: Contact, to: str, news: News
) -> bool:
    context = update_context(ctx, contact, news)
    send_at = _window_opens(ctx)
    occurrence = (
        f"milestone:{news.milestones[-1].id}"
        if news.milestones
        else f"update:{ctx.local(ctx.now).date().isoformat()}"
    )
    planned = Planned(
        interview_id=interview.id,
        kind=Kind.UPDATE,
        occurrence=_again(ctx, interview.id, occurrence),
        to_addr=to,
        subject="A quick update",
        body=ctx.text("update", context),
        mode=ctx.modes.update,
        not_before=send_at,
        thread=thread_of(ctx.uow, interview),
    )
    row = ctx.add(planned)
    if row is None:
        return False
    mark_told(ctx, news, row)  # told once, in this email (while it goes)
    return True
