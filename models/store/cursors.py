"""Sync cursors: where each mail folder and calendar source stands, and its failures.

One row per (account, source kind, source). The mail and calendar steps both keep theirs here;
``status`` reads ``consecutive_failures`` and ``last_error`` to show a failing source.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coffeechat.models.store.tables import SyncCursor
from coffeechat.models.store.uow import UnitOfWork

# Long enough for any server's error line; a hostile server cannot grow the row without end.
ERROR_TEXT_LIMIT = 2000


def cursor_for(uow: UnitOfWork, kind: str, source: str) -> SyncCursor:
    """The sync cursor of one folder or calendar, created empty the first time."""
    cur = uow.session.scalars(
        select(SyncCursor).where(
            SyncCursor.account_id == uow.account_id,
            SyncCursor.source_kind == kind,
            SyncCursor.source == source,
        )
    ).first()
    if cur is None:
        cur = SyncCursor(
            account_id=uow.account_id,
            source_kind=kind,
            source=source,
            last_uid=0,
            uidvalidity_changes=0,
            consecutive_failures=0,
            seen_count=0,
            last_error="",
        )
        uow.session.add(cur)
        uow.session.flush()
    return cur


def record_failure(
    uow: UnitOfWork, kind: str, source: str, error: Exception, now: datetime
) -> None:
    """Count one more failed sync of a source; the error text (no secrets in it) is kept short."""
    cur = cursor_for(uow, kind, source)
    cur.last_attempt_at = now
    cur.consecutive_failures += 1
    cur.last_error = f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT]
