"""One cycle of everything that is due now, as plain functions the flows and the service share.

Order matters: settle in-flight mail first (never resend blindly), then read the calendar,
make prep sheets, plan follow-ups, and only then send. Each step is idempotent, so running a
cycle twice does nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from flows.app import App
from flows.calendar_sync import sync_calendar_source
from flows.inbox_sync import record_failure
from flows.outbox_send import recover_in_flight, send_due
from flows.prep_sheets import due_prep_sheets, make_prep_sheet
from integrations.calendar import CalendarError
from integrations.render import render
from models.events import DomainEvent
from models.followups import plan_followups
from models.meetings import mark_ended
from models.tables import Account
from models.uow import UnitOfWork


@dataclass
class CycleReport:
    """What one cycle did."""

    labels: list[str] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)


def sync_calendars(app: App, now: datetime, report: CycleReport) -> None:
    """Every calendar source; a failing one is recorded and the others go on."""
    for cfg in app.settings.calendars:
        try:
            result = sync_calendar_source(app, cfg, now)
        except (CalendarError, ValueError) as err:
            record_failure(app, "calendar", cfg.name, err, now)
            report.problems.append(f"calendar {cfg.name}: {err}")
            continue
        report.labels += result.effects
        report.events += result.events
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        report.labels += mark_ended(uow, now)  # also when no calendar changed
        report.events += uow.commit()


def prepare_sheets(app: App, now: datetime, report: CycleReport) -> None:
    """Make the prep sheet of every meeting inside the lead time that has none for its version."""
    lead = timedelta(hours=app.settings.cadence.prep_lead_hours)
    with app.factory() as session:
        due = due_prep_sheets(session, app.account_id, now, lead)
    for meeting_id in due:
        if make_prep_sheet(app, meeting_id, now) is not None:
            report.labels.append("prep-sheet")


def plan(app: App, now: datetime, report: CycleReport) -> None:
    """Create the thank-yous, nudges and updates that are due."""
    settings = app.settings
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        account = uow.session.get(Account, app.account_id)
        assert account is not None
        report.labels += plan_followups(
            uow,
            now=now,
            cadence=settings.cadence,
            modes=settings.modes,
            user_email=account.email,
            render=partial(render, fmt="txt", user_dir=settings.templates_dir),
        )
        report.events += uow.commit()


def send(app: App, now: datetime, report: CycleReport) -> None:
    """Settle anything left mid-send, then deliver what is due."""
    if app.settings.smtp is None:
        return
    recovered = recover_in_flight(app, now)
    report.events += recovered.events
    if recovered.error:
        report.problems.append(recovered.error)
    sent = send_due(app, now)
    report.sent += sent.sent
    report.events += sent.events
    if sent.stopped:
        report.problems.append(f"sending stopped: {sent.stopped}")


def run_cycle(app: App, now: datetime) -> CycleReport:
    """Calendar, prep sheets, follow-ups and sending, in that order."""
    report = CycleReport()
    sync_calendars(app, now, report)
    prepare_sheets(app, now, report)
    plan(app, now, report)
    send(app, now, report)
    return report
