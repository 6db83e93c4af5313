"""The ``send_follow_ups`` flow: plan thank-yous, nudges and updates, then send what is due."""

from __future__ import annotations

from prefect import flow

from coffeechat.flows.steps.app import load_app, utcnow
from coffeechat.flows.steps.cycle import HELD, CycleReport, ready_to_plan
from coffeechat.flows.steps.events import emit_domain_events
from coffeechat.flows.steps.plan import plan
from coffeechat.flows.steps.send import deliver


@flow(name="send-follow-ups")
def send_follow_ups(account: str = "default", config: str | None = None) -> dict[str, object]:
    """Plan what is due and deliver it exactly once."""
    app = load_app(config, account)
    now = utcnow()
    report = CycleReport()
    if ready_to_plan(app):  # a first run plans only once it knows what the user sent
        plan(app, now, report)
    else:
        report.problems.append(HELD)
    deliver(app, now, report)
    emit_domain_events(report.events)
    return {"planned": report.labels, "sent": report.sent, "problems": report.problems}
