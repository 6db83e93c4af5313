"""What each kind of message does to an interview, applied inside the batch's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from models.authority import MessageSuspected, complaint_has_authority
from models.classify import Kind, Relation, ThreadContext, Verdict
from models.draft_match import is_sent_draft
from models.events import (
    AutoReplyReceived,
    BounceReceived,
    ContactOptedOut,
    OutreachSent,
    ReferralSuggested,
    ReplyReceived,
)
from models.interviews import open_interview, try_apply
from models.lifecycle import Event, State
from models.outbox_effects import record_sent
from models.tables import Account, Contact, ContactEmail, Interview, Message, Outbox, Referral
from models.uow import UnitOfWork

# Outbox rows that have not gone out yet and can still be stopped.
UNSENT = ("pending", "draft")


@dataclass
class Effects:
    """The transaction and context effects are applied in, with per-batch lookups cached."""

    uow: UnitOfWork
    now: datetime
    ctx: ThreadContext
    user_addresses: frozenset[str]
    # Interviews with mail not yet sent: only these can need a cancel (most have none).
    unsent: set[int] = field(default_factory=set)
    interviews: dict[int, Interview] = field(default_factory=dict)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @classmethod
    def for_batch(
        cls, uow: UnitOfWork, *, now: datetime, ctx: ThreadContext, user_addresses: frozenset[str]
    ) -> Effects:
        """Effects for one batch, with the outbox rows that could still be stopped loaded once."""
        unsent = set(
            uow.session.scalars(
                select(Outbox.interview_id).where(
                    Outbox.account_id == uow.account_id, Outbox.status.in_(UNSENT)
                )
            )
        )
        latest: dict[int, Interview] = {}
        for interview in uow.session.scalars(
            select(Interview)
            .where(Interview.account_id == uow.account_id, Interview.state != State.CLOSED.value)
            .order_by(Interview.id)
        ):
            latest[interview.contact_id] = interview  # ordered by id: the newest wins
        account = uow.session.get(Account, uow.account_id)
        zone = ZoneInfo(account.timezone if account else "UTC")
        return cls(uow, now, ctx, user_addresses, unsent, latest, zone)

    def latest_interview_id(self, contact_id: int) -> int | None:
        """The contact's newest interview id, if any (cached for the batch)."""
        if contact_id in self.interviews:
            return self.interviews[contact_id].id
        found = self.uow.session.scalars(
            select(Interview)
            .where(Interview.contact_id == contact_id)
            .order_by(Interview.id.desc())
        ).first()
        if found is not None and found.state != State.CLOSED.value:
            self.interviews[contact_id] = found
        return found.id if found is not None else None


def apply_verdict(fx: Effects, message: Message, verdict: Verdict, *, outgoing: bool) -> list[str]:
    """Apply the effects of one newly stored message; return short labels of what changed."""
    if verdict.kind is Kind.SUSPICIOUS:  # first: a forged From of the user's is no sent mail
        message.direction = "in"  # the provider judged it on arrival; its id is none of ours
        return _suspected(fx, message, verdict.notes[0] if verdict.notes else "suspicious")
    if outgoing:
        return _outgoing(fx, message)
    if verdict.kind is Kind.HUMAN:
        return _human(fx, message, verdict)
    if verdict.kind is Kind.AUTO_REPLY:
        return _auto_reply(fx, message, verdict)
    if verdict.kind is Kind.BOUNCE:
        return _bounce(fx, message, verdict)
    if verdict.kind is Kind.COMPLAINT:
        if not complaint_has_authority(fx.ctx, verdict, fx.user_addresses):
            return _suspected(fx, message, "complaint that names no mail of ours")
        return _opt_out(fx, _contacts_for(fx, message, verdict.complainants), "complaint")
    return []  # delay notices, read receipts, attendee responses: recorded, nothing changes


def _suspected(fx: Effects, message: Message, reason: str) -> list[str]:
    """Changes nothing: flagged and recorded for the user to confirm (see models.authority)."""
    message.flags = [*message.flags, "to_confirm"]
    fx.uow.record(
        MessageSuspected(
            occurred_at=fx.now,
            interview_id=message.interview_id,
            contact_id=message.contact_id,
            message_id=message.message_id,
            sender=message.from_addr,
            reason=reason[:500],
        )
    )
    return ["suspected"]


def _interview(fx: Effects, contact_id: int) -> Interview:
    cached = fx.interviews.get(contact_id)
    if cached is not None and cached.state != State.CLOSED.value:
        return cached
    contact = fx.uow.session.get(Contact, contact_id)
    assert contact is not None
    fx.interviews[contact_id] = interview = open_interview(fx.uow, contact, now=fx.now)
    return interview


def _outgoing(fx: Effects, message: Message) -> list[str]:
    # Our own outbox mail seen in Sent (a draft the user sent by hand, or a send whose outcome
    # was unknown): the sender's bookkeeping applies, exactly once.
    row = fx.uow.session.scalars(
        select(Outbox).where(
            Outbox.account_id == fx.uow.account_id, Outbox.message_id == message.message_id
        )
    ).first()
    if row is not None:
        if row.status in ("draft", "sending", "needs_review", "pending"):
            row.status, row.sent_at = "sent", message.date or fx.now
        message.interview_id = row.interview_id
        return ["outbox-sent"] if record_sent(fx.uow, row, now=fx.now) else []
    draft = _draft_sent_by_hand(fx, message)
    if draft is not None:
        draft.status, draft.sent_at = "sent", message.date or fx.now
        message.interview_id = draft.interview_id
        return ["draft-sent-by-user"] if record_sent(fx.uow, draft, now=fx.now) else []
    # The user's own mail (from the phone, say) to a contact.
    if message.contact_id is None:
        return []
    interview = _interview(fx, message.contact_id)
    message.interview_id = interview.id
    if interview.state == State.HELD.value:
        # Mail the user writes to someone after meeting them is their thank-you: ours would
        # be a second one.
        try_apply(fx.uow, interview, Event.THANK_YOU_SENT, now=fx.now, cause="sent-folder")
        _cancel_unsent(fx, [interview.id], kinds=("thank_you",))
        return ["thanked-by-user"]
    if interview.state not in (State.PLANNED.value, State.UNDELIVERABLE.value):
        return []
    interview.outreach_message_id = message.message_id
    interview.thread_subject = message.subject
    # The interview was requested when the mail went, not when we noticed it.
    sent_at = min(message.date, fx.now) if message.date else fx.now
    try_apply(fx.uow, interview, Event.OUTREACH_SENT, now=sent_at, cause="sent-folder")
    fx.uow.record(
        OutreachSent(
            occurred_at=message.date or fx.now,
            interview_id=interview.id,
            contact_id=message.contact_id,
            message_id=message.message_id,
            by="user",
        )
    )
    return ["outreach"]


def _draft_sent_by_hand(fx: Effects, message: Message) -> Outbox | None:
    """A draft of ours the user sent from their client, which gave it a new Message-ID."""
    if not message.to_addrs:
        return None
    drafts = fx.uow.session.scalars(
        select(Outbox).where(
            Outbox.account_id == fx.uow.account_id,
            Outbox.status == "draft",
            func.lower(Outbox.to_addr).in_([a.lower() for a in message.to_addrs]),
        )
    )
    return next(
        (
            row
            for row in drafts
            if is_sent_draft(
                draft_to=row.to_addr,
                draft_subject=row.subject,
                placed_at=row.claimed_at,
                sent_to=message.to_addrs,
                sent_subject=message.subject or "",
                sent_at=message.date,
            )
        ),
        None,
    )


def _human(fx: Effects, message: Message, verdict: Verdict) -> list[str]:
    if message.contact_id is None or message.relation != Relation.REPLY.value:
        return []
    interview = _interview(fx, message.contact_id)
    message.interview_id = interview.id
    labels = []
    if verdict.opt_out:
        return _opt_out(fx, [message.contact_id], "asked not to be contacted")
    if try_apply(fx.uow, interview, Event.REPLY_RECEIVED, now=fx.now, cause="reply"):
        fx.uow.record(
            ReplyReceived(
                occurred_at=message.date or fx.now,
                interview_id=interview.id,
                contact_id=message.contact_id,
                message_id=message.message_id,
                rule=verdict.rule,
            )
        )
        labels.append("reply")
    interview.paused_until = None
    if _cancel_unsent(fx, [interview.id], kinds=("nudge",)):
        labels.append("nudge-cancelled")
    labels += _referrals(fx, message, verdict)
    return labels


def _auto_reply(fx: Effects, message: Message, verdict: Verdict) -> list[str]:
    if message.contact_id is None:
        return []
    interview = _interview(fx, message.contact_id)
    message.interview_id = interview.id
    if verdict.return_date is not None:
        interview.paused_until = datetime.combine(verdict.return_date, time(0), fx.zone)
    fx.uow.record(
        AutoReplyReceived(
            occurred_at=message.date or fx.now,
            interview_id=interview.id,
            contact_id=message.contact_id,
            message_id=message.message_id,
            return_date=verdict.return_date,
        )
    )
    return ["auto-reply"]


def _bounce(fx: Effects, message: Message, verdict: Verdict) -> list[str]:
    contacts = _contacts_for(fx, message, verdict.failed_recipients)
    labels = []
    for contact_id in contacts:
        addresses = [a for a in verdict.failed_recipients] or _outreach_addresses(fx, contact_id)
        fx.uow.session.execute(
            update(ContactEmail)
            .where(ContactEmail.contact_id == contact_id, ContactEmail.address.in_(addresses))
            .values(status="bounced", status_changed_at=fx.now)
        )
        interview = _interview(fx, contact_id)
        message.interview_id = message.interview_id or interview.id
        try_apply(fx.uow, interview, Event.BOUNCED, now=fx.now, cause="bounce")
        fx.uow.record(
            BounceReceived(
                occurred_at=message.date or fx.now,
                interview_id=interview.id,
                contact_id=contact_id,
                message_id=message.message_id,
                addresses=tuple(addresses),
            )
        )
        _cancel_unsent(fx, [interview.id], kinds=None)
        labels.append("bounce")
    return labels


def _opt_out(fx: Effects, contact_ids: Iterable[int], reason: str) -> list[str]:
    labels = []
    for contact_id in contact_ids:
        contact = fx.uow.session.get(Contact, contact_id)
        if contact is None:
            continue
        contact.do_not_contact = True
        interviews = list(
            fx.uow.session.scalars(
                select(Interview).where(
                    Interview.contact_id == contact_id, Interview.state != State.CLOSED.value
                )
            )
        )
        for interview in interviews:
            try_apply(fx.uow, interview, Event.OPTED_OUT, now=fx.now, cause=reason)
            interview.closed_reason = reason
        _cancel_unsent(fx, [i.id for i in interviews], kinds=None)
        fx.uow.record(ContactOptedOut(occurred_at=fx.now, contact_id=contact_id, reason=reason))
        labels.append("opt-out")
    return labels


def _contacts_for(fx: Effects, message: Message, addresses: Iterable[str]) -> list[int]:
    found = {fx.ctx.contact_addresses[a] for a in addresses if a in fx.ctx.contact_addresses}
    if not found and message.contact_id is not None:
        found.add(message.contact_id)
    if not found:
        # A bounce that names no recipient still quotes the Message-ID of what it returns.
        refs = {message.in_reply_to, *message.references} - {None}
        found |= {
            c
            for c in fx.uow.session.scalars(
                select(Message.contact_id).where(
                    Message.account_id == fx.uow.account_id, Message.message_id.in_(refs)
                )
            )
            if c
        }
    return sorted(found)


def _outreach_addresses(fx: Effects, contact_id: int) -> list[str]:
    return sorted(
        a
        for a, c in fx.ctx.contact_addresses.items()
        if c == contact_id and a in fx.ctx.outreach_recipients.get(contact_id, frozenset())
    )


def _cancel_unsent(fx: Effects, interview_ids: list[int], *, kinds: tuple[str, ...] | None) -> int:
    interview_ids = [i for i in interview_ids if i in fx.unsent]
    if not interview_ids:
        return 0
    stmt = update(Outbox).where(Outbox.interview_id.in_(interview_ids), Outbox.status.in_(UNSENT))
    if kinds is not None:
        stmt = stmt.where(Outbox.kind.in_(kinds))
    result = fx.uow.session.execute(stmt.values(status="cancelled", last_error="superseded"))
    return int(getattr(result, "rowcount", 0) or 0)


def _referrals(fx: Effects, message: Message, verdict: Verdict) -> list[str]:
    if not verdict.suggested_addresses:
        return []  # most replies name nobody: skip the scan of every contact address below
    labels = []
    assert message.contact_id is not None
    own = {a for a, c in fx.ctx.contact_addresses.items() if c == message.contact_id}
    for address in verdict.suggested_addresses:
        address = address.lower()
        if address in own or address in fx.user_addresses:
            continue
        exists = fx.uow.session.scalars(
            select(Referral.id).where(
                Referral.account_id == fx.uow.account_id,
                Referral.from_contact_id == message.contact_id,
                Referral.address == address,
            )
        ).first()
        if exists:
            continue
        fx.uow.session.add(
            Referral(
                account_id=fx.uow.account_id,
                from_contact_id=message.contact_id,
                address=address,
                to_contact_id=fx.ctx.contact_addresses.get(address),
                status="proposed",
                source_message_id=message.message_id,
                created_at=fx.now,
            )
        )
        fx.uow.record(
            ReferralSuggested(
                occurred_at=fx.now,
                interview_id=message.interview_id,
                contact_id=message.contact_id,
                address=address,
            )
        )
        labels.append("referral")
    return labels
