"""Reading a later meeting's "last time" facts from the store; last_time.py words them.

The last meeting is the newest one with this person that ended before this one starts (and
before now). Its debrief gives what was learned and the advice; the promise table the promises
still open to this person; the event log, notes and referrals what happened since it ended.
Every query is bounded, whatever the store holds.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.models.contacts.referral_report import outcome
from coffeechat.models.outbox.states import Kind, Status
from coffeechat.models.prep.context import Recap
from coffeechat.models.prep.last_time import (
    PROMISES,
    SINCE,
    Happened,
    Introduced,
    LastTime,
    OpenPromise,
    describe_last_time,
)
from coffeechat.models.store.tables import (
    Contact,
    Debrief,
    EventLog,
    Interview,
    Meeting,
    Note,
    Outbox,
    Promise,
    Referral,
)
from coffeechat.models.text import clean_line

_PLAIN_NAME = re.compile(r"[\w .'-]+")
MAIL_ROWS = 200
_MAIL_KINDS = ("thank_you", "update", "nudge", "outreach", "intro_request")


def last_time_lines(
    session: Session, contact_id: int, before: datetime, now: datetime, zone: tzinfo
) -> tuple[Recap, ...]:
    """The section for a meeting with ``contact_id`` starting at ``before``; () for a first one."""
    last = session.scalars(
        select(Meeting)
        .where(
            Meeting.contact_id == contact_id,
            Meeting.status != "CANCELLED",
            Meeting.end_utc <= min(before, now),
        )
        .order_by(Meeting.end_utc.desc(), Meeting.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return ()
    debrief = session.scalars(
        select(Debrief).where(Debrief.meeting_id == last.id, Debrief.received_at <= now)
    ).first()
    fields = debrief.fields if debrief is not None and isinstance(debrief.fields, dict) else {}
    promises, total = _open_promises(session, contact_id, now)
    facts = LastTime(
        met=last.start_utc,
        title=clean_line(last.summary, limit=200),
        debriefed=debrief is not None,
        learned=_texts(fields.get("learned")),
        advice=_texts(fields.get("advice")),
        promises=promises,
        open_promises=total,
        kept=_kept(session, debrief),
        introduced=_introduced(session, contact_id, last.end_utc, now),
        happened=_happened(session, contact_id, last, now),
        who=_who(session, contact_id),
    )
    return describe_last_time(facts, zone, now.astimezone(zone).date())


def _texts(value: Any) -> tuple[str, ...]:
    # The stored JSON is ours, but an older or hand-edited row must not break the sheet.
    # All of it is counted (it is in memory already); last_time.py shows only the first few.
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and v.strip())


def _open_promises(
    session: Session, contact_id: int, now: datetime
) -> tuple[list[OpenPromise], int]:
    """The first few open promises (overdue and soonest first) and how many are open."""
    which = (Promise.contact_id == contact_id, Promise.status == "open", Promise.created_at <= now)
    rows = session.execute(
        select(Promise.id, Promise.text, Promise.due)
        .where(*which)
        .order_by(Promise.due.is_(None), Promise.due, Promise.id)
        .limit(PROMISES)
    ).all()
    total = session.scalar(select(func.count(Promise.id)).where(*which)) or 0
    return [OpenPromise(r.id, r.text, r.due) for r in rows], total


def _kept(session: Session, debrief: Debrief | None) -> list[str]:
    if debrief is None:
        return []
    return list(
        session.scalars(
            select(Promise.text)
            .where(Promise.debrief_id == debrief.id, Promise.status == "done")
            .order_by(Promise.id)
            .limit(2)
        )
    )


def _introduced(
    session: Session, contact_id: int, since: datetime, now: datetime
) -> list[Introduced]:
    """People this contact suggested whom the user accepted, at the furthest stage reached."""
    out = []
    refs = session.scalars(
        select(Referral)
        .where(
            Referral.from_contact_id == contact_id,
            Referral.status == "approved",
            Referral.to_contact_id.is_not(None),
        )
        .order_by(Referral.id)
        .limit(SINCE * 2)
    ).all()
    for ref in refs:
        person = session.get(Contact, ref.to_contact_id)
        if person is None:
            continue
        came = outcome(session, person.id, now)
        stage, at = "accepted", ref.decided_at or ref.created_at
        if came["met"]:
            met = session.scalar(
                select(Meeting.end_utc)
                .where(
                    Meeting.contact_id == person.id,
                    Meeting.status != "CANCELLED",
                    Meeting.end_utc <= now,
                )
                .order_by(Meeting.end_utc)
                .limit(1)
            )
            stage, at = "met", met or at
        elif came["contacted"]:
            stage, at = "contacted", _first_outreach(session, person.id) or at
        if since <= at <= now:
            told = person.introduction_reported_at is not None
            out.append(Introduced(person.name or ref.name, stage, at, told=told))
    return out


def _first_outreach(session: Session, contact_id: int) -> datetime | None:
    return session.scalar(
        select(Outbox.sent_at)
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(
            Interview.contact_id == contact_id,
            Outbox.kind == Kind.OUTREACH,
            Outbox.status == Status.SENT,
        )
        .order_by(Outbox.sent_at)
        .limit(1)
    )


def _happened(session: Session, contact_id: int, last: Meeting, now: datetime) -> list[Happened]:
    notes = session.scalars(
        select(Note)
        .where(
            Note.contact_id == contact_id,
            Note.created_at >= last.start_utc,
            Note.created_at <= now,
        )
        .order_by(Note.created_at.desc(), Note.id.desc())
        .limit(SINCE + 1)
    ).all()
    # News an update already told is dated by when it was told.
    out = [Happened(n.reported_at or n.created_at, _note_kind(n), n.text) for n in reversed(notes)]
    # Mail is counted per day on the sheet ("3 times"): enough rows for honest counts, still
    # a bounded read whatever the log holds.
    events = session.execute(
        select(EventLog.type, EventLog.payload, EventLog.occurred_at)
        .where(
            EventLog.contact_id == contact_id,
            EventLog.type.in_(("EmailSent", "ReplyReceived")),
            EventLog.occurred_at >= last.end_utc,
            EventLog.occurred_at <= now,
        )
        .order_by(EventLog.occurred_at.desc(), EventLog.id.desc())
        .limit(MAIL_ROWS)
    ).all()
    for e in events:
        kind = str(e.payload.get("kind", "")) if e.type == "EmailSent" else "reply"
        if kind in _MAIL_KINDS or kind == "reply":
            out.append(Happened(e.occurred_at, kind))
    return out


def _note_kind(note: Note) -> str:
    if not note.for_update:
        return "note"
    return "news-told" if note.reported_at is not None else "news"


def _who(session: Session, contact_id: int) -> str:
    name = session.scalar(select(Contact.name).where(Contact.id == contact_id)) or ""
    return clean_line(name, limit=80) if _PLAIN_NAME.fullmatch(name) else f"#{contact_id}"
