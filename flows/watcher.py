"""The long-running inbox watcher: IMAP IDLE for push, a periodic poll as the safety net.

IDLE is re-issued well before the 29-minute limit servers may enforce; a dropped connection
is retried with backoff; every failure is recorded on the folder's cursor so
``coffeechat status`` shows a watcher that has been failing. The sync itself is exactly what
the ``sync_inbox`` flow runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flows.app import App, imap_credential, imap_endpoint, utcnow
from flows.classify_worker import SyncStopped
from flows.inbox_sync import FolderReport, record_failure, sync_account_mail
from integrations.imap import (
    AuthenticationFailed,
    CredentialUnavailable,
    Mailbox,
    MailboxError,
    connect,
)

log = logging.getLogger(__name__)

IDLE_SECONDS = 25 * 60  # RFC 2177 servers may drop an IDLE after 29 minutes
BACKOFF = (1.0, 2.0, 5.0, 15.0, 30.0, 60.0, 300.0)
# IDLE is ended and re-issued this often so a stop request is noticed within seconds; the
# cost is one DONE/IDLE exchange, and a message arriving in between is caught by the sync.
STOP_CHECK_SECONDS = 5.0


@dataclass
class WatcherStats:
    """Counters a caller (or a benchmark) can read while the watcher runs."""

    syncs: int = 0
    wakeups: int = 0
    failures: int = 0
    last_error: str = ""


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
        """Watch until ``stop`` is set, reconnecting with backoff after failures."""
        attempt = 0
        while not self.stop.is_set():
            try:
                with connect(imap_endpoint(self.cfg), imap_credential(self.cfg)) as box:
                    attempt = 0
                    self._watch(box)
            except SyncStopped:
                return  # the service is stopping: nothing of the chunk was recorded, no failure
            except (AuthenticationFailed, CredentialUnavailable) as err:
                # A wrong password (or a token helper that is down) will not mend soon: wait long.
                self._failed(err)
                self.stop.wait(BACKOFF[-1])
            except MailboxError as err:
                self._failed(err)
                self.stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1
            except Exception as err:
                # Anything else (the database locked or gone, a bug on one odd message) must not
                # end the thread: a watcher that died quietly would miss every reply from now on.
                log.exception("inbox watcher: unexpected %s", type(err).__name__)
                self._failed(err)
                self.stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1

    def _watch(self, box: Mailbox) -> None:
        self._sync(box)
        last_full = time.monotonic()
        while not self.stop.is_set():
            remaining = self.poll_seconds - (time.monotonic() - last_full)
            budget = min(self.idle_seconds, remaining, STOP_CHECK_SECONDS)
            woke = box.idle_wait("INBOX", timeout=max(budget, 0.5)) if budget > 0 else False
            if self.stop.is_set():
                return
            if woke:
                self.stats.wakeups += 1
            due = time.monotonic() - last_full >= self.poll_seconds
            if woke or due:
                self._sync(box)
                last_full = time.monotonic()

    def _sync(self, box: Mailbox) -> None:
        reports = sync_account_mail(self.app, box, utcnow())
        self.stats.syncs += 1
        if self.on_sync is not None:
            self.on_sync(reports)

    def _failed(self, err: Exception) -> None:
        self.stats.failures += 1
        self.stats.last_error = f"{type(err).__name__}: {err}"
        log.warning("inbox watcher: %s", self.stats.last_error)
        try:
            record_failure(self.app, "imap", "INBOX", err, utcnow())
        except Exception as db_err:  # the database itself may be what failed; keep watching
            log.warning("inbox watcher: could not record the failure: %s", db_err)
