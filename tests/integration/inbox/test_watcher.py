"""The IDLE watcher against Dovecot: push latency, reconnection, failure shown in status."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.watcher import InboxWatcher
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.tables import Interview, SyncCursor
from tests.integration.inbox.conftest import NOW
from tests.integration.inbox.test_inbox_sync import OUTREACH_ID, add_contact, mail
from tests.testbed import Mailbox as BedMailbox


@pytest.fixture
def watcher(app: App) -> Iterator[InboxWatcher]:
    stop = threading.Event()
    w = InboxWatcher(app, stop=stop, poll_seconds=300)
    thread = threading.Thread(target=w.run, daemon=True)
    thread.start()
    yield w
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def wait_for(predicate, timeout: float = 15.0) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def interview_state(app: App) -> str:
    with app.factory() as s:
        return s.scalars(select(Interview.state)).one()


def test_idle_push_records_a_reply_quickly(
    app: App, mailbox: BedMailbox, watcher: InboxWatcher
) -> None:
    add_contact(app, "Ada Lovelace", "ada@example.com")
    wait_for(lambda: watcher.stats.syncs >= 1)
    time.sleep(0.3)  # let the watcher enter IDLE
    mailbox.append(
        mail(
            "ada@example.com",
            "Re: Coffee?",
            mid="<w1@example.com>",
            extra=f"In-Reply-To: {OUTREACH_ID}\r\n",
        )
    )
    latency = wait_for(lambda: interview_state(app) == "replied")
    assert watcher.stats.wakeups >= 1  # it was the push, not the 300 s poll
    assert latency < 5.0  # generous here; the median is measured in bench/bench_inbox.py


def test_server_restart_is_survived_and_shown_meanwhile(
    app: App, mailbox: BedMailbox, watcher: InboxWatcher
) -> None:
    add_contact(app, "Ada Lovelace", "ada@example.com")
    wait_for(lambda: watcher.stats.syncs >= 1)
    mailbox.server.kill_server()
    wait_for(lambda: watcher.stats.failures >= 1)
    with app.factory() as s:
        report = status_report(s, app.account_id, NOW)
        inbox = next(src for src in report["sources"] if src["source"] == "INBOX")
        assert inbox["failing"] and inbox["last_error"]
    mailbox.server.restart()
    mailbox.append(
        mail(
            "ada@example.com",
            "Re: Coffee?",
            mid="<w2@example.com>",
            extra=f"In-Reply-To: {OUTREACH_ID}\r\n",
        )
    )
    wait_for(lambda: interview_state(app) == "replied", timeout=30)
    with app.factory() as s:
        cur = s.scalars(select(SyncCursor).where(SyncCursor.source == "INBOX")).one()
        assert cur.consecutive_failures == 0 and cur.last_error == ""
