"""The ``sync_calendar`` flow: every configured calendar source of one account."""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from coffeechat.flows.steps.app import load_app, utcnow
from coffeechat.flows.steps.calendar import sync_calendar_source
from coffeechat.flows.steps.events import emit_domain_events
from coffeechat.flows.steps.inbox import record_failure
from coffeechat.integrations.calendar import CalendarError


@task
def sync_calendars(account: str, config: str | None) -> list[dict[str, Any]]:
    """Sync each source in turn; one failing source never stops the others."""
    app = load_app(config, account)
    now = utcnow()
    out: list[dict[str, Any]] = []
    for cfg in app.settings.calendars:
        try:
            report = sync_calendar_source(app, cfg, now)
        except (CalendarError, ValueError) as err:
            record_failure(app, "calendar", cfg.name, err, now)
            out.append({"source": cfg.name, "error": str(err)})
            continue
        emit_domain_events(report.events)
        out.append({"source": cfg.name, "changed": report.changed, "effects": report.effects})
    return out


@flow(name="sync-calendar", log_prints=False)
def sync_calendar(account: str = "default", config: str | None = None) -> list[dict[str, Any]]:
    """Fetch changed calendars and apply meetings, reschedules, cancellations and endings."""
    return sync_calendars(account, config)
