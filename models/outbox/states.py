"""An outbox row's statuses, kinds and modes, and the table of moves between statuses.

::

    (created) ─▶ pending ──claim──▶ sending ──confirm sent──▶ sent
                 pending ──place draft──▶ draft ──approve──▶ sending
                   draft ──release draft──▶ pending   (the APPEND to Drafts failed)
                 sending ──retry──▶ pending           (4xx, no connection: later)
         sending / draft ──fail──▶ failed             (5xx, unbuildable, too many tries)
                 sending ──outcome unknown──▶ needs_review
         pending / draft ──cancel──▶ cancelled
   needs_review / failed ──resend──▶ pending;  ──drop──▶ cancelled   (the user's call)
     any status but sent ──confirm sent──▶ sent   (the server took it, or it is in Sent)

Rows are always created ``pending`` (:func:`coffeechat.models.outbox.rows.new_row`).
``confirm sent`` applies from every other status because it records what happened, not
what we wanted: an email the server accepted, or that is in the Sent folder, went out
whatever the row said. Every other move names the statuses it leaves, and nothing leaves
``sent``. Pure: no clock, no I/O; :func:`coffeechat.models.outbox.rows.move` applies a move
to the database as an UPDATE conditional on the statuses it may leave.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Status(StrEnum):
    """Where an outbox row stands (the values are what the database holds)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    CANCELLED = "cancelled"
    DRAFT = "draft"


class Kind(StrEnum):
    """What an outbox row is for."""

    OUTREACH = "outreach"
    NUDGE = "nudge"
    THANK_YOU = "thank_you"
    UPDATE = "update"
    REPLY = "reply"  # written by the assistant (deployments/mcp), reviewed by the user
    PREP_SHEET = "prep_sheet"  # to the user, never to a contact
    DIGEST = "digest"  # to the user, about the account: the one kind with no interview
    INTRO_REQUEST = "intro_request"  # to an introducer: "would you introduce me to ...?"
    # To the user after a meeting, asking how it went (no interview: it is never to a contact).
    DEBRIEF_REQUEST = "debrief_request"


class Mode(StrEnum):
    """How a row goes out: on its own, or through the user's Drafts for review."""

    AUTO = "auto"
    REVIEW = "review"


class Move(StrEnum):
    """What can happen to an outbox row's status."""

    CLAIM = "claim"
    PLACE_DRAFT = "place_draft"
    RELEASE_DRAFT = "release_draft"
    APPROVE = "approve"
    CONFIRM_SENT = "confirm_sent"
    RETRY = "retry"
    FAIL = "fail"
    OUTCOME_UNKNOWN = "outcome_unknown"
    CANCEL = "cancel"
    RESEND = "resend"
    DROP = "drop"


S, M = Status, Move

_TABLE: dict[tuple[Status, Move], Status] = {
    (S.PENDING, M.CLAIM): S.SENDING,
    # Review mode: the draft is committed as placed before the IMAP APPEND, released if it fails.
    (S.PENDING, M.PLACE_DRAFT): S.DRAFT,
    (S.DRAFT, M.RELEASE_DRAFT): S.PENDING,
    (S.DRAFT, M.APPROVE): S.SENDING,
    # A temporary refusal (4xx, no connection): tried again later.
    (S.SENDING, M.RETRY): S.PENDING,
    # A permanent refusal, a row that cannot become an email, or too many attempts.
    (S.SENDING, M.FAIL): S.FAILED,
    (S.DRAFT, M.FAIL): S.FAILED,
    # Interrupted between SMTP and our record: only a person can tell whether it went.
    (S.SENDING, M.OUTCOME_UNKNOWN): S.NEEDS_REVIEW,
    # Not needed any more (a reply, a bounce, a cancelled meeting, a newer prep sheet, refused).
    (S.PENDING, M.CANCEL): S.CANCELLED,
    (S.DRAFT, M.CANCEL): S.CANCELLED,
    # The user's call on a row we could not settle (``coffeechat review``).
    (S.NEEDS_REVIEW, M.RESEND): S.PENDING,
    (S.FAILED, M.RESEND): S.PENDING,
    (S.NEEDS_REVIEW, M.DROP): S.CANCELLED,
    (S.FAILED, M.DROP): S.CANCELLED,
}
for _status in Status:
    if _status is not S.SENT:
        _TABLE[(_status, M.CONFIRM_SENT)] = S.SENT

MOVES: Final = MappingProxyType(_TABLE)
"""Every legal (status, move) pair and the status it leads to."""

INITIAL: Final = S.PENDING
"""The status every row is created in."""

UNSENT: Final = (S.PENDING, S.DRAFT)
"""Rows that have not gone out and can still be stopped (the statuses ``cancel`` leaves)."""

WAITING: Final = (S.PENDING, S.SENDING, S.DRAFT, S.NEEDS_REVIEW)
"""Rows that may still go out, or may have gone: not finished either way."""

OUT_OR_GOING: Final = (*WAITING, S.SENT)
"""Rows that went out or still will: a failed or cancelled one reached nobody."""

CLAIMED: Final = (S.SENDING, S.SENT, S.NEEDS_REVIEW)
"""Rows that were handed to the server (sent, or possibly sent)."""

NEEDS_USER: Final = (S.DRAFT, S.NEEDS_REVIEW, S.FAILED)
"""Rows that wait for the user: a draft to approve, a send to settle, a failure to decide."""

OPEN: Final = (S.PENDING, S.SENDING, S.DRAFT, S.NEEDS_REVIEW, S.FAILED)
"""Rows not finished: neither sent nor cancelled."""

TO_USER: Final = (Kind.PREP_SHEET, Kind.DIGEST, Kind.DEBRIEF_REQUEST)
"""Kinds written to the user themself: never part of a thread with a contact."""

TO_CONTACT: Final = tuple(k for k in Kind if k not in TO_USER)
"""Kinds written to a contact."""


class IllegalMove(ValueError):
    """A move that cannot leave the given status."""

    def __init__(self, status: Status, move: Move) -> None:
        self.status = status
        self.move = move
        legal = sorted(m.value for (s, m) in MOVES if s is status)
        hint = ", ".join(legal) if legal else "none: a sent row is final"
        super().__init__(
            f"cannot apply move '{move.value}' to an outbox row in status '{status.value}' "
            f"(moves allowed there: {hint})"
        )


def allowed(status: Status, move: Move) -> bool:
    """Whether ``move`` may leave ``status``."""
    return (Status(status), Move(move)) in MOVES


def transition(status: Status, move: Move) -> Status:
    """Return the status ``move`` leads to from ``status``, or raise IllegalMove."""
    try:
        return MOVES[(Status(status), Move(move))]
    except KeyError:
        raise IllegalMove(Status(status), Move(move)) from None


def sources(move: Move) -> tuple[Status, ...]:
    """The statuses ``move`` may leave, in the order of :class:`Status`."""
    return tuple(s for s in Status if (s, Move(move)) in MOVES)
