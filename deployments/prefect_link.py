"""The service's link to a Prefect API: cycles as flow runs, events emitted, never blocking mail.

When the API fails a health check or a call, the service backs off for ``PREFECT_BACKOFF``
seconds and runs the same steps as plain functions.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

from coffeechat.flows.service_cycle import build_cycle_flow
from coffeechat.flows.steps.cycle import STEPS, CycleReport, Step
from coffeechat.models.store.events import DomainEvent

log = logging.getLogger(__name__)

# After a failed Prefect call the cycle runs without Prefect for this long before trying again.
PREFECT_BACKOFF = 300.0
# On stop: how long to wait for Prefect to take queued logs and events.
PREFECT_DRAIN_SECONDS = 1.0


class PrefectLink:
    """The Prefect API, if any: runs a cycle as a flow run and emits events; never blocks mail."""

    def __init__(self, api_url: str, account: str | None, config: str | None) -> None:
        """Use the API at api_url (the caller has put it in PREFECT_API_URL before import)."""
        self.api_url = api_url
        self.account = account
        self.config = config
        self._down_until = 0.0
        self._flow: Any = None

    def available(self) -> bool:
        """False while backing off after a failure, or when the health check fails."""
        from coffeechat.deployments.prefect_server import healthy

        if self.backing_off():
            return False
        if healthy(self.api_url):
            return True
        self.failed("health check failed")
        return False

    def backing_off(self) -> bool:
        """True while the service runs without Prefect after a failure."""
        return time.monotonic() < self._down_until

    def failed(self, why: str) -> None:
        """Back off from Prefect for a while; the service goes on without it."""
        log.warning("Prefect unavailable (%s); running without it for a while", why)
        self._down_until = time.monotonic() + PREFECT_BACKOFF

    def run_cycle(self, stop: threading.Event, steps: tuple[Step, ...] = STEPS) -> CycleReport:
        """One cycle as a ``coffeechat-cycle`` flow run with one task per step."""
        if self._flow is None:
            self._flow = build_cycle_flow(stop)
        names = [s.name for s in steps]
        report: CycleReport = self._flow(account=self.account, config=self.config, steps=names)
        return report

    def emit(self, events: list[DomainEvent]) -> int:
        """Emit events to Prefect (the event log already holds them)."""
        from coffeechat.flows.steps.events import emit_domain_events

        return emit_domain_events(events) if events else 0

    def close(self, timeout: float = PREFECT_DRAIN_SECONDS) -> None:
        """Deliver queued logs and events while the server is still up (it stops after us)."""
        if "prefect" not in sys.modules:
            return
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        for worker in (APILogWorker, EventsWorker):
            try:
                # Bounded so a stop takes seconds; what is not taken stays in the event log.
                worker.drain_all(timeout=timeout)
            except Exception as err:  # shutting down: a lost log line is no reason to fail
                log.warning("could not flush Prefect %s: %s", worker.__name__, err)
