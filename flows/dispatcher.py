"""The ``dispatch`` flow: works out everything that is due now and does it, in order."""

from __future__ import annotations

from prefect import flow

from coffeechat.flows.steps.app import load_app, utcnow
from coffeechat.flows.steps.cycle import gated_cycle
from coffeechat.flows.steps.events import emit_domain_events


@flow(name="dispatch")
def dispatch(account: str = "default", config: str | None = None) -> dict[str, object]:
    """Mail, calendar, prep sheets, follow-ups and sending for one account; idempotent."""
    report = gated_cycle(load_app(config, account), utcnow())
    emit_domain_events(report.events)
    return {"effects": report.labels, "sent": report.sent, "problems": report.problems}
