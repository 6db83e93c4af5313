"""A session that breaks: server killed or restarted, socket shut down mid-response."""

from __future__ import annotations

import socket
import threading

import pytest

from coffeechat.integrations.imap import ConnectionDropped, Mailbox, connect
from tests.integration.imap.conftest import make_message, password_of, ssl_endpoint
from tests.testbed import Mailbox as Account


def test_server_killed_between_chunks_then_resume(mailbox: Account) -> None:
    mailbox.seed_maildir([make_message(n) for n in range(50)])
    imap = connect(ssl_endpoint(mailbox), password_of(mailbox))
    uids = imap.uids_after("INBOX", 0)
    seen: list[int] = []
    try:
        with pytest.raises(ConnectionDropped) as caught:
            for item in imap.fetch_headers("INBOX", uids, chunk=10):
                seen.append(item.uid)
                if len(seen) == 10:
                    mailbox.server.kill_server()
        assert caught.value.transient is True
        assert seen == uids[:10]
        # The session is marked dead: later calls fail fast with the same retryable error.
        with pytest.raises(ConnectionDropped, match="reconnect"):
            imap.noop()
    finally:
        imap.close()
        mailbox.server.start()
    with connect(ssl_endpoint(mailbox), password_of(mailbox)) as again:
        rest = [item.uid for item in again.fetch_headers("INBOX", again.uids_after("INBOX", 10))]
    assert seen + rest == uids  # nothing lost, nothing doubled


def test_socket_shut_down_mid_response(mailbox: Account, imap: Mailbox) -> None:
    # Enough bytes that one UID FETCH is still streaming when the socket goes away.
    body = (b"x" * 998 + b"\r\n") * 200
    mailbox.seed_maildir([make_message(n, body=body) for n in range(300)])
    uids = imap.uids_after("INBOX", 0)
    sock = imap._client.sock
    timer = threading.Timer(0.02, lambda: sock.shutdown(socket.SHUT_RDWR))
    timer.start()
    try:
        with pytest.raises(ConnectionDropped, match="UID FETCH") as caught:
            for _ in imap.fetch_full("INBOX", uids, max_bytes=10**6, chunk=300):
                pass
        print(f"\nmid-response drop: {caught.value}")
    finally:
        timer.cancel()


def test_server_restart_is_connection_dropped(mailbox: Account, imap: Mailbox) -> None:
    imap.uids_after("INBOX", 0)
    mailbox.server.restart()
    with pytest.raises(ConnectionDropped):
        imap.uids_after("INBOX", 0)
