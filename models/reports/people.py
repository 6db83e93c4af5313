"""Where each conversation stands and what comes next; a contact's timeline in date order.

Pure reads: ``now`` and the cadence are parameters. A *next step* says who acts (``coffeechat``,
``you`` or ``them``), what, when if known, and for the user the command that does it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.models.followups.cadence import CadenceRules, nudge_due
from coffeechat.models.followups.next_due import aware
from coffeechat.models.followups.outreach import NUDGE_TAG
from coffeechat.models.interviews.fact_times import outreach_sent_at
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.states import OPEN, Mode, Status
from coffeechat.models.store.tables import Contact, EventLog, Interview, Meeting, Outbox

# A contact's timeline shows at most this many events (the newest); older ones are counted.
TIMELINE_SHOWN = 200
_KIND = {"outreach": "request", "thank_you": "thank-you", "prep_sheet": "prep sheet"}


@dataclass(frozen=True)
class NextStep:
    """What happens next in one conversation."""

    who: str  # coffeechat | you | them | "" (nothing is due)
    what: str
    at: datetime | None = None
    command: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "who": self.who,
            "what": self.what,
            "at": self.at.isoformat() if self.at else None,
            "command": self.command or None,
        }


def _kind(kind: str) -> str:
    return _KIND.get(kind, kind)


def contact_ref(contact: Contact) -> str:
    """How a command names the contact unambiguously: ``"#12"``."""
    return f'"#{contact.id}"'


def bounced_only(contact: Contact) -> bool:
    """Every address of the contact bounced or complained: no mail can reach them."""
    return bool(contact.emails) and all(e.status != "ok" for e in contact.emails)


def next_step(
    session: Session,
    interview: Interview,
    contact: Contact,
    now: datetime,
    *,
    cadence: CadenceRules | None,
    zone: ZoneInfo,
) -> NextStep:
    """The next thing to happen in ``interview``: the user's part first, then coffeechat's."""
    rows = session.scalars(
        select(Outbox)
        .where(Outbox.interview_id == interview.id)
        .where(Outbox.status.in_(OPEN))
        .order_by(Outbox.not_before, Outbox.id)
    ).all()
    step = _waiting_mail(rows) or _bounced(interview, contact, pending=bool(rows))
    if step is not None:
        return step
    meeting = session.scalars(
        select(Meeting)
        .where(Meeting.interview_id == interview.id, Meeting.status != "CANCELLED")
        .where(Meeting.end_utc >= now)
        .order_by(Meeting.start_utc)
    ).first()
    if rows:
        row = rows[0]
        what = f"the {_kind(row.kind)}"
        what = f"{what} into your Drafts to approve" if row.mode == Mode.REVIEW else f"sends {what}"
        step = NextStep("coffeechat", what, aware(row.not_before))
        if meeting is None or step.at is None or step.at <= aware(meeting.start_utc):
            return step
    if meeting is not None:
        return NextStep("", "meeting", aware(meeting.start_utc))
    return _by_state(session, interview, contact, now, cadence, zone)


def _waiting_mail(rows: Sequence[Outbox]) -> NextStep | None:
    """A draft to approve or an interrupted send to settle: the user's move."""
    for row in rows:
        if row.status == Status.DRAFT:
            return NextStep(
                "you",
                f"approve the {_kind(row.kind)} in Drafts",
                None,
                f"coffeechat approve {row.id}",
            )
        if row.status in (Status.NEEDS_REVIEW, Status.FAILED):
            what = "failed" if row.status == Status.FAILED else "was interrupted"
            return NextStep(
                "you",
                f"the {_kind(row.kind)} {what}: did it arrive?",
                None,
                f"coffeechat review {row.id} sent|resend|drop",
            )
    return None


def _bounced(interview: Interview, contact: Contact, *, pending: bool) -> NextStep | None:
    """Mail bounced: a working address to add, or a new request to ask for."""
    ref, undeliverable = contact_ref(contact), interview.state == State.UNDELIVERABLE.value
    if bounced_only(contact):
        edit = f"coffeechat contacts edit {ref} --add-email ADDRESS"
        if not undeliverable:  # the request stands: only the address is gone
            return NextStep("you", "mail bounced: add a working address", None, edit)
        return NextStep(
            "you",
            "mail bounced: add a working address, then ask again",
            None,
            f"{edit}; coffeechat outreach {ref}",
        )
    if undeliverable and not pending:  # else the new request is on its way
        return NextStep(
            "you",
            "mail bounced; they have another address now: ask again",
            None,
            f"coffeechat outreach {ref}",
        )
    return None


def _by_state(
    session: Session,
    interview: Interview,
    contact: Contact,
    now: datetime,
    cadence: CadenceRules | None,
    zone: ZoneInfo,
) -> NextStep:
    ref, state = contact_ref(contact), interview.state
    if contact.do_not_contact or state == State.CLOSED.value:
        return NextStep(
            "", "closed" + (f" ({interview.closed_reason})" if interview.closed_reason else "")
        )
    if state == State.PLANNED.value:
        return NextStep("you", "ask for a conversation", None, f"coffeechat outreach {ref}")
    if state in (State.REQUESTED.value, State.NUDGED.value):
        paused = interview.paused_until
        back = aware(paused) if paused is not None and aware(paused) > now else None
        if state == State.REQUESTED.value and NUDGE_TAG in contact.tags and cadence is not None:
            sent = outreach_sent_at(session, interview.account_id, interview)
            due = nudge_due(aware(sent), interview.paused_until, cadence, zone)
            return NextStep("coffeechat", "nudge if no reply", due)
        if back is not None:
            return NextStep("them", "waiting for a reply; away until", back)
        return NextStep("them", "waiting for a reply")
    if state == State.REPLIED.value:
        return NextStep("you", "book the meeting (coffeechat sees it in your calendar)")
    if state == State.HELD.value:
        return NextStep("coffeechat", "thank-you after the meeting")
    if state in (State.SCHEDULED.value, State.PREPPED.value):
        return NextStep("coffeechat", "marks the meeting held, then a thank-you")
    return NextStep(
        "",
        "nothing due; news for them goes in a note",
        None,
        f'coffeechat note {ref} "NEWS" --for-update',
    )


@dataclass(frozen=True)
class TimelineEntry:
    """Events that happened at one moment in one conversation, in the order they were logged."""

    at: datetime
    interview_id: int | None
    events: tuple[tuple[str, dict[str, Any]], ...]


def timeline(session: Session, contact_id: int) -> tuple[list[TimelineEntry], int]:
    """The contact's events in date order (then log order), grouped by moment; and how many
    older ones were left out (beyond TIMELINE_SHOWN)."""
    rows = session.scalars(
        select(EventLog)
        .where(EventLog.contact_id == contact_id)
        .order_by(EventLog.occurred_at.desc(), EventLog.id.desc())
        .limit(TIMELINE_SHOWN)
    ).all()
    total = session.scalar(
        select(func.count()).select_from(EventLog).where(EventLog.contact_id == contact_id)
    )
    left_out = max(0, int(total or 0) - TIMELINE_SHOWN)
    rows = list(reversed(rows[:TIMELINE_SHOWN]))
    out: list[TimelineEntry] = []
    for ev in rows:
        at = aware(ev.occurred_at)
        item = (ev.type, dict(ev.payload))
        if out and out[-1].at == at and out[-1].interview_id == ev.interview_id:
            last = out[-1]
            out[-1] = TimelineEntry(last.at, last.interview_id, (*last.events, item))
        else:
            out.append(TimelineEntry(at, ev.interview_id, (item,)))
    return out, left_out
