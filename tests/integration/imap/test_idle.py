"""IDLE against Dovecot: woken by an APPEND from another connection, or timing out cleanly."""

from __future__ import annotations

import threading
import time

import pytest

from coffeechat.integrations.imap import Mailbox, connect
from tests.integration.imap.conftest import make_message, password_of, ssl_endpoint
from tests.testbed import Mailbox as Account


def _append_later(account: Account, delay: float, done: list[float]) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        account.append(make_message(1))
        done.append(time.monotonic())

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_idle_wakes_on_append(mailbox: Account, imap: Mailbox) -> None:
    latencies = []
    for round_ in range(3):
        last = max(imap.uids_after("INBOX", 0), default=0)
        appended: list[float] = []
        thread = _append_later(mailbox, 0.3, appended)
        assert imap.idle_wait("INBOX", timeout=10) is True
        woke = time.monotonic()
        thread.join()
        latencies.append(woke - appended[0])
        assert len(imap.uids_after("INBOX", last)) == 1, round_
    print(f"\nIDLE wake latency after APPEND: {', '.join(f'{s * 1000:.0f} ms' for s in latencies)}")
    assert max(latencies) < 1.5  # Dovecot itself waits ~0.5 s before notifying


def test_idle_times_out_and_session_stays_usable(mailbox: Account, imap: Mailbox) -> None:
    started = time.monotonic()
    assert imap.idle_wait("INBOX", timeout=1.0) is False
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 2.0
    imap.noop()
    uid = mailbox.append(make_message(2))
    assert imap.uids_after("INBOX", 0) == [uid]


def test_mail_arriving_between_idles_is_not_missed(mailbox: Account, imap: Mailbox) -> None:
    assert imap.idle_wait("INBOX", timeout=0.2) is False
    mailbox.append(make_message(3))  # arrives while we are not idling
    started = time.monotonic()
    assert imap.idle_wait("INBOX", timeout=10) is True
    assert time.monotonic() - started < 1.5


def test_idle_refuses_more_than_29_minutes(imap: Mailbox) -> None:
    with pytest.raises(ValueError):
        imap.idle_wait("INBOX", timeout=30 * 60)


def test_idle_over_plaintext_loopback(mailbox: Account) -> None:
    endpoint = ssl_endpoint(mailbox, port=mailbox.port, security="plain", allow_plaintext=True)
    with connect(endpoint, password_of(mailbox)) as imap:
        appended: list[float] = []
        thread = _append_later(mailbox, 0.2, appended)
        assert imap.idle_wait("INBOX", timeout=10) is True
        thread.join()
        assert imap.idle_wait("INBOX", timeout=0.3) is False
        assert len(imap.uids_after("INBOX", 0)) == 1
