"""``coffeechat status``: where everything stands, for one account, at ``now``.

The JSON shape (``coffeechat status --json``) is stable: keys are only ever added. Times are
ISO 8601 in UTC; ``timezone`` is the zone the text form shows them in. Besides the counts:

- ``people``: open conversations, newest change first (at most PEOPLE_SHOWN, ``people_more``
  counts the rest), each ``{contact_id, contact, email, state, since, next}``; ``state`` is
  ``undeliverable`` when every address bounced; ``next`` is ``{who, what, at, command}``
  (``who``: coffeechat, you, them or "").
- ``needs_you``: what waits for the user (models/reports/needs.py, the list the digest and the
  MCP server give too), each ``{kind, text, command, id}``; ``kind`` is one of sending_paused,
  draft, review, promise, referral, no_contacts, undeliverable, unreadable, suspicious,
  not_thanked, source_failing; ``command`` names the command that settles it (or null); ``id``
  the outbox row, promise or referral it is about (or null); a promise adds ``due`` (an ISO
  date or null) and ``contact_id``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.models.followups.cadence import CadenceRules
from coffeechat.models.followups.first_run import not_thanked
from coffeechat.models.interviews.authority import suspected
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.states import Status
from coffeechat.models.reports.needs import needs_you
from coffeechat.models.reports.people import next_step
from coffeechat.models.store.tables import (
    Account,
    Contact,
    Interview,
    Meeting,
    Message,
    Outbox,
    PrepSheet,
    SkippedItem,
    SyncCursor,
)

# `status` lists at most this many conversations; the rest are counted.
PEOPLE_SHOWN = 50


def status_report(
    session: Session,
    account_id: int,
    now: datetime,
    *,
    horizon_hours: float = 24,
    cadence: CadenceRules | None = None,
) -> dict[str, Any]:
    """A JSON-friendly summary: stages, next meetings, mail, and the health of every source."""
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account with id {account_id}")
    zone = ZoneInfo(account.timezone)
    people, more = _people(session, account_id, now, cadence, zone)
    report = {
        "account": account.slug,
        "now": now.isoformat(),
        "timezone": account.timezone,
        "contacts": session.scalar(
            select(func.count()).select_from(Contact).where(Contact.account_id == account_id)
        ),
        "stages": _stages(session, account_id),
        "next_meetings": _next_meetings(session, account_id, now),
        "mail": _mail(session, account_id, now, ZoneInfo(account.timezone)),
        "sending_paused": account.sending_paused or None,
        "unreadable": _unreadable(session, account_id),
        "sources": _sources(session, account_id),
        "suspicious": _suspicious(session, account_id),
        # Met before the first-run horizon and never thanked: only the user decides.
        "not_thanked": not_thanked(session, account_id, horizon_hours, zone),
        "people": people,
        "people_more": more,
    }
    needs = needs_you(session, account_id, now, horizon_hours=horizon_hours)
    report["needs_you"] = [need.as_dict() for need in needs]
    return report


def _people(
    session: Session,
    account_id: int,
    now: datetime,
    cadence: CadenceRules | None,
    zone: ZoneInfo,
) -> tuple[list[dict[str, Any]], int]:
    """Open conversations, newest change first, each with what comes next."""
    where = (Interview.account_id == account_id, Interview.state != State.CLOSED.value)
    total = session.scalar(select(func.count()).select_from(Interview).where(*where))
    rows = session.execute(
        select(Interview, Contact)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(*where)
        .order_by(Interview.state_changed_at.desc(), Interview.id.desc())
        .limit(PEOPLE_SHOWN)
    ).all()
    out = []
    for interview, contact in rows:
        ok = [e.address for e in contact.emails if e.status == "ok"]
        state = interview.state if ok or not contact.emails else State.UNDELIVERABLE.value
        step = next_step(session, interview, contact, now, cadence=cadence, zone=zone)
        out.append(
            {
                "contact_id": contact.id,
                "contact": contact.name,
                "email": ok[0] if ok else (contact.emails[0].address if contact.emails else ""),
                "state": state,
                "since": interview.state_changed_at.isoformat(),
                "next": step.as_dict(),
            }
        )
    return out, max(0, int(total or 0) - len(out))


def _suspicious(session: Session, account_id: int) -> dict[str, Any]:
    """Mail that claimed an authority it lacks: changed nothing, waits for the user to confirm."""
    count, latest = suspected(session, account_id)
    return {"count": count, "to_confirm": latest}


UNREADABLE_SHOWN = 5


def _unreadable(session: Session, account_id: int) -> dict[str, Any]:
    """Mail kept but not read (over its budget): how many, and the latest few with reasons."""
    where = (Message.account_id == account_id, Message.kind == "unreadable")
    count = session.scalar(select(func.count()).select_from(Message).where(*where))
    latest = session.scalars(
        select(Message).where(*where).order_by(Message.id.desc()).limit(UNREADABLE_SHOWN)
    ).all()
    return {
        "count": int(count or 0),
        "latest": [
            {
                "message_id": m.message_id,
                "from": m.from_addr,
                "subject": m.subject,
                "folder": m.folder,
                "uid": m.uid,
                "rule": m.rule,
                "reason": m.excerpt,
                "at": m.recorded_at.isoformat(),
            }
            for m in latest
        ],
    }


def _stages(session: Session, account_id: int) -> dict[str, int]:
    counts = dict(
        session.execute(
            select(Interview.state, func.count())
            .where(Interview.account_id == account_id)
            .group_by(Interview.state)
        ).all()
    )
    return {s.value: int(counts.get(s.value, 0)) for s in State}


def _next_meetings(session: Session, account_id: int, now: datetime) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Meeting, Contact.name)
        .outerjoin(Contact, Contact.id == Meeting.contact_id)
        .where(
            Meeting.account_id == account_id,
            Meeting.end_utc >= now,
            Meeting.status != "CANCELLED",
        )
        .order_by(Meeting.start_utc)
        .limit(10)
    ).all()
    out = []
    for meeting, name in rows:
        sheet = session.scalars(
            select(PrepSheet).where(
                PrepSheet.meeting_id == meeting.id, PrepSheet.meeting_version == meeting.version
            )
        ).first()
        prep = "none" if sheet is None else ("delivered" if sheet.delivered_at else "made")
        out.append(
            {
                "meeting_id": meeting.id,
                "contact": name,
                "start": meeting.start_utc.isoformat(),
                "end": meeting.end_utc.isoformat(),
                "summary": meeting.summary,
                "prep_sheet": prep,
            }
        )
    return out


def _mail(session: Session, account_id: int, now: datetime, zone: ZoneInfo) -> dict[str, int]:
    # Midnight to midnight on the local calendar day, whatever its length (DST days are 23/25 h).
    today = now.astimezone(zone).date()
    local_midnight = datetime.combine(today, time(0), zone)
    next_midnight = datetime.combine(today + timedelta(days=1), time(0), zone)
    counts = dict(
        session.execute(
            select(Outbox.status, func.count())
            .where(Outbox.account_id == account_id)
            .group_by(Outbox.status)
        ).all()
    )
    sent_today = session.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(
            Outbox.account_id == account_id,
            Outbox.status == Status.SENT,
            Outbox.sent_at >= local_midnight,
            Outbox.sent_at < next_midnight,
        )
    )
    return {
        "queued": int(counts.get(Status.PENDING, 0)) + int(counts.get(Status.SENDING, 0)),
        "sent_today": int(sent_today or 0),
        "awaiting_approval": int(counts.get(Status.DRAFT, 0)),
        "needs_review": int(counts.get(Status.NEEDS_REVIEW, 0)),
        "failed": int(counts.get(Status.FAILED, 0)),
    }


def _sources(session: Session, account_id: int) -> list[dict[str, Any]]:
    out = []
    for cur in session.scalars(
        select(SyncCursor)
        .where(SyncCursor.account_id == account_id)
        .order_by(SyncCursor.source_kind, SyncCursor.source)
    ):
        skipped = session.scalars(
            select(SkippedItem)
            .where(
                SkippedItem.account_id == account_id,
                SkippedItem.source_kind == cur.source_kind,
                SkippedItem.source == cur.source,
            )
            .order_by(SkippedItem.id.desc())
            .limit(5)
        ).all()
        out.append(
            {
                "kind": cur.source_kind,
                "source": cur.source,
                "last_success": cur.last_success_at.isoformat() if cur.last_success_at else None,
                "last_attempt": cur.last_attempt_at.isoformat() if cur.last_attempt_at else None,
                "failing": cur.consecutive_failures > 0,
                "consecutive_failures": cur.consecutive_failures,
                "last_error": cur.last_error or None,
                "skipped": [
                    {"item": s.item, "reason": s.reason, "at": s.occurred_at.isoformat()}
                    for s in skipped
                ],
            }
        )
    return out
