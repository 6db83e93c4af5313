"""When a message happened, for every effect that compares the times of two facts.

A Date header is written by the sender's client: it can be missing, or lie (a wrong clock, a
message dated in the future). The time of a message is its Date, but never later than the
moment we recorded it (we cannot have seen mail that was not written yet); without a Date it
is when we recorded it. Effects compare these times, never the order in which mail was read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from coffeechat.models.classify import Kind, Relation
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.states import Kind as MailKind
from coffeechat.models.outbox.states import Status
from coffeechat.models.store.tables import Interview, Meeting, Message, Outbox
from coffeechat.models.store.uow import UnitOfWork


def message_time(date: datetime | None, recorded_at: datetime) -> datetime:
    """The time a message counts as written: its Date, capped by when it was recorded."""
    return recorded_at if date is None else min(date, recorded_at)


def time_of(message: Message) -> datetime:
    """message_time of a stored message."""
    return message_time(message.date, message.recorded_at)


# The same rule in SQL, for queries that compare a message's time with another fact's.
written_at: Any = case(
    (Message.date.is_(None), Message.recorded_at),
    (Message.date < Message.recorded_at, Message.date),
    else_=Message.recorded_at,
)


def message_times(
    uow: UnitOfWork, contact_id: int, *, direction: str, kinds: tuple[str, ...] = ()
) -> list[datetime]:
    """The times of the contact's stored messages in one direction (of some kinds)."""
    stmt = select(Message.date, Message.recorded_at).where(
        Message.account_id == uow.account_id,
        Message.contact_id == contact_id,
        Message.direction == direction,
    )
    if kinds:
        stmt = stmt.where(Message.kind.in_(kinds))
    return [message_time(d, r) for d, r in uow.session.execute(stmt)]


def wrote_before(uow: UnitOfWork, contact_id: int, address: str | None, at: datetime) -> bool:
    """Whether mail of ours went to the contact (at ``address``, if given) by ``at``.

    A tie counts: Date headers have whole seconds, and an answer cannot precede its question.
    """
    for to, cc in uow.session.execute(
        select(Message.to_addrs, Message.cc_addrs).where(
            Message.account_id == uow.account_id,
            Message.contact_id == contact_id,
            Message.direction == "out",
            written_at <= at,
        )
    ):
        if address is None or address in {a.lower() for a in (*to, *cc)}:
            return True
    sent = (
        select(Outbox.id)
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(
            Outbox.account_id == uow.account_id,
            Interview.contact_id == contact_id,
            Outbox.status == Status.SENT,
            Outbox.kind != MailKind.PREP_SHEET,
            Outbox.sent_at <= at,
        )
    )
    if address is not None:
        sent = sent.where(func.lower(Outbox.to_addr) == address)
    return uow.session.scalars(sent).first() is not None


def first_mail_times(uow: UnitOfWork) -> dict[str, datetime]:
    """When mail of ours (the user's in Sent, or coffeechat's sent outbox) first went to each
    address: the same facts as :func:`wrote_before`, for a whole batch at once."""
    first: dict[str, datetime] = {}

    def note(address: str, at: datetime) -> None:
        address = address.lower()
        first[address] = min(first.get(address, at), at)

    for to, cc, written, recorded in uow.session.execute(
        select(Message.to_addrs, Message.cc_addrs, Message.date, Message.recorded_at).where(
            Message.account_id == uow.account_id,
            Message.direction == "out",
            Message.contact_id.is_not(None),
        )
    ):
        for address in (*to, *cc):
            note(address, message_time(written, recorded))
    for address, sent_at in uow.session.execute(
        select(Outbox.to_addr, Outbox.sent_at).where(
            Outbox.account_id == uow.account_id,
            Outbox.status == Status.SENT,
            Outbox.kind != MailKind.PREP_SHEET,
            Outbox.sent_at.is_not(None),
        )
    ):
        if sent_at is not None:
            note(address, sent_at)
    return first


def bounce_closes(uow: UnitOfWork, contact_id: int, at: datetime) -> bool:
    """A bounce at ``at`` closes the request only if it can have returned the user's latest
    mail: mail of ours went before it, and none after (that would be a newer request)."""
    if not wrote_before(uow, contact_id, None, at):
        return False
    return not any(t > at for t in message_times(uow, contact_id, direction="out"))


def held_since(uow: UnitOfWork, interview: Interview) -> datetime | None:
    """When the meeting that made the interview ``held`` ended (None unless it is held)."""
    if interview.state != State.HELD.value:
        return None
    return uow.session.scalar(
        select(func.max(Meeting.end_utc)).where(
            Meeting.interview_id == interview.id,
            Meeting.status != "CANCELLED",
            Meeting.ended_handled.is_(True),
        )
    )


def keeps_outreach(uow: UnitOfWork, current: str, message_id: str, at: datetime) -> bool:
    """Whether the interview's outreach ``current`` stays when the user's mail ``message_id``
    (written at ``at``) is read: coffeechat's own outreach does, and an earlier mail does
    (ties go to the smaller Message-ID, so the choice never depends on what was read first)."""
    if uow.session.scalar(select(Outbox.id).where(Outbox.message_id == current)) is not None:
        return True
    earlier = uow.session.scalars(
        select(Message).where(
            Message.account_id == uow.account_id,
            Message.message_id == current,
            Message.direction == "out",
        )
    ).first()
    return earlier is None or (time_of(earlier), earlier.message_id) <= (at, message_id)


@dataclass(frozen=True)
class PauseFacts:
    """What decides a contact's pause: their latest auto-reply with a return date (ties go to
    the larger Message-ID) and the latest mail they wrote themselves."""

    auto: tuple[datetime, str, date] | None = None
    human: datetime | None = None

    def plus(self, message: Message) -> PauseFacts:
        """The facts with one more stored message of the contact's."""
        return self.add(
            message.kind, message.relation, time_of(message), message.message_id,
            message.return_date,
        )  # fmt: skip

    def add(
        self, kind: str, relation: str | None, at: datetime, mid: str, back: date | None
    ) -> PauseFacts:
        """The facts with one more message, given by its parts."""
        if kind == Kind.HUMAN.value and relation != Relation.SUSPICIOUS.value:
            return replace(self, human=at if self.human is None else max(self.human, at))
        if kind == Kind.AUTO_REPLY.value and back is not None:
            key = (at, mid, back)
            if self.auto is None or key[:2] > self.auto[:2]:
                return replace(self, auto=key)
        return self

    def until(self, zone: ZoneInfo) -> datetime | None:
        """The pause: the start of the return day, unless the contact wrote after the notice."""
        if self.auto is None or (self.human is not None and self.human > self.auto[0]):
            return None
        return datetime.combine(self.auto[2], time(0), zone)


def pause_facts(uow: UnitOfWork) -> dict[int, PauseFacts]:
    """The PauseFacts of every contact, from everything stored (one query)."""
    facts: dict[int, PauseFacts] = {}
    for contact_id, kind, relation, written, recorded, mid, back in uow.session.execute(
        select(
            Message.contact_id,
            Message.kind,
            Message.relation,
            Message.date,
            Message.recorded_at,
            Message.message_id,
            Message.return_date,
        ).where(
            Message.account_id == uow.account_id,
            Message.contact_id.is_not(None),
            Message.direction == "in",
            Message.kind.in_((Kind.AUTO_REPLY.value, Kind.HUMAN.value)),
        )
    ):
        if contact_id is not None:
            at = message_time(written, recorded)
            known = facts.get(contact_id, PauseFacts())
            facts[contact_id] = known.add(kind, relation, at, mid, back)
    return facts


def outreach_sent_at(session: Session, account_id: int, interview: Interview) -> datetime:
    """When the interview's outreach went: its message's time, else the sent outbox row's.

    The planner times the nudge from it, and followups/next_due.py wakes the service for it.
    """
    mid = interview.outreach_message_id
    when = (
        session.scalar(
            select(written_at).where(Message.account_id == account_id, Message.message_id == mid)
        )
        if mid
        else None
    )
    when = when or session.scalar(
        select(Outbox.sent_at)
        .where(Outbox.interview_id == interview.id, Outbox.kind == MailKind.OUTREACH)
        .where(Outbox.status == Status.SENT)
        .order_by(Outbox.id.desc())
    )
    # The move to "requested" happened when the outreach was seen going out.
    return when or interview.state_changed_at
