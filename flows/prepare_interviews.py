"""The ``prepare_interviews`` flow: prep sheets for meetings inside the lead time."""

from __future__ import annotations

from prefect import flow

from coffeechat.flows.steps.app import load_app, utcnow
from coffeechat.flows.steps.events import emit_domain_events
from coffeechat.flows.steps.prep_sheets import prepare_sheets
from coffeechat.flows.steps.send import deliver
from coffeechat.flows.steps.step import CycleReport


@flow(name="prepare-interviews")
def prepare_interviews(account: str = "default", config: str | None = None) -> list[str]:
    """Make due prep sheets and deliver them at once (a meeting booked inside the lead time)."""
    app = load_app(config, account)
    now = utcnow()
    report = CycleReport()
    prepare_sheets(app, now, report)
    deliver(app, now, report)
    emit_domain_events(report.events)
    return report.labels
