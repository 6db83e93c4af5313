"""What the assistant may read: the same answers ``status``, ``contacts show`` and ``prep`` give.

Each function takes a session, the account and ``now`` and returns JSON-friendly data. Lists
are capped, so a long-lived account costs the assistant (and us) a bounded answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.models.contacts.records import find_contact
from coffeechat.models.outbox.states import UNSENT, Status
from coffeechat.models.reports.export import record
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.tables import EventLog, Message, Note, Outbox

TIMELINE_SHOWN = 200
MESSAGES_SHOWN = 50
EXCERPT_CHARS = 1000
# Contact columns the assistant sees; nothing else stored on the row is its business.
_CONTACT_FIELDS = frozenset(
    {"id", "name", "company", "role", "linkedin_url", "timezone", "tags", "source"}
    | {"do_not_contact", "created_at"}
)


def pipeline(session: Session, account_id: int, now: datetime, horizon: float) -> dict[str, Any]:
    """Contacts, interviews per stage and mail counts, as ``coffeechat status`` reports them."""
    report = status_report(session, account_id, now, horizon_hours=horizon)
    return {k: report[k] for k in ("account", "now", "contacts", "stages", "mail")}


def next_meetings(
    session: Session, account_id: int, now: datetime, horizon: float
) -> list[dict[str, Any]]:
    """The next meetings not over and not cancelled, with whether their prep sheet exists."""
    meetings: list[dict[str, Any]] = status_report(session, account_id, now, horizon_hours=horizon)[
        "next_meetings"
    ]
    return meetings


def needs_you(session: Session, account_id: int, now: datetime, horizon: float) -> dict[str, Any]:
    """What waits for the user, as ``status`` lists it (models/reports/needs.py): ``items``
    with their commands, then the mail, promises and set-aside mail in detail."""
    report = status_report(session, account_id, now, horizon_hours=horizon)
    items: list[dict[str, Any]] = report["needs_you"]
    ids = [i["id"] for i in items if i["kind"] in ("draft", "review") and i["id"] is not None]
    waiting = session.scalars(select(Outbox).where(Outbox.id.in_(ids)).order_by(Outbox.id)).all()
    return {
        "items": items,
        "drafts_awaiting_approval": [_row(r) for r in waiting if r.status in UNSENT],
        "needs_review": [_row(r) for r in waiting if r.status == Status.NEEDS_REVIEW],
        "failed": [_row(r) for r in waiting if r.status == Status.FAILED],
        "promises": [i for i in items if i["kind"] == "promise" and i["id"] is not None],
        "suspicious": report["suspicious"],
        "unreadable": report["unreadable"],
        "not_thanked": report["not_thanked"],
        "sending_paused": report["sending_paused"],
        "how_to_act": "The user settles each item with its `command` (approve a draft with "
        "`coffeechat approve ID`, mark a promise kept with `coffeechat done ID`); "
        "the assistant cannot send, approve or mark anything done.",
    }


def _row(row: Outbox) -> dict[str, Any]:
    where = "in Drafts" if row.status == Status.DRAFT else "goes to Drafts at the next cycle"
    return {
        "outbox_id": row.id,
        "kind": row.kind,
        "to": row.to_addr,
        "subject": row.subject,
        "status": row.status,
        "where": where if row.status in (Status.DRAFT, Status.PENDING) else row.status,
        "note": row.last_error or None,
    }


def contact_card(session: Session, account_id: int, ref: str) -> dict[str, Any]:
    """One contact: details, addresses with their status, notes and timeline (newest last)."""
    found = find_contact(session, account_id, ref)
    details = {k: v for k, v in record(found).items() if k in _CONTACT_FIELDS}
    details["emails"] = [{"address": e.address, "status": e.status} for e in found.emails]
    events = session.scalars(
        select(EventLog)
        .where(EventLog.account_id == account_id, EventLog.contact_id == found.id)
        .order_by(EventLog.id.desc())
        .limit(TIMELINE_SHOWN)
    ).all()
    notes = session.scalars(
        select(Note.text).where(Note.contact_id == found.id).order_by(Note.id).limit(100)
    ).all()
    return {
        "contact": details,
        "notes": list(notes),
        "timeline": [
            {"at": ev.occurred_at.isoformat(), "type": ev.type, **ev.payload}
            for ev in reversed(events)
        ],
    }


def thread(session: Session, account_id: int, ref: str) -> dict[str, Any]:
    """The mail exchanged with a contact, oldest first, each body trimmed to its stored excerpt."""
    found = find_contact(session, account_id, ref)
    rows = session.scalars(
        select(Message)
        .where(Message.account_id == account_id, Message.contact_id == found.id)
        .order_by(Message.recorded_at.desc(), Message.id.desc())
        .limit(MESSAGES_SHOWN)
    ).all()
    ordered = sorted(rows, key=lambda m: (m.date or m.recorded_at, m.id))
    return {
        "contact": {"id": found.id, "name": found.name},
        "messages": [
            {
                "date": (m.date or m.recorded_at).isoformat(),
                "direction": m.direction,
                "from": m.from_addr,
                "to": m.to_addrs,
                "subject": m.subject,
                "kind": m.kind,
                "excerpt": m.excerpt[:EXCERPT_CHARS],
            }
            for m in ordered
        ],
    }
