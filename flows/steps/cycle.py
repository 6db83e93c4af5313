"""One cycle of everything that is due now, as plain functions the flows and the service share.

Order matters, and ``STEPS`` is the one place that defines it: the mailbox is read first (by
the caller: the service's watcher, or the dispatch flow), then the calendar, prep sheets,
planning, and only then sending. Planning waits until the mailbox has been read completely at
least once (``ready_to_plan``): on a first run, what the user already sent decides what is
still owed. Each step is idempotent, so running a cycle twice does nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select

from coffeechat.flows.steps import calendar, debrief, digest, plan, prep_sheets, send
from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint
from coffeechat.flows.steps.failures import record_failure
from coffeechat.flows.steps.inbox import sync_account_mail
from coffeechat.flows.steps.step import CycleReport, Step
from coffeechat.integrations.imap import MailboxError, connect
from coffeechat.models.followups.first_run import connected_at
from coffeechat.models.store.tables import SyncCursor

__all__ = ["HELD", "POLLED", "STEPS", "CycleReport", "Step", "gated_cycle", "run_steps"]


# The one list of cycle steps, in order. A new step is one module (a function and its ``Step``)
# and one entry here; the service, the flows, the preview and the tests all read this list.
STEPS: tuple[Step, ...] = (
    calendar.STEP,
    prep_sheets.STEP,
    plan.STEP,
    debrief.STEP,
    digest.STEP,
    send.STEP,
)
POLLED: tuple[Step, ...] = tuple(s for s in STEPS if s.polled)
HELD = "held: follow-ups are planned once the mailbox has been read completely"


def ready_to_plan(app: App) -> bool:
    """Whether follow-ups may be planned: no mailbox, planned before, or the mailbox fully read.

    Fully read: INBOX has been read to the end and no folder (Sent above all) is failing. Once
    the account has been planned for, a failing folder no longer holds planning back (status
    shows it); before that it does, since the user's own mail decides what is still owed.
    """
    if app.settings.imap is None:
        return True
    with app.factory() as session:
        if connected_at(session, app.account_id) is not None:
            return True
        cursors = session.scalars(
            select(SyncCursor).where(
                SyncCursor.account_id == app.account_id, SyncCursor.source_kind == "imap"
            )
        ).all()
    inbox = any(c.source == "INBOX" and c.last_success_at is not None for c in cursors)
    return inbox and not any(c.consecutive_failures for c in cursors)


def mail_failing(app: App) -> bool:
    """Whether any mail folder's last sync failed (what a complete read must not have)."""
    with app.factory() as session:
        failing = session.scalar(
            select(SyncCursor.id).where(
                SyncCursor.account_id == app.account_id,
                SyncCursor.source_kind == "imap",
                SyncCursor.consecutive_failures > 0,
            )
        )
    return failing is not None


def run_steps(
    app: App, now: datetime, steps: Iterable[Step], stop: Callable[[], bool] = lambda: False
) -> CycleReport:
    """Run ``steps`` in order; a stop request is honoured between them."""
    report = CycleReport()
    for step in steps:
        if stop():
            break
        step.run(app, now, report)
    return report


def cycle_steps(mail_read: bool) -> tuple[Step, ...]:
    """The steps that may run: all once the mailbox was read, else all but planning."""
    return STEPS if mail_read else tuple(s for s in STEPS if not s.needs_mail)


def read_mail(app: App, now: datetime, report: CycleReport) -> bool:
    """One read of every folder (Sent, INBOX, extras); a failure is recorded, never raised."""
    cfg = app.settings.imap
    if cfg is None:
        return True
    try:
        with connect(imap_endpoint(cfg), imap_credential(cfg)) as box:
            for folder in sync_account_mail(app, box, now):
                report.labels += folder.effects
                report.events += folder.events
    except MailboxError as err:
        record_failure(app, "imap", "INBOX", err, now)
        report.problems.append(f"mail: {type(err).__name__}: {err}")
        return False
    return True


def gated_cycle(app: App, now: datetime) -> CycleReport:
    """The flows' cycle: read mail, then the steps; planning is held until a complete read."""
    report = CycleReport()
    read_mail(app, now, report)
    ready = ready_to_plan(app)
    if not ready:
        report.problems.append(HELD)
    for step in cycle_steps(ready):
        step.run(app, now, report)
    return report


def run_cycle(app: App, now: datetime) -> CycleReport:
    """Calendar, prep sheets, follow-ups and sending, in that order (the caller read mail)."""
    return run_steps(app, now, STEPS)
