"""Domain events: past-tense facts, written to ``event_log`` and emitted to Prefect.

Each event names the interview it concerns; ``prefect_name`` gives the
``coffeechat.<noun>.<verb>`` form used for Prefect events and deployment triggers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every domain event."""

    occurred_at: datetime
    interview_id: int | None = None
    contact_id: int | None = None
    noun: ClassVar[str] = "interview"
    verb: ClassVar[str] = "changed"

    @property
    def type(self) -> str:
        """The event's class name, as stored in the event log."""
        return type(self).__name__

    @property
    def prefect_name(self) -> str:
        """The Prefect event name, ``coffeechat.<noun>.<verb>``."""
        return f"coffeechat.{self.noun}.{self.verb}"

    def payload(self) -> dict[str, Any]:
        """The event's own fields as JSON-friendly values."""
        # Fields are scalars and tuples of them: no deep copy (asdict) needed, which cost
        # ~0.1 ms an event, seconds for a large contacts import.
        return {
            f.name: _jsonable(getattr(self, f.name)) for f in fields(self) if f.name not in _BASE
        }


# The base class's own fields, which the event log keeps in columns of their own.
_BASE = frozenset(f.name for f in fields(DomainEvent))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class ContactAdded(DomainEvent):
    """A contact entered the database (typed, imported or referred)."""

    noun: ClassVar[str] = "contact"
    verb: ClassVar[str] = "added"
    name: str
    source: str


@dataclass(frozen=True, kw_only=True)
class StateChanged(DomainEvent):
    """An interview moved from one lifecycle state to another."""

    verb: ClassVar[str] = "state_changed"
    old: str
    new: str
    cause: str


@dataclass(frozen=True, kw_only=True)
class OutreachSent(DomainEvent):
    """The request for a conversation went out (from coffeechat or the user's own client)."""

    noun: ClassVar[str] = "outreach"
    verb: ClassVar[str] = "sent"
    message_id: str
    by: str = "coffeechat"


@dataclass(frozen=True, kw_only=True)
class ReplyReceived(DomainEvent):
    """The contact answered our outreach."""

    noun: ClassVar[str] = "reply"
    verb: ClassVar[str] = "received"
    message_id: str
    rule: str


@dataclass(frozen=True, kw_only=True)
class AutoReplyReceived(DomainEvent):
    """An out-of-office or other automatic answer: not a reply."""

    noun: ClassVar[str] = "auto_reply"
    verb: ClassVar[str] = "received"
    message_id: str
    return_date: date | None = None


@dataclass(frozen=True, kw_only=True)
class BounceReceived(DomainEvent):
    """Mail to the contact could not be delivered."""

    noun: ClassVar[str] = "bounce"
    verb: ClassVar[str] = "received"
    message_id: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ContactOptedOut(DomainEvent):
    """The contact asked not to be contacted (or complained): no more mail, ever."""

    noun: ClassVar[str] = "contact"
    verb: ClassVar[str] = "opted_out"
    reason: str


@dataclass(frozen=True, kw_only=True)
class MeetingScheduled(DomainEvent):
    """A meeting with the contact was found in a calendar."""

    noun: ClassVar[str] = "meeting"
    verb: ClassVar[str] = "scheduled"
    meeting_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, kw_only=True)
class MeetingRescheduled(DomainEvent):
    """A known meeting changed time, place or details."""

    noun: ClassVar[str] = "meeting"
    verb: ClassVar[str] = "rescheduled"
    meeting_id: int
    changes: tuple[str, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True, kw_only=True)
class MeetingCancelled(DomainEvent):
    """A known meeting was cancelled or vanished from its feed."""

    noun: ClassVar[str] = "meeting"
    verb: ClassVar[str] = "cancelled"
    meeting_id: int
    how: str


@dataclass(frozen=True, kw_only=True)
class MeetingEnded(DomainEvent):
    """A meeting took place."""

    noun: ClassVar[str] = "meeting"
    verb: ClassVar[str] = "ended"
    meeting_id: int


@dataclass(frozen=True, kw_only=True)
class PrepSheetDelivered(DomainEvent):
    """A prep sheet was sent to the user."""

    noun: ClassVar[str] = "prep_sheet"
    verb: ClassVar[str] = "delivered"
    meeting_id: int
    path: str
    is_update: bool = False


@dataclass(frozen=True, kw_only=True)
class EmailSent(DomainEvent):
    """An outbox email went out (thank-you, update, nudge, ...)."""

    noun: ClassVar[str] = "email"
    verb: ClassVar[str] = "sent"
    kind: str
    message_id: str
    to: str


@dataclass(frozen=True, kw_only=True)
class ReferralSuggested(DomainEvent):
    """A contact named someone else to talk to."""

    noun: ClassVar[str] = "referral"
    verb: ClassVar[str] = "suggested"
    address: str
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class NoteAdded(DomainEvent):
    """The user wrote a note about a contact."""

    noun: ClassVar[str] = "note"
    verb: ClassVar[str] = "added"
    text: str
    for_update: bool = False


@dataclass(frozen=True, kw_only=True)
class AssistantCalled(DomainEvent):
    """An AI assistant called a tool of ``coffeechat mcp``: what, about what, and how it ended.

    ``arguments`` is a summary (a contact reference, a subject, a body's length), never a body.
    """

    noun: ClassVar[str] = "assistant"
    verb: ClassVar[str] = "called"
    tool: str
    arguments: str
    outcome: str


@dataclass(frozen=True, kw_only=True)
class DebriefRequested(DomainEvent):
    """The user was asked how a meeting went (``reminder``: the one follow-up ask)."""

    noun: ClassVar[str] = "debrief"
    verb: ClassVar[str] = "requested"
    meeting_id: int
    message_id: str
    reminder: bool = False


@dataclass(frozen=True, kw_only=True)
class DebriefReceived(DomainEvent):
    """The user's debrief of a meeting was stored (``replaced``: it superseded an older one)."""

    noun: ClassVar[str] = "debrief"
    verb: ClassVar[str] = "received"
    meeting_id: int
    source: str  # the answer's Message-ID, or "cli:..."
    replaced: bool = False
    promises: int = 0
    people: int = 0


@dataclass(frozen=True, kw_only=True)
class DebriefRefused(DomainEvent):
    """Mail naming a debrief request that is no debrief answer (not the user's, or automatic)."""

    noun: ClassVar[str] = "debrief"
    verb: ClassVar[str] = "refused"
    message_id: str
    sender: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class PromiseMade(DomainEvent):
    """The user promised a contact something (read from a debrief)."""

    noun: ClassVar[str] = "promise"
    verb: ClassVar[str] = "made"
    text: str
    due: date | None = None


@dataclass(frozen=True, kw_only=True)
class PromiseKept(DomainEvent):
    """The user kept a promise or acted on advice (``coffeechat done``), with their note."""

    noun: ClassVar[str] = "promise"
    verb: ClassVar[str] = "kept"
    kind: str  # promise | advice
    ref: str  # P12 | A3
    text: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class PromiseRevised(DomainEvent):
    """The user changed a done item before its contact was told: a new note, or undone."""

    noun: ClassVar[str] = "promise"
    verb: ClassVar[str] = "revised"
    ref: str  # P12 | A3
    change: str  # note | undone
    note: str = ""
