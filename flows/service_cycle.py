"""The ``coffeechat-cycle`` flow the service runs: one task per step of ``STEPS``.

Built on demand (``build_cycle_flow``) because Prefect may be imported only after the service
has put the API's address in ``PREFECT_API_URL``; a stop request is honoured between tasks.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from coffeechat.flows.steps.app import utcnow
from coffeechat.flows.steps.cycle import STEPS, CycleReport, Step


def build_cycle_flow(stop: threading.Event) -> Any:
    """Build the cycle flow; Prefect is imported here, after PREFECT_API_URL was set."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    from coffeechat.flows.steps.app import load_app

    def as_task(step: Step) -> Any:
        # Scalars in, a report out: Prefect never walks (or stores) the App or a session.
        def body(account: str | None, config: str | None, now: datetime) -> CycleReport:
            part = CycleReport()
            step.run(load_app(config, account), now, part)
            return part

        body.__name__ = step.name.replace("-", "_")
        return task(name=step.name, cache_policy=NO_CACHE, persist_result=False)(body)

    tasks = [(step.name, as_task(step)) for step in STEPS]

    def cycle(
        account: str | None = None, config: str | None = None, steps: list[str] | None = None
    ) -> CycleReport:
        now = utcnow()
        report = CycleReport()
        for name, step_task in tasks:
            if stop.is_set():
                break
            if steps is None or name in steps:
                report.merge(step_task(account, config, now))
        return report

    return flow(name="coffeechat-cycle", persist_result=False, log_prints=False)(cycle)
