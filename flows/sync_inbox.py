"""The ``sync_inbox`` flow: every configured folder of one account, Sent before INBOX."""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from coffeechat.flows.steps.app import imap_credential, imap_endpoint, load_app, utcnow
from coffeechat.flows.steps.events import emit_domain_events
from coffeechat.flows.steps.inbox import SyncIncomplete, sync_account_mail
from coffeechat.integrations.imap import MailboxError, connect


def _transient(_task: object, _run: object, state: Any) -> bool:
    """Retry only errors the IMAP edge marks as transient (a dropped connection)."""
    try:
        state.result()
    except MailboxError as err:
        return bool(getattr(err, "transient", False))
    except Exception:
        return False
    return False


@task(retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=_transient)
def sync_mail(account: str, config: str | None) -> list[dict[str, Any]]:
    """Sync Sent, INBOX and extra folders in one IMAP session; one task however many messages."""
    app = load_app(config, account)
    cfg = app.settings.imap
    if cfg is None:
        return []
    now = utcnow()
    with connect(imap_endpoint(cfg), imap_credential(cfg)) as box:
        try:
            reports = sync_account_mail(app, box, now)
        except SyncIncomplete as err:
            # The folders that did sync committed their effects: their events go out too.
            emit_domain_events(e for r in err.reports for e in r.events)
            raise
    emit_domain_events(e for r in reports for e in r.events)
    return [
        {"folder": r.folder, "new": r.new, "stored": r.stored, "effects": r.effects}
        for r in reports
    ]


@flow(name="sync-inbox", log_prints=False)
def sync_inbox(account: str = "default", config: str | None = None) -> list[dict[str, Any]]:
    """Fetch new mail, classify it and apply its effects."""
    return sync_mail(account, config)
