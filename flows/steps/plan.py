"""The planning step: the thank-yous, nudges and updates that are due, queued in the outbox."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.step import CycleReport, Step
from coffeechat.integrations.render import render
from coffeechat.models.followups.first_run import mark_connected
from coffeechat.models.followups.plan import plan_followups
from coffeechat.models.store.tables import Account
from coffeechat.models.store.uow import UnitOfWork


def plan(app: App, now: datetime, report: CycleReport) -> None:
    """Create the thank-yous, nudges and updates that are due."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        report.labels += plan_in(uow, app, now)
        report.events += uow.commit()


def plan_in(uow: UnitOfWork, app: App, now: datetime) -> list[str]:
    """Plan every follow-up due now inside ``uow`` (committed by the caller, or not: preview)."""
    settings = app.settings
    account = uow.session.get(Account, app.account_id)
    assert account is not None
    mark_connected(uow, now)  # the first plan is the moment the account became "connected"
    return plan_followups(
        uow,
        now=now,
        cadence=settings.cadence,
        modes=settings.modes,
        user_email=account.email,
        render=partial(render, fmt="txt", user_dir=settings.templates_dir),
        debrief=settings.debrief,
    )


# What the user already sent decides what is still owed: planning waits for a complete mail read.
STEP = Step("plan-follow-ups", plan, needs_mail=True)
