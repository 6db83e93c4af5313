"""The long-running inbox watcher: IMAP IDLE for push, a periodic poll as the safety net.

IDLE is re-issued well before the 29-minute limit servers may enforce; a server that does not
offer IDLE is polled with NOOP instead. Failures back off across cycles: the delay grows with
every failing cycle, whether the login or the sync after it failed, and only a sync that read
INBOX resets it, so a broken account costs at most one login a minute (then fewer, down to
one every 15 minutes), never one a second. A folder other than INBOX failing does not end the
session: it is recorded on its cursor (``coffeechat status`` shows count and last error) and
tried again at the next sync. The sync itself is exactly what the ``sync_inbox`` flow runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint, utcnow
from coffeechat.flows.steps.classify_worker import SyncStopped
from coffeechat.flows.steps.failures import record_failure
from coffeechat.flows.steps.inbox import (
    FolderReport,
    SyncIncomplete,
    sync_account_mail,
)
from coffeechat.integrations.imap import (
    AuthenticationFailed,
    CredentialUnavailable,
    Mailbox,
    MailboxError,
    connect,
)

log = logging.getLogger(__name__)

IDLE_SECONDS = 25 * 60  # RFC 2177 servers may drop an IDLE after 29 minutes
# Seconds to wait after the 1st, 2nd... consecutive failing cycle: one quick retry (a server
# restart), then at most one login a minute, growing to 15 minutes.
BACKOFF = (5.0, 60.0, 120.0, 300.0, 600.0, 900.0)
# Without IDLE, INBOX is polled with NOOP this often (at most; poll_seconds if shorter).
NOOP_SECONDS = 30.0
# A stop request is seen within this long: IDLE checks it locally, waits are sliced by it.
STOP_CHECK_SECONDS = 1.0


@dataclass
class WatcherStats:
    """Counters a caller (or a benchmark) can read while the watcher runs."""

    syncs: int = 0
    wakeups: int = 0
    polls: int = 0  # NOOP polls of a server without IDLE
    logins: int = 0  # sessions opened (login attempts)
    failures: int = 0
    consecutive_failures: int = 0
    last_error: str = ""


def backoff_seconds(failing_cycles: int) -> float:
    """The wait after this many consecutive failing cycles (1 = the first failure)."""
    return BACKOFF[min(max(failing_cycles, 1), len(BACKOFF)) - 1]


class InboxWatcher:
    """Keep one IMAP session open; sync when the server says there is new mail."""

    def __init__(
        self,
        app: App,
        *,
        stop: threading.Event,
        on_sync: Callable[[list[FolderReport]], None] | None = None,
        poll_seconds: float | None = None,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        """Prepare a watcher for ``app``'s mailbox; call run() in a thread of its own."""
        if app.settings.imap is None:
            raise ValueError("no [imap] section in the configuration")
        self.app = app
        self.cfg = app.settings.imap
        self.stop = stop
        self.on_sync = on_sync
        self.poll_seconds = poll_seconds or float(self.cfg.poll_seconds)
        self.idle_seconds = min(idle_seconds, IDLE_SECONDS)
        self.stats = WatcherStats()

    def run(self) -> None:
        """Watch until ``stop`` is set, reconnecting with a growing backoff after failures."""
        while not self.stop.is_set():
            try:
                self.stats.logins += 1
                with connect(imap_endpoint(self.cfg), imap_credential(self.cfg)) as box:
                    self._watch(box)
                continue
            except SyncStopped:
                return  # the service is stopping: nothing of the chunk was recorded, no failure
            except (AuthenticationFailed, CredentialUnavailable) as err:
                # A wrong password (or a token helper that is down) will not mend soon: wait long.
                self._failed(err)
                self.stop.wait(BACKOFF[-1])
                continue
            except SyncIncomplete as err:
                self._failed(err, recorded=True)  # each folder's cursor has its own error
            except MailboxError as err:
                self._failed(err)
            except Exception as err:
                # Anything else (the database locked or gone, a bug on one odd message) must not
                # end the thread: a watcher that died quietly would miss every reply from now on.
                log.exception("inbox watcher: unexpected %s", type(err).__name__)
                self._failed(err)
            self.stop.wait(backoff_seconds(self.stats.consecutive_failures))

    def _watch(self, box: Mailbox) -> None:
        self._sync(box)
        last_full = time.monotonic()
        if not box.can_idle:
            log.info("inbox watcher: the server offers no IDLE; polling INBOX instead")
        while not self.stop.is_set():
            remaining = self.poll_seconds - (time.monotonic() - last_full)
            woke = self._wait(box, remaining) if remaining > 0 else False
            if self.stop.is_set():
                return
            if woke:
                self.stats.wakeups += 1
            if woke or time.monotonic() - last_full >= self.poll_seconds:
                self._sync(box)
                last_full = time.monotonic()

    def _wait(self, box: Mailbox, remaining: float) -> bool:
        """Wait for news on INBOX for up to remaining seconds: IDLE, or NOOP polls without it."""
        if box.can_idle:
            budget = max(min(self.idle_seconds, remaining), 0.5)
            return box.idle_wait("INBOX", timeout=budget, interrupted=self.stop.is_set)
        if self.stop.wait(min(remaining, NOOP_SECONDS)):
            return False
        self.stats.polls += 1
        return box.check_news("INBOX")

    def _sync(self, box: Mailbox) -> None:
        try:
            reports = sync_account_mail(self.app, box, utcnow())
        except SyncIncomplete as err:
            if any(folder == "INBOX" for folder, _ in err.failures):
                raise  # INBOX unread: a failing cycle, retried in a new session after a wait
            # INBOX was read: the watch goes on; the others are tried again at the next sync.
            self._note(err)
            reports = err.reports
        self.stats.consecutive_failures = 0
        self.stats.syncs += 1
        if self.on_sync is not None:
            self.on_sync(reports)

    def _note(self, err: Exception) -> None:
        self.stats.failures += 1
        self.stats.last_error = f"{type(err).__name__}: {err}"
        log.warning("inbox watcher: %s", self.stats.last_error)

    def _failed(self, err: Exception, *, recorded: bool = False) -> None:
        self.stats.consecutive_failures += 1
        self._note(err)
        if recorded:
            return
        try:
            record_failure(self.app, "imap", "INBOX", err, utcnow())
        except Exception as db_err:  # the database itself may be what failed; keep watching
            log.warning("inbox watcher: could not record the failure: %s", db_err)
