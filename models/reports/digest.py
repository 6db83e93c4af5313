"""The digest: one email a day to the user, at their hour, only when there is something to say.

What it holds is decided here, from the database at ``now``: what happened since the last
digest went out (the event log after that digest's own EmailSent), what waits for the user
(models/reports/needs.py, the list `status` shows, told since the last digest: drafts, mail to
settle, promises, referrals, paused sending, failing sources), and the next meetings with their
prep sheets. An open promise is listed whenever a digest goes out, but only an overdue one or
one due by tomorrow is a reason to send it. Its outbox row is keyed by the user's local date,
so one account gets at most one digest a day however often the cycle runs or restarts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.models.outbox.rows import add_once, new_row
from coffeechat.models.outbox.states import Kind, Mode
from coffeechat.models.reports.needs import needs_you
from coffeechat.models.store.tables import (
    Account,
    Contact,
    EventLog,
    Meeting,
    Outbox,
    PrepSheet,
)
from coffeechat.models.store.uow import UnitOfWork
from coffeechat.models.text import clean_line

KIND = Kind.DIGEST.value
# Budgets: a digest stays readable whatever a day held; the rest is counted, not listed.
MAX_HAPPENED = 40
MAX_NEEDS = 20
MAX_MEETINGS = 5
_EVENT_SCAN = 2000
MEETINGS_AHEAD = timedelta(days=7)
FIRST_LOOKBACK = timedelta(days=1)  # the first digest tells the last day
# A digest not out within this long after it was made says stale things: it is dropped.
KEEP_FOR = timedelta(hours=6)
_KIND_WORDS = {"outreach": "request", "nudge": "follow-up", "thank_you": "thank-you",
               "update": "update", "prep_sheet": "prep sheet", "reply": "reply"}  # fmt: skip
_QUIET = frozenset({"AssistantCalled", "NoteAdded", "StateChanged", "ContactAdded"})


@dataclass(frozen=True)
class UpcomingMeeting:
    """A meeting ahead and where its prep sheet is."""

    start: datetime
    contact: str
    summary: str
    prep_sheet: str  # its file path, or "" when none is made yet


@dataclass(frozen=True)
class Digest:
    """What one digest says; ``has_news`` is False when it would say nothing new."""

    since: datetime | None
    happened: tuple[tuple[datetime, str], ...]
    more_happened: int
    needs_you: tuple[str, ...]  # each item's text and command, as `status` has them
    more_needs: int
    meetings: tuple[UpcomingMeeting, ...]
    pressing: bool = False  # one of the needs is reason enough to write (not a far promise)

    @property
    def has_news(self) -> bool:
        """Whether anything happened or something pressing waits for the user (meetings and
        promises not due yet alone are no news)."""
        return bool(self.happened or self.pressing)


def occurrence(now: datetime, zone: ZoneInfo) -> str:
    """The digest's natural key: the user's local date."""
    return f"{KIND}:{now.astimezone(zone).date().isoformat()}"


def is_due(now: datetime, zone: ZoneInfo, hour: int) -> bool:
    """Whether ``now`` is in the user's digest hour (a day that skips that hour has none)."""
    return now.astimezone(zone).hour == hour


def made_today(session: Session, account_id: int, now: datetime, zone: ZoneInfo) -> bool:
    """Whether today's digest row exists, in any status (it is never made twice)."""
    found = session.scalar(
        select(Outbox.id).where(
            Outbox.account_id == account_id,
            Outbox.kind == KIND,
            Outbox.interview_id.is_(None),
            Outbox.occurrence == occurrence(now, zone),
        )
    )
    return found is not None


def digest_content(session: Session, account_id: int, now: datetime) -> Digest:
    """What the digest at ``now`` says, read from the database."""
    if session.get(Account, account_id) is None:
        raise LookupError(f"no account with id {account_id}")
    after_id, since = _last_digest(session, account_id)
    happened = _happened(session, account_id, now, after_id, since)
    needs = needs_you(session, account_id, now, since=since or now - FIRST_LOOKBACK)
    return Digest(
        since=since,
        happened=tuple(happened[:MAX_HAPPENED]),
        more_happened=max(len(happened) - MAX_HAPPENED, 0),
        needs_you=tuple(need.line() for need in needs[:MAX_NEEDS]),
        more_needs=max(len(needs) - MAX_NEEDS, 0),
        pressing=any(need.pressing for need in needs),
        meetings=tuple(_meetings(session, account_id, now)),
    )


def _last_digest(session: Session, account_id: int) -> tuple[int | None, datetime | None]:
    """The event-log id and time of the last digest that went out (None, None before one)."""
    for event in session.scalars(
        select(EventLog)
        .where(
            EventLog.account_id == account_id,
            EventLog.type == "EmailSent",
            EventLog.interview_id.is_(None),
        )
        .order_by(EventLog.id.desc())
        .limit(50)
    ):
        if event.payload.get("kind") == KIND:
            return event.id, event.occurred_at
    return None, None


def _happened(
    session: Session, account_id: int, now: datetime, after_id: int | None, since: datetime | None
) -> list[tuple[datetime, str]]:
    stmt = select(EventLog).where(EventLog.account_id == account_id, EventLog.recorded_at <= now)
    if after_id is not None:
        stmt = stmt.where(EventLog.id > after_id)
    else:
        stmt = stmt.where(EventLog.recorded_at >= (since or now - FIRST_LOOKBACK))
    events = list(session.scalars(stmt.order_by(EventLog.id).limit(_EVENT_SCAN)))
    names = _names(session, (e.contact_id for e in events))
    lines: dict[str, datetime] = {}
    for event in events:
        text = describe(event.type, event.payload, names.get(event.contact_id or 0, ""))
        if text:
            lines.setdefault(text, event.occurred_at)
    return sorted(((at, text) for text, at in lines.items()), key=lambda item: item[0])


def describe(kind: str, payload: dict[str, Any], contact: str) -> str:
    """One event in words, or "" for events the digest leaves out (its own, the user's own)."""
    who = contact or "someone"
    if kind in _QUIET:
        return ""
    if kind == "EmailSent":
        sent = str(payload.get("kind", ""))
        if sent in (KIND, Kind.OUTREACH, Kind.PREP_SHEET, Kind.DEBRIEF_REQUEST):
            return ""  # the digest itself; the others have their own events (or are to you)
        return f"{_KIND_WORDS.get(sent, sent)} sent to {who}"
    words = {
        "OutreachSent": f"request sent to {who}"
        + (" (by you)" if payload.get("by") == "user" else ""),
        "ReplyReceived": f"{who} replied",
        "AutoReplyReceived": f"{who} is away"
        + (f" until {payload['return_date']}" if payload.get("return_date") else ""),
        "BounceReceived": f"mail to {who} bounced",
        "ContactOptedOut": f"{who} asked not to be contacted again",
        "MeetingScheduled": f"meeting with {who} booked",
        "MeetingRescheduled": f"meeting with {who} moved",
        "MeetingCancelled": f"meeting with {who} cancelled",
        "MeetingEnded": f"met {who}",
        "PrepSheetDelivered": f"prep sheet for {who} sent to you",
        "ReferralSuggested": f"{who} suggested talking to "
        + clean_line(str(payload.get("name") or payload.get("address") or "someone")),
        "MessageSuspected": "a message claimed a change it had no right to make",
    }
    return words.get(kind, "")


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(wanted)))
    return {cid: clean_line(name) for cid, name in rows}


def _meetings(session: Session, account_id: int, now: datetime) -> list[UpcomingMeeting]:
    out = []
    for meeting, name in session.execute(
        select(Meeting, Contact.name)
        .outerjoin(Contact, Contact.id == Meeting.contact_id)
        .where(
            Meeting.account_id == account_id,
            Meeting.start_utc >= now,
            Meeting.start_utc < now + MEETINGS_AHEAD,
            Meeting.status != "CANCELLED",
        )
        .order_by(Meeting.start_utc, Meeting.id)
        .limit(MAX_MEETINGS)
    ):
        sheet = session.scalar(
            select(PrepSheet.path)
            .where(PrepSheet.meeting_id == meeting.id)
            .order_by(PrepSheet.meeting_version.desc(), PrepSheet.id.desc())
            .limit(1)
        )
        out.append(
            UpcomingMeeting(
                start=meeting.start_utc,
                contact=clean_line(name or ""),
                summary=clean_line(meeting.summary),
                prep_sheet=sheet or "",
            )
        )
    return out


def subject(digest: Digest, now: datetime, zone: ZoneInfo) -> str:
    """The digest's subject: the day and what it holds."""
    day = now.astimezone(zone).strftime("%a %d %b")
    parts = []
    if digest.needs_you:
        parts.append(f"{len(digest.needs_you) + digest.more_needs} need you")
    if digest.happened:
        parts.append(f"{len(digest.happened) + digest.more_happened} new")
    return f"coffeechat digest, {day}: {', '.join(parts)}"


def queue_digest(
    uow: UnitOfWork, *, now: datetime, zone: ZoneInfo, to_addr: str, subject: str, body: str
) -> Outbox | None:
    """The one place a digest row is made: once per account per local day; None when it was."""
    if made_today(uow.session, uow.account_id, now, zone):
        return None
    row = new_row(
        account_id=uow.account_id, interview_id=None, kind=Kind.DIGEST,
        occurrence=occurrence(now, zone), sender=to_addr, to_addr=to_addr,
        subject=clean_line(subject), body_text=body, mode=Mode.AUTO,
        not_before=now, not_after=now + KEEP_FOR, now=now,
    )  # fmt: skip
    return add_once(uow.session, row)  # the partial unique index: one per local day
