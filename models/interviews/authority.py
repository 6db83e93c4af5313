"""Who may change what: the record of refused changes, and the user's provider's authserv-id.

Mail can claim anything. A calendar change counts only from the event's organizer (or whoever
emailed us the invitation), a complaint only when it names our own mail, and a message whose
sender the user's provider failed to authenticate never acts. What is refused is recorded
as a ``MessageSuspected`` event, listed by ``status`` for the user to confirm.

The provider's authserv-id is learnt from INBOX: every message it accepts carries its
Authentication-Results on top, so the id topmost on most messages is the provider's (see
``coffeechat.models.classify.auth.learnt_authserv``). The tally lives in the INBOX cursor's
``source_state`` and is written in the same transaction as the cursor, so a chunk read twice
after a crash is not counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.models.calendar import ParsedCalendar
from coffeechat.models.calendar.itip import ItipKind, itip_kind
from coffeechat.models.classify import ThreadContext, Verdict
from coffeechat.models.classify.auth import header_values, learnt_authserv, topmost_authserv
from coffeechat.models.store.events import DomainEvent
from coffeechat.models.store.tables import ContactEmail, EventLog, Meeting, SyncCursor
from coffeechat.models.store.uow import UnitOfWork

LEARN_FOLDER = "INBOX"
_MAX_IDS = 20  # the tally keeps the most frequent ids only: its size is bounded


@dataclass(frozen=True, kw_only=True)
class MessageSuspected(DomainEvent):
    """Mail that claimed an authority it does not have; it changed nothing."""

    noun: ClassVar[str] = "message"
    verb: ClassVar[str] = "suspected"
    message_id: str = ""
    sender: str = ""
    reason: str


@dataclass(frozen=True)
class AuthTally:
    """How many INBOX messages carried Authentication-Results, by topmost authserv-id."""

    messages: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def trusted(self) -> frozenset[str]:
        """The provider's authserv-id(s) as learnt so far (empty until the sample is big enough)."""
        return learnt_authserv(self.counts, self.messages)

    def add(self, header_blocks: Iterable[bytes]) -> AuthTally:
        """The tally with these messages' header blocks counted (pure)."""
        counts, messages = dict(self.counts), self.messages
        for block in header_blocks:
            top = topmost_authserv(header_values(block))
            if top is None:
                continue
            messages += 1
            counts[top] = counts.get(top, 0) + 1
        kept = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_IDS]
        return AuthTally(messages, dict(kept))

    def to_dict(self) -> dict[str, Any]:
        """JSON for the cursor's source_state."""
        return {"messages": self.messages, "counts": dict(self.counts)}

    @classmethod
    def from_dict(cls, data: Any) -> AuthTally:
        """Read what to_dict wrote; anything malformed is an empty tally."""
        try:
            counts = {str(k): int(v) for k, v in dict(data.get("counts", {})).items()}
            return cls(int(data.get("messages", 0)), counts)
        except (AttributeError, TypeError, ValueError):
            return cls()


def _cursor(uow: UnitOfWork) -> SyncCursor | None:
    return uow.session.scalars(
        select(SyncCursor).where(
            SyncCursor.account_id == uow.account_id,
            SyncCursor.source_kind == "imap",
            SyncCursor.source == LEARN_FOLDER,
        )
    ).first()


def load_tally(uow: UnitOfWork) -> AuthTally:
    """The authserv tally stored on the INBOX cursor (empty before the first sync)."""
    cur = _cursor(uow)
    return AuthTally.from_dict((cur.source_state or {}).get("authserv", {})) if cur else AuthTally()


def save_tally(uow: UnitOfWork, tally: AuthTally) -> None:
    """Store the tally on the INBOX cursor, in the caller's transaction."""
    cur = _cursor(uow)
    if cur is not None:
        cur.source_state = {**(cur.source_state or {}), "authserv": tally.to_dict()}


def suspected(session: Session, account_id: int, limit: int = 5) -> tuple[int, list[str]]:
    """How many messages await the user's confirmation, and the newest reasons."""
    where = (EventLog.account_id == account_id, EventLog.type == MessageSuspected.__name__)
    count = session.scalar(select(func.count()).select_from(EventLog).where(*where))
    latest = session.scalars(
        select(EventLog).where(*where).order_by(EventLog.id.desc()).limit(limit)
    ).all()
    reasons = [f"{e.payload.get('sender', '')}: {e.payload.get('reason', '')}" for e in latest]
    return int(count or 0), reasons


def complaint_has_authority(
    ctx: ThreadContext, verdict: Verdict, user_addresses: frozenset[str]
) -> bool:
    """True when a complaint may change a contact: it names mail we sent, or comes from a
    feedback loop of the user's provider about someone we wrote to.

    The loop test: the user's provider authenticated the report (dkim/dmarc pass) and its
    From domain is the provider's own (the domain of its authserv-id). A stranger can write
    an ARF report naming anyone; they cannot quote a Message-ID only our contacts saw, nor
    send authenticated mail from the provider's domain.
    """
    ids = {verdict.original_message_id, *verdict.mail.embedded_message_ids} - {None}
    if any(_angled(i) in ctx.normalised_ids for i in ids if i):
        return True
    sender = verdict.mail.from_addrs[0] if verdict.mail.from_addrs else ""
    domain = sender.rpartition("@")[2]
    by = verdict.auth_by
    from_provider = bool(domain) and (by == domain or by.endswith("." + domain))
    wrote_to = {a for addrs in ctx.outreach_recipients.values() for a in addrs}
    named = any(a in wrote_to for a in verdict.complainants)
    return verdict.auth == "pass" and from_provider and named and sender not in user_addresses


def _angled(value: str) -> str:
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


def _authority(uow: UnitOfWork, row: Meeting) -> frozenset[str]:
    """Who may change this meeting by email: its organizer and who emailed it to us.

    Rows stored before organizers were kept (or events without ORGANIZER) fall back to the
    addresses of the contact the meeting is with.
    """
    named = frozenset(a for a in (row.organizer, row.invited_by) if a)
    if named or row.contact_id is None:
        return named
    return frozenset(
        uow.session.scalars(
            select(ContactEmail.address).where(ContactEmail.contact_id == row.contact_id)
        )
    )


def _refusal(
    uow: UnitOfWork, parsed: ParsedCalendar, rows: list[Meeting], sender: str
) -> str | None:
    """Why this emailed iTIP message may not do what it asks, or None when it may."""
    kind = itip_kind(parsed.method)
    if kind is ItipKind.ANSWER:
        attendees = {a for o in parsed.occurrences for a in o.attendees}
        if parsed.occurrences and sender not in attendees:
            return f"{parsed.method} from {sender}, who is not an attendee"
        return None
    if kind is ItipKind.UNKNOWN:
        return None
    for row in rows:
        allowed = _authority(uow, row)
        if sender not in allowed:
            who = ", ".join(sorted(allowed)) or "nobody known"
            method = parsed.method or "PUBLISH"
            return f"{method} for {row.uid} from {sender}, not its organizer ({who})"
    return None


def refuse_calendar_change(
    uow: UnitOfWork, parsed: ParsedCalendar, rows: list[Meeting], sender: str, now: datetime
) -> list[str]:
    """Record and refuse an emailed iTIP message its sender may not send; [] when it may."""
    reason = _refusal(uow, parsed, rows, sender)
    if reason is None:
        return []
    row = rows[0] if rows else None
    uow.record(
        MessageSuspected(
            occurred_at=now,
            interview_id=row.interview_id if row else None,
            contact_id=row.contact_id if row else None,
            sender=sender,
            reason=reason[:500],
        )
    )
    return ["calendar-change-refused"]
