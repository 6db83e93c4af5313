"""The ``sync_calendar`` flow: every configured calendar source of one account."""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from coffeechat.flows.steps.app import load_app, utcnow
from coffeechat.flows.steps.calendar import sync_calendars
from coffeechat.flows.steps.events import emit_domain_events
from coffeechat.flows.steps.step import CycleReport


@task(name="sync-calendars")
def sync_calendars_task(account: str, config: str | None) -> dict[str, Any]:
    """Sync each source in turn (one failing source never stops the others), then endings."""
    report = CycleReport()
    sync_calendars(load_app(config, account), utcnow(), report)
    emit_domain_events(report.events)
    return {"effects": report.labels, "problems": report.problems}


@flow(name="sync-calendar", log_prints=False)
def sync_calendar(account: str = "default", config: str | None = None) -> dict[str, Any]:
    """Fetch changed calendars and apply meetings, reschedules, cancellations and endings."""
    return sync_calendars_task(account, config)
