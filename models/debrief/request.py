"""Asking the user how a meeting went: one request after it ends, one reminder, then silence.

The request is an outbox row of kind ``debrief_request`` to the user's own address, about no
interview (it never goes to a contact, and the sender's to-the-user check applies to it), keyed
``meeting:<id>:debrief``; the reminder is a second row, ``meeting:<id>:debrief-reminder``, a
"Re:" in the request's thread. Which of them is due is decided by :func:`debrief_due` from the
meeting's facts alone (pure); :func:`plan_debriefs` gathers the facts and queues the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coffeechat.models.followups.cadence import horizon_start
from coffeechat.models.followups.first_run import connected_at
from coffeechat.models.followups.mail import people
from coffeechat.models.outbox.rows import move, new_row
from coffeechat.models.outbox.states import UNSENT, Kind, Mode, Move, Status
from coffeechat.models.store.events import DebriefRequested
from coffeechat.models.store.tables import Account, Contact, Debrief, Meeting, Outbox
from coffeechat.models.store.uow import UnitOfWork
from coffeechat.models.text import clean_line

# A meeting that ended longer ago than this gets no request (coffeechat was stopped, say):
# a debrief is worth asking for while the conversation is fresh.
ASK_WITHIN = timedelta(days=3)
# How far back the planner looks for requests that may still need their reminder.
_LOOK_BACK = timedelta(days=21)

Renderer = Callable[[str, Mapping[str, object]], str]


class Ask(Enum):
    """What is due for a meeting's debrief."""

    REQUEST = "request"
    REMINDER = "reminder"


@dataclass(frozen=True)
class DebriefFacts:
    """What decides a meeting's debrief mail (all times aware)."""

    ended: datetime
    cancelled: bool = False
    answered: bool = False
    requested: bool = False  # a request row exists, whatever its status
    request_sent_at: datetime | None = None  # when the request went out, if it did
    reminded: bool = False  # a reminder row exists, whatever its status


def occurrence(meeting_id: int, ask: Ask) -> str:
    """The natural key of a meeting's request or reminder row."""
    tail = "debrief" if ask is Ask.REQUEST else "debrief-reminder"
    return f"meeting:{meeting_id}:{tail}"


def meeting_of(occurrence_key: str) -> int | None:
    """The meeting id a debrief row's key names, or None for any other key."""
    parts = occurrence_key.split(":")
    if len(parts) == 3 and parts[0] == "meeting" and parts[2].startswith("debrief"):
        return int(parts[1]) if parts[1].isdigit() else None
    return None


def debrief_due(
    facts: DebriefFacts, *, now: datetime, horizon: datetime | None, reminder_after: timedelta
) -> Ask | None:
    """The mail due now for one meeting, or None (pure).

    ``horizon``: meetings that ended at or before it were over before coffeechat knew the
    account (first run), or None while the account is not connected yet: nothing is asked then.
    """
    if facts.cancelled or facts.answered or facts.ended > now:
        return None
    if not facts.requested:
        if horizon is None or facts.ended <= horizon or now - facts.ended > ASK_WITHIN:
            return None
        return Ask.REQUEST
    if facts.reminded or facts.request_sent_at is None:
        return None  # one reminder, and only after a request that went out
    return Ask.REMINDER if now >= facts.request_sent_at + reminder_after else None


def plan_debriefs(
    uow: UnitOfWork,
    *,
    now: datetime,
    reminder_hours: float,
    first_run_horizon_hours: float,
    render: Renderer,
) -> list[str]:
    """Queue every debrief request or reminder due now; stop those no longer wanted."""
    s = uow.session
    account = s.get(Account, uow.account_id)
    assert account is not None
    labels = _stop_unwanted(uow)
    connected = connected_at(s, uow.account_id)
    horizon = horizon_start(connected, first_run_horizon_hours)
    rows = _rows_by_meeting(uow)
    answered = set(s.scalars(select(Debrief.meeting_id).where(Debrief.account_id == account.id)))
    for meeting, contact in s.execute(
        select(Meeting, Contact)
        .join(Contact, Contact.id == Meeting.contact_id)
        .where(
            Meeting.account_id == account.id,
            Meeting.interview_id.is_not(None),
            Meeting.end_utc <= now,
            Meeting.end_utc > now - _LOOK_BACK,
        )
        .order_by(Meeting.end_utc, Meeting.id)
    ):
        request, reminder = rows.get(meeting.id, (None, None))
        facts = DebriefFacts(
            ended=meeting.end_utc,
            cancelled=meeting.status == "CANCELLED",
            answered=meeting.id in answered,
            requested=request is not None,
            request_sent_at=request.sent_at if request and request.status == Status.SENT else None,
            reminded=reminder is not None,
        )
        ask = debrief_due(
            facts,
            now=now,
            horizon=horizon,
            reminder_after=timedelta(hours=reminder_hours),
        )
        if ask is not None and _queue(uow, account, meeting, contact, ask, request, now, render):
            labels.append(f"debrief-{ask.value}")
    return labels


def _rows_by_meeting(uow: UnitOfWork) -> dict[int, tuple[Outbox | None, Outbox | None]]:
    found: dict[int, tuple[Outbox | None, Outbox | None]] = {}
    for row in uow.session.scalars(
        select(Outbox).where(
            Outbox.account_id == uow.account_id, Outbox.kind == Kind.DEBRIEF_REQUEST
        )
    ):
        meeting_id = meeting_of(row.occurrence)
        if meeting_id is None:
            continue
        request, reminder = found.get(meeting_id, (None, None))
        if row.occurrence.endswith("reminder"):
            reminder = row
        else:
            request = row
        found[meeting_id] = (request, reminder)
    return found


def _queue(
    uow: UnitOfWork,
    account: Account,
    meeting: Meeting,
    contact: Contact,
    ask: Ask,
    request: Outbox | None,
    now: datetime,
    render: Renderer,
) -> bool:
    start = meeting.start_utc.astimezone(ZoneInfo(account.timezone))
    context = {
        **people(account, contact, None),
        "meeting": {
            "day": f"{start:%A} {start.day} {start:%B}",  # "Saturday 5 December", no leading 0
            "summary": meeting.summary,
        },
    }
    subject = clean_line(f"How did it go with {clean_line(contact.name)}?")
    thread: list[str] = []
    if ask is Ask.REMINDER and request is not None:
        subject, thread = f"Re: {request.subject}", [request.message_id]
    template = "debrief_request" if ask is Ask.REQUEST else "debrief_reminder"
    row = new_row(
        account_id=account.id, interview_id=None, kind=Kind.DEBRIEF_REQUEST,
        occurrence=occurrence(meeting.id, ask), sender=account.email, to_addr=account.email,
        subject=subject, body_text=render(f"mail/{template}", context), mode=Mode.AUTO,
        not_before=now, now=now, in_reply_to=thread[0] if thread else None, references=thread,
    )  # fmt: skip
    if uow.session.get_bind().dialect.name == "sqlite":
        # pysqlite's savepoint RELEASE would commit the whole transaction; SQLite's one writer
        # and the rows read above already keep this to one.
        uow.session.add(row)
        uow.session.flush()
    else:
        try:
            with uow.session.begin_nested():
                uow.session.add(row)
        except IntegrityError:
            return False  # another cycle queued it first: the natural key keeps it to one
    uow.record(
        DebriefRequested(
            occurred_at=now, interview_id=meeting.interview_id, contact_id=contact.id,
            meeting_id=meeting.id, message_id=row.message_id, reminder=ask is Ask.REMINDER,
        )
    )  # fmt: skip
    return True


def _stop_unwanted(uow: UnitOfWork) -> list[str]:
    """Unsent mail about a meeting now cancelled is stopped, and an answered one's reminder."""
    labels = []
    answered = set(
        uow.session.scalars(select(Debrief.meeting_id).where(Debrief.account_id == uow.account_id))
    )
    cancelled = set(
        uow.session.scalars(
            select(Meeting.id).where(
                Meeting.account_id == uow.account_id, Meeting.status == "CANCELLED"
            )
        )
    )
    for row in uow.session.scalars(
        select(Outbox).where(
            Outbox.account_id == uow.account_id,
            Outbox.kind == Kind.DEBRIEF_REQUEST,
            Outbox.status.in_(UNSENT),
        )
    ):
        meeting_id = meeting_of(row.occurrence)
        reminder = row.occurrence.endswith("reminder")
        if (reminder and meeting_id in answered) or meeting_id in cancelled:
            reason = "meeting cancelled" if meeting_id in cancelled else "answered"
            if move(uow.session, Move.CANCEL, Outbox.id == row.id, frm=UNSENT, last_error=reason):
                labels.append("debrief-stopped")
    return labels
