"""Recording a source (a mail folder, a calendar) that failed to sync, so the others go on."""

from __future__ import annotations

from datetime import datetime

from coffeechat.flows.steps.app import App
from coffeechat.models.store import cursors
from coffeechat.models.store.uow import UnitOfWork


def record_failure(
    app: App, source_kind: str, source: str, error: Exception, now: datetime
) -> None:
    """Note a failed sync on the source's cursor in its own transaction (status shows it)."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        cursors.record_failure(uow, source_kind, source, error, now)
        uow.commit()
