"""``coffeechat export --json``: every record of an account in a documented, stable shape.

Shape (version 1)::

    {"format": "coffeechat-export", "version": 1, "schema_revision": "0001",
     "account": {...}, "contacts": [{..., "emails": [{address, is_primary, status}]}],
     "interviews": [...], "messages": [...], "meetings": [...], "prep_sheets": [...],
     "outbox": [...], "referrals": [...], "notes": [...], "milestones": [...],
     "sync_cursors": [...], "skipped_items": [...], "event_log": [...],
     "introductions": [{id, introducer, name, address, status, contact, contacted, met, ...}]}

Each record carries its table's columns by name, one record per line; times are ISO 8601 in
UTC; lists are ordered by id. New columns may be added to records; existing keys are never
renamed or removed without bumping ``version``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, TextIO

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from coffeechat.models.contacts.referral_report import describe
from coffeechat.models.store.tables import (
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


# Rows are read this many at a time, so memory stays flat however large the account.
_BATCH = 2000


def write_export(
    session: Session, account_id: int, schema_revision: str | None, out: TextIO
) -> None:
    """Write everything stored for one account to ``out`` as one JSON document, streamed.

    Records are read as plain rows in batches and written one per line, so 100,000 contacts
    cost seconds and a flat amount of memory instead of a document built whole in memory.
    """
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account with id {account_id}")
    head = {
        "format": "coffeechat-export",
        "version": EXPORT_VERSION,
        "schema_revision": schema_revision,
        "account": record(account),
    }
    out.write(_dumps(head)[:-1])  # the document stays open for the sections that follow
    emails: dict[int, list[dict[str, Any]]] = {}
    email_table = ContactEmail.__table__
    for row in _rows(session, email_table, account_id):
        emails.setdefault(row["contact_id"], []).append(
            {"address": row["address"], "is_primary": row["is_primary"], "status": row["status"]}
        )
    contacts = (
        {**row, "emails": emails.get(row["id"], [])}
        for row in _rows(session, Contact.__table__, account_id)
    )
    _section(out, "contacts", contacts)
    for name, table in _SECTIONS:
        _section(out, name, _rows(session, table.__table__, account_id))
    _section(out, "introductions", _introductions(session, account_id))
    out.write("\n}\n")


def _introductions(session: Session, account_id: int) -> Iterator[dict[str, Any]]:
    """The referrals as a chain: who introduced whom, its status in words, and what came of it."""
    ids = session.scalars(
        select(Referral.id).where(Referral.account_id == account_id).order_by(Referral.id)
    ).all()
    for referral_id in ids:
        ref = session.get(Referral, referral_id)
        if ref is not None:
            yield describe(session, ref, None)


def _rows(session: Session, table: Any, account_id: int) -> Iterator[dict[str, Any]]:
    names = [c.name for c in table.c]
    # Which columns hold times, worked out once per table rather than tested on every value.
    stamps = [i for i, c in enumerate(table.c) if c.type.python_type in (datetime, date)]
    stmt = select(table).where(table.c.account_id == account_id).order_by(table.c.id)
    for row in session.execute(stmt.execution_options(yield_per=_BATCH)):
        values = list(row)
        for i in stamps:
            if values[i] is not None:
                values[i] = values[i].isoformat()
        yield dict(zip(names, values, strict=True))


def _section(out: TextIO, name: str, records: Iterable[dict[str, Any]]) -> None:
    out.write(f",\n{json.dumps(name)}: [")
    first = True
    for rec in records:
        out.write("\n" if first else ",\n")
        out.write(_dumps(rec))
        first = False
    out.write("\n]" if not first else "]")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
