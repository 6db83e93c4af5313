"""What every planned email shares: its recipient, its thread, its Message-ID and its outbox row.

Rows are created once per natural key (account, kind, interview, occurrence): a pre-check skips a
key that exists in any status (a cancelled nudge stays cancelled), and on PostgreSQL a savepoint
turns a concurrent planner's duplicate into a skip. Rendering is injected (``Renderer``) because
the Jinja2 environment lives in integrations, which the domain does not import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coffeechat.models.followups.cadence import CadenceRules
from coffeechat.models.outbox.rows import add_once, new_row
from coffeechat.models.outbox.states import TO_CONTACT, Kind, Mode, Status
from coffeechat.models.store.tables import Account, Contact, Interview, Message, Outbox
from coffeechat.models.store.uow import UnitOfWork
from coffeechat.models.text import clean_line

Renderer = Callable[[str, Mapping[str, object]], str]
"""Render ``mail/<name>`` as plain text with a context (integrations/render.py, as txt)."""

# RFC 5322 asks to keep the first reference and trim from the middle; 20 is what clients keep.
_MAX_REFERENCES = 20
# Reply prefixes clients add (English, German, Nordic, Dutch, Finnish), stacked or numbered.
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|vs)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


class ModeRules(Protocol):
    """Per-kind sending modes (coffeechat.integrations.config.ModesConfig satisfies this)."""

    @property
    def outreach(self) -> str: ...
    @property
    def nudge(self) -> str: ...
    @property
    def thank_you(self) -> str: ...
    @property
    def update(self) -> str: ...


@dataclass(frozen=True)
class Thread:
    """Where a reply goes: the subject to keep and the headers that make clients thread it."""

    subject: str
    in_reply_to: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Planned:
    """One email the planner decided on, before it becomes an outbox row."""

    interview_id: int
    kind: Kind | str
    occurrence: str
    to_addr: str
    subject: str
    body: str
    mode: Mode | str
    not_before: datetime
    not_after: datetime | None = None
    thread: Thread | None = None
    reason: str = ""


def recipient(contact: Contact) -> str | None:
    """The address to write to: the primary one if still ok, else the first ok one; else None."""
    if contact.do_not_contact:
        return None
    usable = [e for e in contact.emails if e.status == "ok"]
    usable.sort(key=lambda e: (not e.is_primary, e.id))
    return usable[0].address if usable else None


def reply_subject(subject: str) -> str:
    """``Re: <subject>`` without stacking prefixes (Re: Re: AW: ...), safe for a header."""
    base = _REPLY_PREFIX.sub("", clean_line(subject)).strip()
    return f"Re: {base}" if base else "Re: our conversation"


def first_name(name: str) -> str:
    """The first word of a name, for a greeting."""
    parts = clean_line(name).split()
    return parts[0] if parts else ""


def thread_of(uow: UnitOfWork, interview: Interview) -> Thread | None:
    """The interview's thread with the contact (last message as parent), or None when none."""
    entries = _thread_entries(uow, interview)
    if not entries:
        return None
    _when, parent, parent_refs, _subject = entries[-1]
    # The parent's own References are the thread as its author saw it; else our own record.
    chain = list(parent_refs) or [e[1] for e in entries[:-1]]
    refs = list(dict.fromkeys([*chain, parent]))
    if len(refs) > _MAX_REFERENCES:
        refs = [refs[0], *refs[-(_MAX_REFERENCES - 1) :]]
    subject = interview.thread_subject or next((e[3] for e in entries if e[3]), "")
    return Thread(reply_subject(subject), parent, tuple(refs))


_Entry = tuple[datetime, str, tuple[str, ...], str]


def _thread_entries(uow: UnitOfWork, interview: Interview) -> list[_Entry]:
    s = uow.session
    entries: dict[str, _Entry] = {}
    for row in s.scalars(
        select(Outbox).where(
            Outbox.interview_id == interview.id,
            Outbox.kind.in_(TO_CONTACT),
            Outbox.status == Status.SENT,
        )
    ):
        when = row.sent_at or row.created_at
        entries[row.message_id] = (when, row.message_id, tuple(row.references), row.subject)
    for msg in s.scalars(
        select(Message).where(
            Message.account_id == interview.account_id,
            Message.interview_id == interview.id,
            # Our own mail, and the contact's real replies: never an auto-reply or a bounce.
            (Message.direction == "out") | (Message.kind == "human"),
        )
    ):
        when = msg.date or msg.recorded_at
        entries.setdefault(
            msg.message_id, (when, msg.message_id, tuple(msg.references), msg.subject)
        )
    root = interview.outreach_message_id
    if root and root not in entries:
        first = min((e[0] for e in entries.values()), default=interview.state_changed_at)
        entries[root] = (first, root, (), interview.thread_subject)
    # Oldest first: the first message's subject names the thread, the last one is the parent.
    return sorted(entries.values(), key=lambda e: (e[0], e[1]))


def insert_once(
    uow: UnitOfWork, planned: Planned, *, now: datetime, user_email: str
) -> Outbox | None:
    """Add the outbox row for ``planned`` unless its natural key exists; None when it did."""
    return add_once(uow.session, _row(uow.account_id, planned, now=now, user_email=user_email))


def _row(account_id: int, p: Planned, *, now: datetime, user_email: str) -> Outbox:
    thread = p.thread
    return new_row(
        account_id=account_id,
        interview_id=p.interview_id,
        kind=p.kind,
        occurrence=p.occurrence,
        sender=user_email,
        to_addr=p.to_addr,
        subject=clean_line(thread.subject if thread else p.subject),
        body_text=p.body,
        mode=p.mode,
        not_before=p.not_before,
        not_after=p.not_after,
        in_reply_to=thread.in_reply_to if thread else None,
        references=thread.references if thread else (),
        note=p.reason,
        now=now,
    )


def introducer(uow: UnitOfWork, contact: Contact) -> Contact | None:
    """Who put the user in touch with ``contact``, if anyone."""
    if contact.introduced_by_id is None:
        return None
    return uow.session.get(Contact, contact.introduced_by_id)


def people(account: Account, contact: Contact, introducer: Contact | None) -> dict[str, object]:
    """The template context every email shares: who writes, to whom, and who introduced them."""
    return {
        "me": {
            "name": account.name,
            "first_name": first_name(account.name),
            "email": account.email,
            "signature": account.signature.strip() or account.name,
            "pitch": account.elevator_pitch.strip(),
            "minutes": account.meeting_minutes or 20,
        },
        "contact": {
            "name": clean_line(contact.name),
            "first_name": first_name(contact.name) or clean_line(contact.name),
            "company": clean_line(contact.company),
            "role": clean_line(contact.role),
        },
        "introducer": clean_line(introducer.name) if introducer is not None else "",
    }


@dataclass(frozen=True)
class PlanContext:
    """Everything one planning run decides with; built once by ``plan_followups``."""

    uow: UnitOfWork
    now: datetime
    cadence: CadenceRules
    modes: ModeRules
    user_email: str
    render: Renderer
    account: Account
    zone: ZoneInfo

    def add(self, planned: Planned) -> Outbox | None:
        """Create the outbox row for ``planned`` once."""
        return insert_once(self.uow, planned, now=self.now, user_email=self.user_email)

    def text(self, name: str, context: Mapping[str, object]) -> str:
        """Render ``mail/<name>`` as plain text."""
        return self.render(f"mail/{name}", context)

    def local(self, when: datetime) -> datetime:
        """``when`` on the user's clock (for dates written in an email)."""
        return when.astimezone(self.zone)
