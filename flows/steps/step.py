"""What a cycle step is, and the report every step adds to.

A step is a function ``(app, now, report) -> None`` that does one concern's due work and is
idempotent, so a cycle run twice does nothing twice. The steps and their order live in one list,
``STEPS`` in cycle.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from coffeechat.flows.steps.app import App
from coffeechat.models.store.events import DomainEvent


@dataclass
class CycleReport:
    """What one cycle (or one step of it) did."""

    labels: list[str] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)

    def merge(self, part: CycleReport) -> None:
        """Add another step's report to this one."""
        self.labels += part.labels
        self.sent += part.sent
        self.problems += part.problems
        self.events += part.events


@dataclass(frozen=True)
class Step:
    """One step of the cycle.

    ``needs_mail``: it must not run before the mailbox was read completely once (what the user
    already sent decides what is owed). ``polled``: it reads a source that changes on its own
    (a calendar), so the idle service runs it alone on its poll interval between cycles.
    """

    name: str
    run: Callable[[App, datetime, CycleReport], None]
    needs_mail: bool = False
    polled: bool = False
