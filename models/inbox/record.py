"""Recording a batch of inbound or sent mail: messages, cursor and effects in one transaction.

The cursor for (account, folder, UIDVALIDITY) is written in the same transaction as the messages
it covers, so a crash either keeps both or neither. A Message-ID already stored is never acted
on again: after a UIDVALIDITY change only its location is updated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from coffeechat.models.calendar import ParsedCalendar, Window, parse_calendar
from coffeechat.models.classify import Kind, Relation, ThreadContext, Verdict, match_reply
from coffeechat.models.inbox.effects import Effects, apply_verdict
from coffeechat.models.inbox.unreadable import (
    UnreadableItem,
    record_unreadable,
    stand_in_message_id,
)
from coffeechat.models.interviews.meetings import apply_calendar
from coffeechat.models.outbox.states import Status
from coffeechat.models.store.cursors import cursor_for
from coffeechat.models.store.tables import (
    Account,
    ContactEmail,
    Interview,
    Message,
    Outbox,
)
from coffeechat.models.store.uow import UnitOfWork

__all__ = [
    "BatchOutcome",
    "InboundItem",
    "UnreadableItem",
    "account_zone",
    "invitation_window",
    "load_thread_context",
    "record_batch",
    "stable_message_id",
]

EXCERPT = 500


@dataclass(frozen=True)
class InboundItem:
    """One fetched message and its verdict (an emailed invitation's calendar parsed, if any)."""

    uid: int
    verdict: Verdict
    relevance: str
    oversized: bool = False
    raw_id_seed: bytes = b""
    calendar: ParsedCalendar | None = None


@dataclass
class BatchOutcome:
    """What a recorded batch did."""

    stored: int = 0
    already_known: int = 0
    counted_only: int = 0
    unreadable: int = 0
    effects: list[str] = field(default_factory=list)
    # The thread context as the batch left it (kept current after our own outgoing mail), so
    # the next chunk's relevance scan need not load it again.
    ctx: ThreadContext | None = None


def stable_message_id(verdict: Verdict, seed: bytes) -> str:
    """The message's Message-ID, or a stable stand-in derived from its headers."""
    if verdict.mail.message_id:
        mid = verdict.mail.message_id.strip()
        return mid if mid.startswith("<") else f"<{mid}>"
    return stand_in_message_id(seed)


def invitation_window(now: datetime) -> Window:
    """Where an emailed invitation's occurrences are looked for."""
    return Window(now - timedelta(days=14), now + timedelta(days=365))


def account_zone(uow: UnitOfWork) -> str:
    """The account's time zone (floating times in an emailed invitation are in it)."""
    account = uow.session.get(Account, uow.account_id)
    return account.timezone if account else "UTC"


def load_thread_context(uow: UnitOfWork) -> ThreadContext:
    """Our Message-IDs, contacts' addresses, and whom each interview's outreach went to."""
    s, account = uow.session, uow.account_id
    ours = set(
        s.scalars(
            select(Message.message_id).where(
                Message.account_id == account, Message.direction == "out"
            )
        )
    )
    ours |= set(s.scalars(select(Outbox.message_id).where(Outbox.account_id == account)))
    ours |= {
        m
        for m in s.scalars(
            select(Interview.outreach_message_id).where(Interview.account_id == account)
        )
        if m
    }
    addresses = dict(
        s.execute(
            select(ContactEmail.address, ContactEmail.contact_id).where(
                ContactEmail.account_id == account
            )
        ).all()
    )
    wrote_to: dict[int, set[str]] = {}
    for contact_id, to_addrs in s.execute(
        select(Message.contact_id, Message.to_addrs).where(
            Message.account_id == account,
            Message.direction == "out",
            Message.contact_id.is_not(None),
        )
    ):
        if contact_id is not None:
            wrote_to.setdefault(contact_id, set()).update(a.lower() for a in to_addrs)
    for contact_id, to_addr in s.execute(
        select(Interview.contact_id, Outbox.to_addr)
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(Outbox.account_id == account, Outbox.status == Status.SENT)
    ):
        wrote_to.setdefault(contact_id, set()).add(to_addr.lower())
    return ThreadContext(
        our_message_ids=frozenset(ours),
        contact_addresses=addresses,
        outreach_recipients={k: frozenset(v) for k, v in wrote_to.items()},
    )


def record_batch(
    uow: UnitOfWork,
    *,
    folder: str,
    outgoing: bool,
    uidvalidity: int,
    last_uid: int,
    items: Sequence[InboundItem],
    counted: int,
    user_addresses: frozenset[str],
    now: datetime,
    unreadable: Sequence[UnreadableItem] = (),
) -> BatchOutcome:
    """Store the batch's relevant messages, apply their effects and advance the cursor."""
    outcome = BatchOutcome(counted_only=counted)
    if items:  # a chunk with nothing relevant (most chunks of a real mailbox) only moves the cursor
        outcome.ctx = _record_items(
            uow, items, folder, outgoing, uidvalidity, user_addresses, now, outcome
        )
    if unreadable:
        contacts = load_thread_context(uow).contact_addresses
        stored, known = record_unreadable(
            uow, unreadable, folder, outgoing, uidvalidity, now, contacts
        )
        outcome.stored += stored
        outcome.unreadable += stored
        outcome.already_known += known
    cur = cursor_for(uow, "imap", folder)
    cur.uidvalidity, cur.last_uid = uidvalidity, max(cur.last_uid, last_uid)
    cur.seen_count += len(items) + len(unreadable) + counted
    cur.last_success_at = cur.last_attempt_at = now
    cur.consecutive_failures, cur.last_error = 0, ""
    return outcome


def _record_items(
    uow: UnitOfWork,
    items: Sequence[InboundItem],
    folder: str,
    outgoing: bool,
    uidvalidity: int,
    user_addresses: frozenset[str],
    now: datetime,
    outcome: BatchOutcome,
) -> ThreadContext:
    """Store and apply each item (counted into outcome); return the context as it ends up."""
    fx = Effects.for_batch(
        uow, now=now, ctx=load_thread_context(uow), user_addresses=user_addresses
    )
    mids = [stable_message_id(item.verdict, item.raw_id_seed) for item in items]
    # One query for the whole chunk instead of one per message.
    known = {
        m.message_id: m
        for m in uow.session.scalars(
            select(Message).where(
                Message.account_id == uow.account_id, Message.message_id.in_(set(mids))
            )
        )
    }
    for item, mid in zip(items, mids, strict=True):
        if mid in known:
            row = known[mid]
            row.folder, row.uidvalidity, row.uid = folder, uidvalidity, item.uid
            outcome.already_known += 1
            continue
        out = outgoing or bool(set(item.verdict.mail.from_addrs) & user_addresses)
        if not out and item.verdict.kind in (Kind.INVITATION, Kind.CANCELLATION):
            outcome.effects += _invitation(uow, item, user_addresses, now)
        stored = _store(fx, item, mid, folder, uidvalidity, out)
        if stored is None:
            outcome.counted_only += 1
            continue
        known[mid] = stored  # the same Message-ID twice in one chunk is stored once
        outcome.stored += 1
        outcome.effects += apply_verdict(fx, stored, item.verdict, outgoing=out)
        if out:
            fx.ctx = load_thread_context(uow)  # a new outreach makes its replies recognisable
    return fx.ctx


def _invitation(
    uow: UnitOfWork, item: InboundItem, user_addresses: frozenset[str], now: datetime
) -> list[str]:
    """An emailed iTIP REQUEST/CANCEL goes through the same matcher as any calendar."""
    calendar = item.verdict.mail.calendar
    if not calendar:
        return []
    parsed = item.calendar  # parsed where the sync could abandon it (classify_worker.py)
    if parsed is None:
        parsed = parse_calendar(calendar, invitation_window(now), default_tz=account_zone(uow))
    return apply_calendar(
        uow,
        source="email",
        parsed=parsed,
        now=now,
        user_addresses=user_addresses,
        snapshot=False,
        sender=item.verdict.mail.from_addrs[0] if item.verdict.mail.from_addrs else "",
    )


def _store(
    fx: Effects, item: InboundItem, mid: str, folder: str, uidvalidity: int, outgoing: bool
) -> Message | None:
    uow, ctx, now = fx.uow, fx.ctx, fx.now
    mail, verdict = item.verdict.mail, item.verdict
    contact_id, relation = _concerns(verdict, ctx, outgoing)
    thread = {mail.in_reply_to, *mail.references, verdict.original_message_id} - {None}
    if contact_id is None and not thread & ctx.our_message_ids:
        return None  # not about anyone we track: counted, not kept
    interview_id = fx.latest_interview_id(contact_id) if contact_id is not None else None
    flags = ["oversized"] if item.oversized else []
    message = Message(
        account_id=uow.account_id,
        contact_id=contact_id,
        interview_id=interview_id,
        message_id=mid,
        in_reply_to=mail.in_reply_to,
        references=list(mail.references),
        direction="out" if outgoing else "in",
        folder=folder,
        uidvalidity=uidvalidity,
        uid=item.uid,
        date=mail.date,
        from_addr=mail.from_addrs[0] if mail.from_addrs else "",
        from_name=mail.from_name[:200],
        to_addrs=list(mail.to_addrs),
        cc_addrs=list(mail.cc_addrs),
        subject=mail.subject,
        excerpt=mail.text_excerpt[:EXCERPT],
        kind=verdict.kind.value,
        rule=verdict.rule,
        relation=relation,
        return_date=verdict.return_date,
        size=mail.size,
        flags=flags,
        recorded_at=now,
    )
    uow.session.add(message)
    return message


def _concerns(
    verdict: Verdict, ctx: ThreadContext, outgoing: bool
) -> tuple[int | None, str | None]:
    mail = verdict.mail
    if outgoing:
        for addr in (*mail.to_addrs, *mail.cc_addrs):
            if addr in ctx.contact_addresses:
                return ctx.contact_addresses[addr], "outgoing"
        return None, None
    if verdict.kind is Kind.HUMAN:
        match = match_reply(mail, ctx)
        if match.relation is Relation.UNRELATED:
            return None, None
        return match.contact_id, match.relation.value
    for addr in (*verdict.failed_recipients, *verdict.complainants, *mail.from_addrs):
        if addr in ctx.contact_addresses:
            return ctx.contact_addresses[addr], None
    return None, None
