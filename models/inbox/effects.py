"""What each kind of message does to an interview, applied inside the batch's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from coffeechat.models.classify import Kind, Relation, ThreadContext, Verdict, match_reply
from coffeechat.models.debrief.store import take_answer
from coffeechat.models.followups.introductions import answered_introduction
from coffeechat.models.inbox.draft_match import is_sent_draft
from coffeechat.models.interviews.authority import MessageSuspected, complaint_has_authority
from coffeechat.models.interviews.fact_times import (
    PauseFacts,
    bounce_closes,
    first_mail_times,
    held_since,
    keeps_outreach,
    message_time,
    message_times,
    pause_facts,
    time_of,
    written_at,
)
from coffeechat.models.interviews.lifecycle import Event, State
from coffeechat.models.interviews.moves import open_interview, try_apply
from coffeechat.models.outbox.effects import record_sent
from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import UNSENT, Move, Status
from coffeechat.models.outbox.states import Kind as MailKind
from coffeechat.models.store.events import (
    AutoReplyReceived,
    BounceReceived,
    ContactOptedOut,
    OutreachSent,
    ReferralSuggested,
    ReplyReceived,
)
from coffeechat.models.store.tables import (
    Account,
    Contact,
    ContactEmail,
    Interview,
    Message,
    Outbox,
    Referral,
)
from coffeechat.models.store.uow import UnitOfWork

# Rows of ours that a copy in Sent shows went out (a cancelled or failed one is left as it is).
SEEN_SENT_FROM = (Status.PENDING, Status.DRAFT, Status.SENDING, Status.NEEDS_REVIEW)
# Message flags: a contact's answer waiting for an earlier mail of ours to its sender to be read
# (Sent may be read after INBOX), and whether it asked not to be contacted.
PENDING = "reply-pending"
OPT_OUT = "opt-out"


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
    # Each contact's pause facts, loaded on first use and kept current.
    pauses: dict[int, PauseFacts] | None = None
    # When mail of ours first went to each address (loaded on first use, kept current).
    first_written: dict[str, datetime] | None = None

    @classmethod
    def for_batch(
        cls, uow: UnitOfWork, *, now: datetime, ctx: ThreadContext, user_addresses: frozenset[str]
    ) -> Effects:
        """Effects for one batch, with the outbox rows that could still be stopped loaded once."""
        unsent = {
            interview_id
            for interview_id in uow.session.scalars(
                select(Outbox.interview_id).where(
                    Outbox.account_id == uow.account_id, Outbox.status.in_(UNSENT)
                )
            )
            if interview_id is not None  # the digest is about no interview: nothing stops it
        }
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

    def wrote_to_by(self, address: str, at: datetime) -> bool:
        """Whether mail of ours went to ``address`` at or before ``at`` (one query a batch)."""
        if self.first_written is None:
            self.first_written = first_mail_times(self.uow)
        first = self.first_written.get(address)
        return first is not None and first <= at

    def wrote_to(self, addresses: Iterable[str], at: datetime) -> None:
        """Keep first_written current after a mail of ours was recorded."""
        if self.first_written is not None:
            for address in addresses:
                known = self.first_written.get(address.lower())
                self.first_written[address.lower()] = at if known is None else min(known, at)

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
    debriefed = _debrief_answer(fx, message, verdict)
    if debriefed is not None:  # about a debrief request: the user's answer, or refused
        return debriefed
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


def _debrief_answer(fx: Effects, message: Message, verdict: Verdict) -> list[str] | None:
    """Mail naming a debrief request is the user's answer or nothing; never a contact's reply."""
    if not {verdict.mail.in_reply_to, *verdict.mail.references} & fx.ctx.our_message_ids:
        return None  # names no mail of ours at all (most mail): no query
    account = fx.uow.session.get(Account, fx.uow.account_id)
    assert account is not None
    at = message_time(message.date, fx.now)
    labels = take_answer(
        fx.uow, message_id=message.message_id, in_reply_to=verdict.mail.in_reply_to,
        references=verdict.mail.references, from_addrs=verdict.mail.from_addrs,
        by_person=verdict.kind is Kind.HUMAN, text=verdict.mail.text_body,
        own=(account.email, *account.other_addresses), written_at=at,
        today=at.astimezone(fx.zone).date(), now=fx.now,
    )  # fmt: skip
    if labels is not None:
        message.flags = [*message.flags, "debrief" if "debrief-refused" not in labels else
                         "debrief-refused"]  # fmt: skip
    return labels


def _suspected(fx: Effects, message: Message, reason: str) -> list[str]:
    """Changes nothing: flagged and recorded for the user to confirm (interviews/authority.py)."""
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
    if contact.do_not_contact:
        # Mail dated before the opt-out, read after it, belongs to the closed conversation:
        # opening a new one would make the outcome depend on which was read first.
        last = fx.uow.session.scalars(
            select(Interview)
            .where(Interview.contact_id == contact_id)
            .order_by(Interview.id.desc())
        ).first()
        if last is not None:
            return last
    fx.interviews[contact_id] = interview = open_interview(fx.uow, contact, now=fx.now)
    return interview


def _outgoing(fx: Effects, message: Message) -> list[str]:
    # Our own outbox mail seen in Sent (a draft the user sent by hand, or a send whose outcome
    # was unknown): the sender's bookkeeping applies, exactly once.
    at = message_time(message.date, fx.now)
    if message.contact_id is not None or message.message_id in fx.ctx.our_message_ids:
        fx.wrote_to((*message.to_addrs, *message.cc_addrs), at)
    row = fx.uow.session.scalars(
        select(Outbox).where(
            Outbox.account_id == fx.uow.account_id, Outbox.message_id == message.message_id
        )
    ).first()
    if row is not None:
        # Conditional on the status in the database, not on the one read here: a row the
        # sender marked sent meanwhile keeps its own time.
        move(fx.uow.session, Move.CONFIRM_SENT, Outbox.id == row.id, frm=SEEN_SENT_FROM,
             sent_at=at)  # fmt: skip
        message.interview_id = row.interview_id
        labels = ["outbox-sent"] if record_sent(fx.uow, row, now=fx.now) else []
        return labels + _answers_to_outbox(fx, row, message, at)
    draft = _draft_sent_by_hand(fx, message)
    if draft is not None:
        move(fx.uow.session, Move.CONFIRM_SENT, Outbox.id == draft.id, frm=Status.DRAFT,
             sent_at=at)  # fmt: skip
        message.interview_id = draft.interview_id
        labels = ["draft-sent-by-user"] if record_sent(fx.uow, draft, now=fx.now) else []
        return labels + _answers_to_outbox(fx, draft, message, at)
    # The user's own mail (from the phone, say) to a contact.
    if message.contact_id is None:
        return []
    interview = _interview(fx, message.contact_id)
    message.interview_id = interview.id
    _record_thread(fx, interview, message, at)
    ended = held_since(fx.uow, interview)
    if ended is not None and at > ended:
        # Mail the user writes to someone after meeting them is their thank-you: ours would
        # be a second one. Mail written before the meeting ended is not, whenever it is read.
        try_apply(fx.uow, interview, Event.THANK_YOU_SENT, now=at, cause="sent-folder")
        _cancel_unsent(fx, [interview.id], kinds=(MailKind.THANK_YOU,))
        return ["thanked-by-user", *_answers_after(fx, interview, message, at)]
    labels = []
    if _opens_request(fx, interview, at):
        # The interview was requested when the mail went, not when we noticed it.
        try_apply(fx.uow, interview, Event.OUTREACH_SENT, now=at, cause="sent-folder")
        fx.uow.record(
            OutreachSent(
                occurred_at=at,
                interview_id=interview.id,
                contact_id=message.contact_id,
                message_id=message.message_id,
                by="user",
            )
        )
        labels.append("outreach")
    return labels + _answers_after(fx, interview, message, at)


def _answers_to_outbox(fx: Effects, row: Outbox, message: Message, at: datetime) -> list[str]:
    """Replies read before we knew this mail of ours went out (its outcome was unknown)."""
    if row.interview_id is None or row.kind == MailKind.PREP_SHEET:
        return []  # mail to the user (prep sheet, digest) is answered by no contact
    interview = fx.uow.session.get(Interview, row.interview_id)
    if interview is None:
        return []
    return _answers_after(fx, interview, message, at)


def _record_thread(fx: Effects, interview: Interview, message: Message, at: datetime) -> None:
    """The user's earliest mail to the contact is the interview's outreach, read in any order."""
    current = interview.outreach_message_id
    if current is not None and keeps_outreach(fx.uow, current, message.message_id, at):
        return
    interview.outreach_message_id = message.message_id
    interview.thread_subject = message.subject


def _opens_request(fx: Effects, interview: Interview, at: datetime) -> bool:
    if interview.state == State.PLANNED.value:
        return True
    if interview.state != State.UNDELIVERABLE.value:
        return False
    # A fresh request after a bounce; a mail older than the bounce is what bounced.
    bounced = message_times(
        fx.uow, interview.contact_id, direction="in", kinds=(Kind.BOUNCE.value,)
    )
    return not bounced or at > max(bounced)


def _answers_after(fx: Effects, interview: Interview, message: Message, at: datetime) -> list[str]:
    """Replies and bounces read before this mail of ours that answer it (they are later)."""
    addresses = {a.lower() for a in (*message.to_addrs, *message.cc_addrs)}
    labels: list[str] = []
    for later in fx.uow.session.scalars(
        select(Message)
        .where(
            Message.account_id == fx.uow.account_id,
            Message.contact_id == interview.contact_id,
            Message.direction == "in",
            Message.kind.in_((Kind.HUMAN.value, Kind.BOUNCE.value)),
            written_at >= at,
        )
        .order_by(written_at, Message.id)
    ):
        if later.kind == Kind.BOUNCE.value:
            closes = bounce_closes(fx.uow, interview.contact_id, time_of(later))
            if closes and try_apply(
                fx.uow, interview, Event.BOUNCED, now=time_of(later), cause="bounce"
            ):
                labels.append("bounce")
        elif PENDING in later.flags and later.from_addr.lower() in addresses:
            opted = OPT_OUT in later.flags
            later.flags = [f for f in later.flags if f not in (PENDING, OPT_OUT)]
            later.relation = Relation.REPLY.value
            later.interview_id = interview.id
            labels += _reply(fx, interview, later, opt_out=opted)
    return labels


def _draft_sent_by_hand(fx: Effects, message: Message) -> Outbox | None:
    """A draft of ours the user sent from their client, which gave it a new Message-ID."""
    if not message.to_addrs:
        return None
    drafts = fx.uow.session.scalars(
        select(Outbox).where(
            Outbox.account_id == fx.uow.account_id,
            Outbox.status == Status.DRAFT,
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
    if message.contact_id is None:
        return []
    if message.relation != Relation.REPLY.value and not _reply_if_written(fx, message, verdict):
        if message.relation == Relation.CORRESPONDENCE.value:
            _refresh_pause(fx, message)  # news from them: they are back
        return []
    at = message_time(message.date, fx.now)
    if not fx.wrote_to_by(message.from_addr.lower(), at):
        # It answers mail of ours not read yet (Sent is read later), or it is older than
        # anything we wrote: it counts once an earlier mail of ours to its sender is known.
        message.flags = [*message.flags, PENDING, *([OPT_OUT] if verdict.opt_out else [])]
        _refresh_pause(fx, message)
        return []
    interview = _interview(fx, message.contact_id)
    message.interview_id = interview.id
    message.relation = Relation.REPLY.value
    labels = _reply(fx, interview, message, opt_out=verdict.opt_out)
    if verdict.opt_out:
        return labels
    return labels + _referrals(fx, message, verdict)


def _reply(fx: Effects, interview: Interview, message: Message, *, opt_out: bool) -> list[str]:
    """What a reply to mail of ours does, at the time it was written."""
    assert message.contact_id is not None
    _refresh_pause(fx, message)
    if opt_out:
        return _opt_out(fx, [message.contact_id], "asked not to be contacted")
    at = time_of(message)
    labels = []
    if try_apply(fx.uow, interview, Event.REPLY_RECEIVED, now=at, cause="reply"):
        fx.uow.record(
            ReplyReceived(
                occurred_at=at,
                interview_id=interview.id,
                contact_id=message.contact_id,
                message_id=message.message_id,
                rule=message.rule,
            )
        )
        labels.append("reply")
    if _cancel_unsent(fx, [interview.id], kinds=(MailKind.NUDGE,)):
        labels.append("nudge-cancelled")
    return labels


def _reply_if_written(fx: Effects, message: Message, verdict: Verdict) -> bool:
    """Whether this contact mail would be a reply had we written to its sender already."""
    if message.relation != Relation.CORRESPONDENCE.value or message.contact_id is None:
        return False
    sender = message.from_addr.lower()
    written = fx.ctx.outreach_recipients.get(message.contact_id, frozenset())
    if sender in written:
        return False  # we did write to it: correspondence for a reason of its own (a list)
    ctx = ThreadContext(
        our_message_ids=fx.ctx.our_message_ids,
        contact_addresses=fx.ctx.contact_addresses,
        outreach_recipients={**fx.ctx.outreach_recipients, message.contact_id: written | {sender}},
    )
    # The same ids as the batch's context: reuse its normalised set instead of rebuilding it.
    ctx.__dict__["normalised_ids"] = fx.ctx.normalised_ids
    return match_reply(verdict.mail, ctx).relation is Relation.REPLY


def _refresh_pause(fx: Effects, message: Message) -> None:
    """The contact's latest interview, open or not, is paused as the facts say.

    The facts are loaded once a batch (all contacts) and kept current message by message; the
    contact's own mail can end a pause but never start one, so until they are needed an
    interview that is not paused stays so without a look at the other mail.
    """
    assert message.contact_id is not None
    contact_id = message.contact_id
    interview = (
        fx.interviews.get(contact_id)
        or fx.uow.session.scalars(
            select(Interview)
            .where(Interview.contact_id == contact_id)
            .order_by(Interview.id.desc())
        ).first()
    )
    unpaused = interview is None or interview.paused_until is None
    if fx.pauses is None:
        if message.kind == Kind.HUMAN.value and unpaused:
            return
        fx.pauses = pause_facts(fx.uow)  # flushed first: this message is among them
    facts = fx.pauses[contact_id] = fx.pauses.get(contact_id, PauseFacts()).plus(message)
    if interview is not None:
        interview.paused_until = facts.until(fx.zone)


def _auto_reply(fx: Effects, message: Message, verdict: Verdict) -> list[str]:
    if message.contact_id is None:
        return []
    interview = _interview(fx, message.contact_id)
    message.interview_id = interview.id
    _refresh_pause(fx, message)
    fx.uow.record(
        AutoReplyReceived(
            occurred_at=message_time(message.date, fx.now),
            interview_id=interview.id,
            contact_id=message.contact_id,
            message_id=message.message_id,
            return_date=verdict.return_date,
        )
    )
    return ["auto-reply"]


def _bounce(fx: Effects, message: Message, verdict: Verdict) -> list[str]:
    contacts = _contacts_for(fx, message, verdict.failed_recipients)
    at = message_time(message.date, fx.now)
    labels = []
    for contact_id in contacts:
        addresses = [a for a in verdict.failed_recipients] or _outreach_addresses(fx, contact_id)
        fx.uow.session.execute(
            update(ContactEmail)
            .where(ContactEmail.contact_id == contact_id, ContactEmail.address.in_(addresses))
            .values(status="bounced", status_changed_at=at)
        )
        interview = _interview(fx, contact_id)
        message.interview_id = message.interview_id or interview.id
        if bounce_closes(fx.uow, contact_id, at):
            try_apply(fx.uow, interview, Event.BOUNCED, now=at, cause="bounce")
        fx.uow.record(
            BounceReceived(
                occurred_at=at,
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


def _cancel_unsent(
    fx: Effects, interview_ids: list[int], *, kinds: tuple[MailKind, ...] | None
) -> int:
    interview_ids = [i for i in interview_ids if i in fx.unsent]
    if not interview_ids:
        return 0
    which = [Outbox.interview_id.in_(interview_ids)]
    if kinds is not None:
        which.append(Outbox.kind.in_(kinds))
    return move(fx.uow.session, Move.CANCEL, *which, frm=UNSENT, last_error="superseded")


def _referrals(fx: Effects, message: Message, verdict: Verdict) -> list[str]:
    if not verdict.suggested_addresses:
        return []  # most replies name nobody: skip the scan of every contact address below
    labels = []
    assert message.contact_id is not None
    own = {a for a, c in fx.ctx.contact_addresses.items() if c == message.contact_id}
    # An answer to an introduction request completes the name-only referral it was about,
    # before the loop below would add the same person again under their address.
    given = [a.lower() for a in verdict.suggested_addresses]
    given = [a for a in given if a not in own and a not in fx.user_addresses]
    answered_introduction(fx.uow.session, fx.uow.account_id, message.contact_id,
                          [message.in_reply_to, *message.references], given)  # fmt: skip
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
