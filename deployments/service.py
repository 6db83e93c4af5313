"""``coffeechat run``: the one-machine service, a long-lived process rather than Prefect workers.

Why in-process: an ephemeral Prefect runs no schedules, and ``serve()`` starts a subprocess per
flow run (seconds and ~90 MB each), so a reply would take 6-8 s to act on. Here one thread
watches the inbox with IMAP IDLE and records mail (and its effects: a reply cancels a pending
nudge) as it arrives; the main thread runs the cycle (calendars, prep sheets, follow-ups,
sending) at once after the watcher recorded something, and otherwise only when work is due.

Idle costs nothing: the main thread sleeps until the next due moment (models/followups/next_due.py:
a pending send, a prep lead time, a meeting end, a planner moment), the next calendar poll
(every ``calendar_seconds``, default ``cycle_seconds``), or at most ``cycle_seconds`` (the
safety net: it then re-reads what is due and a summary of the database, so a CLI command that
approved a draft or tagged a contact is acted on within that time). A wake-up that finds
nothing due makes no flow run and writes nothing; a calendar poll writes only its cursor, and
runs the rest of the cycle (as a flow run) only when the calendar changed something. The cycle
waits for the session's first complete read of the mailbox (see ``FirstRead``), so a first run
over an account with years of history knows what the user already sent before it plans. When a
Prefect API is available each cycle is a flow run (history and the UI) and domain events are
emitted; when it is not, or it fails, the same plain functions run without it: mail handling
never waits for Prefect. A stop request is honoured between steps, so a transaction in
progress always completes; the watcher's classification, which may be stuck on a message that
defeats a parser, is abandoned at once (its child is killed, its chunk not recorded).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coffeechat.deployments.prefect_link import PrefectLink
from coffeechat.flows.steps import classify_worker
from coffeechat.flows.steps.app import App, utcnow
from coffeechat.flows.steps.cycle import (
    HELD,
    POLLED,
    STEPS,
    CycleReport,
    Step,
    cycle_steps,
    mail_failing,
    ready_to_plan,
    run_steps,
)
from coffeechat.flows.steps.inbox import FolderReport
from coffeechat.flows.steps.send import recover_in_flight
from coffeechat.flows.steps.watcher import InboxWatcher
from coffeechat.models.followups.cadence import wait_hours
from coffeechat.models.followups.next_due import DueRules, change_marker, next_due
from coffeechat.models.store.events import DomainEvent
from coffeechat.models.store.tables import Account

log = logging.getLogger(__name__)

# At start no send of ours is in flight; one older than this was cut off by a crash.
STARTUP_STALE = timedelta(minutes=2)
# The first read of a big mailbox may take minutes; past this, calendars, prep sheets and
# sending of what is queued go on while planning keeps waiting for the read.
FIRST_READ_TIMEOUT = 300.0
# On stop: how long to wait for the watcher (it may sit in an IDLE slice; a daemon thread
# holding no transaction there).
WATCHER_JOIN_SECONDS = 2.0


@dataclass
class ServiceStats:
    """Counters a test or benchmark can read."""

    cycles: int = 0
    calendar_polls: int = 0  # polls outside a cycle (nothing else was due)
    idle_ticks: int = 0  # wake-ups that found nothing to do: no flow run, no writes
    flow_runs: int = 0
    plain_runs: int = 0
    prefect_failures: int = 0
    events_emitted: int = 0
    last_cycle_at: datetime | None = None
    held_cycles: int = 0
    problems: list[str] = field(default_factory=list)


class FirstRead:
    """The session's first read of the mailbox: which steps of the cycle it still holds back.

    Until the watcher has read every folder once (or failed), nothing runs: the calendar is
    read after the mail, and nothing is planned from a half-read mailbox. After a failure, or
    ``timeout`` seconds, every step but planning runs; after a failure planning runs only when
    ``read_before`` says the account was read completely (and planned for) before.
    """

    def __init__(self, timeout: float, *, watching: bool) -> None:
        """``watching``: a watcher thread reads the mailbox (without one nothing is held)."""
        self.timeout = timeout
        self.started = time.monotonic()
        self.read = not watching
        self.failed = False

    def steps(self, read_before: Callable[[], bool]) -> tuple[Step, ...]:
        """The steps the cycle may run now."""
        if self.read:
            return STEPS
        if self.failed:
            return cycle_steps(read_before())
        if time.monotonic() - self.started >= self.timeout:
            return cycle_steps(False)
        return ()


def trim_heap() -> None:
    """Return the heap a cycle freed to the system (glibc keeps it otherwise): idle RSS."""
    name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if name is None:
        return
    # Not glibc (musl has no malloc_trim): nothing to give back this way.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(name).malloc_trim(0)


def plain_cycle(
    app: App, stop: threading.Event, now: datetime, steps: tuple[Step, ...] = STEPS
) -> CycleReport:
    """The cycle without Prefect: the same steps, a stop request honoured between them."""
    return run_steps(app, now, steps, stop.is_set)


class Service:
    """The inbox watcher thread plus the cycle loop, until ``stop`` is set."""

    def __init__(
        self,
        app: App,
        *,
        stop: threading.Event,
        prefect: PrefectLink | None = None,
        cycle_seconds: float = 30.0,
        poll_seconds: float | None = None,
        first_read_timeout: float = FIRST_READ_TIMEOUT,
        calendar_seconds: float | None = None,
    ) -> None:
        """Prepare the service; run() blocks until stop is set."""
        self.app = app
        self.stop = stop
        self.prefect = prefect
        self.cycle_seconds = cycle_seconds
        self.poll_seconds = poll_seconds
        self.wake = threading.Event()
        self.stats = ServiceStats()
        self._pending: list[DomainEvent] = []
        self._lock = threading.Lock()
        self.watcher: InboxWatcher | None = None
        self.first_read = FirstRead(first_read_timeout, watching=app.settings.imap is not None)
        self._held_note = ""
        self.calendar_seconds = calendar_seconds or cycle_seconds
        self._calendar_at = 0.0  # monotonic time of the next calendar poll
        self._wake_at = 0.0
        self._news = False  # the watcher recorded something since the last cycle
        self._after: datetime | None = None  # when the last full cycle started
        self._marker: tuple[Any, ...] | None = None
        self._next: datetime | None = None

    def run(self) -> None:
        """Recover in-flight mail, start watching, cycle until stopped, then stop the watcher."""
        recovered = recover_in_flight(self.app, utcnow(), stale_after=STARTUP_STALE)
        if recovered.error:
            self.stats.problems.append(recovered.error)
        self._queue(recovered.events)
        thread = self._start_watcher()
        try:
            while not self.stop.is_set():
                self._tick()
                self._sleep()
        finally:
            self.stop.set()
            self.wake.set()
            if thread is not None:
                # The watcher's classification was abandoned when stop was set; in IDLE it
                # notices stop within its slice, and a daemon thread there holds no transaction.
                thread.join(timeout=WATCHER_JOIN_SECONDS)
            self._flush_events()
            if self.prefect is not None:
                self.prefect.close()

    def _sleep(self) -> None:
        """Until the next wake-up (``self._wake_at``), the watcher wakes us, or stop is set."""
        while not self.stop.is_set() and (left := self._wake_at - time.monotonic()) > 0:
            # Sliced so a stop request is seen within a second even if no one sets wake.
            if self.wake.wait(min(left, 1.0)):
                break
        self.wake.clear()

    def _tick(self) -> None:
        """Run the cycle if anything is due, else poll the calendars if their time came."""
        steps = self._steps()
        mono = time.monotonic()
        self._wake_at = mono + self.cycle_seconds  # the safety net: never sleep longer
        if len(steps) < len(STEPS):
            # The first read of the mailbox holds some steps back: as before, every interval.
            self._cycle(steps)
            return
        with self._lock:
            news, self._news = self._news, False
        calendar_due = mono >= self._calendar_at
        try:
            due, reason = self._due(utcnow()) if not news else (True, "mail")
        except Exception as err:  # a database hiccup: run the cycle rather than sleep through
            log.warning("could not read what is due: %s", type(err).__name__)
            due, reason = True, "unknown"
        if not due and calendar_due:
            self._calendar_at = mono + self.calendar_seconds
            self.stats.calendar_polls += 1
            polled = self._poll_calendars()
            if polled:
                due, reason = True, "calendar"
                steps = tuple(s for s in STEPS if s not in POLLED)
        if due:
            log.info("cycle: %s", reason)
            if steps == STEPS:
                self._calendar_at = mono + self.calendar_seconds
            self._cycle(steps)
        else:
            self.stats.idle_ticks += 1
        self._plan_wake()

    def _due(self, now: datetime) -> tuple[bool, str]:
        """Whether the cycle has work now (read only): a change since, or a due moment."""
        if self._after is None:
            return True, "start"
        with self.app.factory() as session:
            if change_marker(session, self.app.account_id) != self._marker:
                return True, "changed"
            when = next_due(session, self.app.account_id, now=now, after=self._after,
                            rules=self._rules(session))  # fmt: skip
        self._next = when
        return (when is not None and when <= now), "due"

    def _rules(self, session: Any) -> DueRules:
        account = session.get(Account, self.app.account_id)
        cadence = self.app.settings.cadence
        return DueRules(
            cadence=cadence,
            zone=ZoneInfo(account.timezone if account is not None else "UTC"),
            prep_lead=timedelta(hours=cadence.prep_lead_hours),
            thank_you_wait_hours=wait_hours(self.app.settings.debrief),
        )

    def _poll_calendars(self) -> bool:
        """One calendar poll outside any flow run; True when it changed something."""
        if not self.app.settings.calendars:
            return False
        try:
            report = run_steps(self.app, utcnow(), POLLED, self.stop.is_set)
        except Exception as err:  # the cycle will try again (and report it) at the next poll
            log.warning("calendar poll failed: %s", type(err).__name__)
            return True
        self._queue(report.events)
        for problem in report.problems:  # recorded on the cursor; a failing source is no work
            log.warning("calendar poll: %s", problem)
        return bool(report.labels or report.events)

    def _plan_wake(self) -> None:
        """Sleep until the next due moment, the next calendar poll, or the safety net."""
        try:
            now = utcnow()
            with self.app.factory() as session:
                self._marker = change_marker(session, self.app.account_id)
                self._next = next_due(session, self.app.account_id, now=now, after=self._after,
                                      rules=self._rules(session))  # fmt: skip
        except Exception as err:  # unknown: the safety net wakes us soon enough
            log.warning("could not read what is due: %s", type(err).__name__)
            return
        wake = min(self._wake_at, self._calendar_at)
        if self._next is not None:
            wake = min(wake, time.monotonic() + max((self._next - now).total_seconds(), 0.0))
        self._wake_at = wake

    def _start_watcher(self) -> threading.Thread | None:
        if self.app.settings.imap is None:
            log.warning("no [imap] section: not watching a mailbox")
            return None
        self.watcher = InboxWatcher(
            self.app, stop=self.stop, on_sync=self._synced, poll_seconds=self.poll_seconds
        )
        thread = threading.Thread(target=self.watcher.run, name="inbox-watcher", daemon=True)
        thread.start()
        threading.Thread(
            target=self._abandon_on_stop, args=(thread,), name="inbox-stop", daemon=True
        ).start()
        return thread

    def _abandon_on_stop(self, watcher: threading.Thread) -> None:
        """Once stop is set, kill the watcher's classification child whatever it is parsing."""
        self.stop.wait()
        classify_worker.abandon(watcher)
        self.wake.set()  # and the cycle loop leaves its sleep now rather than within 1 s

    def _synced(self, reports: list[FolderReport]) -> None:
        """Called in the watcher thread: queue events, wake the cycle if anything changed."""
        events = [e for r in reports for e in r.events]
        self._queue(events)
        if not self.first_read.read:
            # Complete only when no folder failed (a sync that reads on past a failing Sent
            # folder must not count: the user's own thank-yous would be unknown).
            if mail_failing(self.app):
                self.first_read.failed = True
            else:
                self.first_read.read = True
            with self._lock:
                self._news = True
            self.wake.set()
        if events or any(r.effects or r.stored for r in reports):
            with self._lock:
                self._news = True
            self.wake.set()

    def _queue(self, events: list[DomainEvent]) -> None:
        with self._lock:
            self._pending += events

    def _steps(self) -> tuple[Step, ...]:
        """What the first read of the mailbox lets this cycle run; says so when it holds any."""
        gate = self.first_read
        if not gate.read and not gate.failed and self.watcher is not None:
            gate.failed = self.watcher.stats.failures > 0
        steps = gate.steps(lambda: ready_to_plan(self.app))
        held = [s.name for s in STEPS if s not in steps]
        note = (
            f"{HELD} (first read: {'failed' if gate.failed else 'in progress'}; "
            f"waiting: {', '.join(held)})"
            if held
            else ""
        )
        if note != self._held_note:
            log.warning("cycle: %s", note or "first mail read done: the whole cycle runs")
            self._held_note = note
        return steps

    def _cycle(self, steps: tuple[Step, ...]) -> None:
        if len(steps) < len(STEPS) and steps != STEPS[1:]:
            self.stats.held_cycles += 1
        if not steps:
            return
        report = None
        started = utcnow()
        link = self.prefect
        if link is not None and link.available():
            try:
                report = link.run_cycle(self.stop, steps)
                self.stats.flow_runs += 1
            except Exception as err:  # every step is idempotent: running it again is safe
                self.stats.prefect_failures += 1
                link.failed(type(err).__name__)
        if report is None:
            try:
                report = plain_cycle(self.app, self.stop, utcnow(), steps)
                self.stats.plain_runs += 1
            except Exception as err:  # one bad cycle must not end the service; the next retries
                log.exception("cycle failed: %s", type(err).__name__)
                self.stats.problems.append(f"cycle: {type(err).__name__}: {err}")
                return
        self.stats.cycles += 1
        self.stats.last_cycle_at = utcnow()
        if steps[-len(STEPS) + 1 :] == STEPS[1:]:
            self._after = started  # what was due until then has been looked at
        for problem in report.problems:
            log.warning("cycle: %s", problem)
        self.stats.problems = (self.stats.problems + report.problems)[-50:]
        self._queue(report.events)
        self._flush_events()
        trim_heap()

    def _flush_events(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        if not events or self.prefect is None or self.prefect.backing_off():
            return  # the event log holds them; Prefect only misses a notification
        try:
            self.stats.events_emitted += self.prefect.emit(events)
        except Exception as err:  # the event log is the record; a missed emit is only a delay
            log.warning("could not emit events: %s", type(err).__name__)
