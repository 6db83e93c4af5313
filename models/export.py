"""``coffeechat export --json``: every record of an account in a documented, stable shape.

Shape (version 1)::

    {"format": "coffeechat-export", "version": 1, "schema_revision": "0001",
     "account": {...}, "contacts": [{..., "emails": [{address, is_primary, status}]}],
     "interviews": [...], "messages": [...], "meetings": [...], "prep_sheets": [...],
     "outbox": [...], "referrals": [...], "notes": [...], "milestones": [...],
     "sync_cursors": [...], "skipped_items": [...], "event_log": [...]}

Each record carries its table's columns by name; times are ISO 8601 in UTC; lists are ordered
by id. New columns may be added to records; existing keys are never renamed or removed
without bumping ``version``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from models.tables import (
    Account,
    Base,
    Contact,
    ContactEmail,
    EventLog,
    Interview,
    Meeting,
    Message,
    Milestone,
    Note,
    Outbox,
    PrepSheet,
    Referral,
    SkippedItem,
    SyncCursor,
)

EXPORT_VERSION = 1
_SECTIONS: tuple[tuple[str, type[Base]], ...] = (
    ("interviews", Interview),
    ("messages", Message),
    ("meetings", Meeting),
    ("prep_sheets", PrepSheet),
    ("outbox", Outbox),
    ("referrals", Referral),
    ("notes", Note),
    ("milestones", Milestone),
    ("sync_cursors", SyncCursor),
    ("skipped_items", SkippedItem),
    ("event_log", EventLog),
)


def record(obj: Base) -> dict[str, Any]:
    """A row as a JSON-friendly dict of its columns."""
    mapper = inspect(type(obj))
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_account(
    session: Session, account_id: int, schema_revision: str | None
) -> dict[str, Any]:
    """Everything stored for one account."""
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account with id {account_id}")
    out: dict[str, Any] = {
        "format": "coffeechat-export",
        "version": EXPORT_VERSION,
        "schema_revision": schema_revision,
        "account": record(account),
    }
    emails: dict[int, list[dict[str, Any]]] = {}
    for email in session.scalars(
        select(ContactEmail).where(ContactEmail.account_id == account_id).order_by(ContactEmail.id)
    ):
        emails.setdefault(email.contact_id, []).append(
            {"address": email.address, "is_primary": email.is_primary, "status": email.status}
        )
    out["contacts"] = [
        {**record(c), "emails": emails.get(c.id, [])}
        for c in session.scalars(
            select(Contact).where(Contact.account_id == account_id).order_by(Contact.id)
        )
    ]
    for name, table in _SECTIONS:
        column = table.__table__.c
        rows = session.scalars(
            select(table).where(column.account_id == account_id).order_by(column.id)
        )
        out[name] = [record(r) for r in rows]
    return out
