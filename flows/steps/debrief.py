"""The debrief step: after a meeting, ask the user how it went (once, with one reminder).

Which meetings are asked about, and when the reminder is due, is the domain's
(models/debrief/request.py); this step checks the configuration, renders through the user's
templates and commits. It runs after planning (the account is "connected" by then, which the
first-run horizon needs) and before sending, so a request leaves in the same cycle.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.step import CycleReport, Step
from coffeechat.integrations.render import render
from coffeechat.models.debrief.request import plan_debriefs
from coffeechat.models.store.uow import UnitOfWork


def ask_for_debriefs(app: App, now: datetime, report: CycleReport) -> None:
    """Queue the debrief requests and reminders due now (nothing when turned off)."""
    settings = app.settings
    if not settings.debrief.enabled or settings.smtp is None:
        return
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        report.labels += plan_debriefs(
            uow,
            now=now,
            reminder_hours=settings.debrief.reminder_hours,
            first_run_horizon_hours=settings.cadence.first_run_horizon_hours,
            render=partial(render, fmt="txt", user_dir=settings.templates_dir),
        )
        report.events += uow.commit()


# Like planning, it waits for a complete mail read: an answer already in INBOX stops a reminder.
STEP = Step("debrief", ask_for_debriefs, needs_mail=True)
