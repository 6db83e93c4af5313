"""The interview lifecycle: states, events and the one function that moves between them.

::

     planned ──outreach sent──▶ requested ──reply──▶ replied ──meeting found──▶ scheduled
        │                          │  │                 ▲                         │  ▲
        │                          │  └─no reply─▶ nudged ─reply─┘                │  │ rescheduled
        │                          └─bounce─▶ undeliverable                       │  │
        │                  scheduled ──prep sheet delivered──▶ prepped ───────────┘──┘
        │                  scheduled/prepped ──meeting cancelled──▶ replied (no thank-you)
        │                  scheduled/prepped ──meeting ended──▶ held ──thank-you sent──▶ thanked
        │                  thanked/updated ──update sent──▶ updated (repeatable)
        └── declined / opted out / withdrawn (from any open state) ──▶ closed (no more mail, ever)

Pure: no clock, no I/O. Callers that are unsure whether an event applies ask :func:`allowed`
first; :func:`transition` refuses anything not in the table with an error naming both sides.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final


class State(StrEnum):
    """Where an interview stands."""

    PLANNED = "planned"
    REQUESTED = "requested"
    NUDGED = "nudged"
    REPLIED = "replied"
    SCHEDULED = "scheduled"
    PREPPED = "prepped"
    HELD = "held"
    THANKED = "thanked"
    UPDATED = "updated"
    UNDELIVERABLE = "undeliverable"
    CLOSED = "closed"


class Event(StrEnum):
    """What can happen to an interview."""

    OUTREACH_SENT = "outreach_sent"
    NUDGE_SENT = "nudge_sent"
    REPLY_RECEIVED = "reply_received"
    BOUNCED = "bounced"
    MEETING_SCHEDULED = "meeting_scheduled"
    MEETING_RESCHEDULED = "meeting_rescheduled"
    MEETING_CANCELLED = "meeting_cancelled"
    PREP_SHEET_DELIVERED = "prep_sheet_delivered"
    MEETING_ENDED = "meeting_ended"
    THANK_YOU_SENT = "thank_you_sent"
    UPDATE_SENT = "update_sent"
    DECLINED = "declined"
    OPTED_OUT = "opted_out"
    WITHDRAWN = "withdrawn"


S, E = State, Event

# Ways out of an interview for good; open states only, so "closed" stays closed.
_CLOSING: Final = (E.DECLINED, E.OPTED_OUT, E.WITHDRAWN)
_OPEN: Final = tuple(s for s in State if s is not S.CLOSED)

_TABLE: dict[tuple[State, Event], State] = {
    (S.PLANNED, E.OUTREACH_SENT): S.REQUESTED,
    # A fixed address gets a fresh request after a bounce.
    (S.UNDELIVERABLE, E.OUTREACH_SENT): S.REQUESTED,
    (S.REQUESTED, E.NUDGE_SENT): S.NUDGED,
    # The contact may write first (an introduction), before any outreach went out.
    (S.PLANNED, E.REPLY_RECEIVED): S.REPLIED,
    (S.REQUESTED, E.REPLY_RECEIVED): S.REPLIED,
    (S.NUDGED, E.REPLY_RECEIVED): S.REPLIED,
    # They answered mail of ours that reached them: whatever else bounced, they can be reached
    # (and a bounce read after the reply cannot undo it, so neither may one read before it).
    (S.UNDELIVERABLE, E.REPLY_RECEIVED): S.REPLIED,
    (S.REQUESTED, E.BOUNCED): S.UNDELIVERABLE,
    (S.NUDGED, E.BOUNCED): S.UNDELIVERABLE,
    # A meeting may be booked without a reply we saw (a phone call, an invitation from them).
    (S.PLANNED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.REQUESTED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.NUDGED, E.MEETING_SCHEDULED): S.SCHEDULED,
    # They met although mail to them bounced: the meeting is the later, stronger fact (and a
    # bounce read after the meeting cannot undo it, so neither may one read before it).
    (S.UNDELIVERABLE, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.REPLIED, E.MEETING_SCHEDULED): S.SCHEDULED,
    # A further conversation with someone already thanked.
    (S.THANKED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.UPDATED, E.MEETING_SCHEDULED): S.SCHEDULED,
    # A reschedule invalidates the prep sheet: back to scheduled so a new one is made.
    (S.SCHEDULED, E.MEETING_RESCHEDULED): S.SCHEDULED,
    (S.PREPPED, E.MEETING_RESCHEDULED): S.SCHEDULED,
    # The conversation is still open after a cancelled meeting; it may be booked again.
    (S.SCHEDULED, E.MEETING_CANCELLED): S.REPLIED,
    (S.PREPPED, E.MEETING_CANCELLED): S.REPLIED,
    (S.SCHEDULED, E.PREP_SHEET_DELIVERED): S.PREPPED,
    (S.SCHEDULED, E.MEETING_ENDED): S.HELD,
    (S.PREPPED, E.MEETING_ENDED): S.HELD,
    (S.HELD, E.THANK_YOU_SENT): S.THANKED,
    (S.THANKED, E.UPDATE_SENT): S.UPDATED,
    (S.UPDATED, E.UPDATE_SENT): S.UPDATED,
}
for _state in _OPEN:
    for _event in _CLOSING:
        _TABLE[(_state, _event)] = S.CLOSED

TRANSITIONS: Final = MappingProxyType(_TABLE)
"""Every legal (state, event) pair and the state it leads to."""

# States in which automatic mail to the contact may still be sent.
MAILABLE: Final = frozenset(_OPEN) - {S.UNDELIVERABLE}


class IllegalTransition(ValueError):
    """An event that cannot happen in the interview's current state."""

    def __init__(self, state: State, event: Event) -> None:
        self.state = state
        self.event = event
        legal = sorted(e.value for (s, e) in TRANSITIONS if s is state)
        hint = ", ".join(legal) if legal else "none: the interview is closed"
        super().__init__(
            f"cannot apply event '{event.value}' to an interview in state '{state.value}' "
            f"(events allowed there: {hint})"
        )


def allowed(state: State, event: Event) -> bool:
    """Whether ``event`` may happen in ``state``."""
    return (state, event) in TRANSITIONS


def transition(state: State, event: Event) -> State:
    """Return the state that ``event`` leads to from ``state``, or raise IllegalTransition."""
    try:
        return TRANSITIONS[(State(state), Event(event))]
    except KeyError:
        raise IllegalTransition(State(state), Event(event)) from None
