"""Our bulk FETCH reader and header prefetch against Dovecot, compared with imaplib itself."""

from __future__ import annotations

import imaplib
import socket

import pytest

from coffeechat.integrations.imap import ConnectionDropped, connect, fetch, stream
from tests.integration.imap.conftest import make_message, password_of, ssl_endpoint
from tests.testbed import Mailbox as Account


def _varied(n: int) -> bytes:
    """Messages whose header blocks range from tiny to several read buffers long."""
    extra = "".join(f"X-Filler-{k}: {'y' * (n % 70)}\r\n" for k in range(n * 7 % 300))
    # A subject that looks like a literal marker must stay inside the literal.
    head = f"Subject: odd {{{n}}}\r\n{extra}" if n % 5 == 0 else extra
    msg = make_message(n, body=b"body " * (n % 50) + b"\r\n")
    return head.encode() + msg


@pytest.fixture
def seeded(mailbox: Account) -> Account:
    mailbox.seed_maildir([_varied(n) for n in range(0, 400, 2)])
    mailbox.seed_maildir([_varied(n) for n in range(1, 400, 2)], flags=("\\Seen", "\\Flagged"))
    return mailbox


def _login(account: Account) -> imaplib.IMAP4_SSL:
    client = imaplib.IMAP4_SSL(account.host, account.ssl_port, ssl_context=account.ssl_context())
    client.login(account.user, account.password)
    client.select("INBOX", readonly=True)
    return client


@pytest.mark.parametrize(
    "items",
    [fetch.HEADER_ITEMS, fetch.LEAN_HEADER_ITEMS, fetch.full_items(10**6), "(UID FLAGS)"],
)
def test_reader_returns_exactly_what_imaplib_returns(seeded: Account, items: str) -> None:
    theirs, ours = _login(seeded), _login(seeded)
    try:
        typ, expected = theirs.uid("FETCH", "1:*", items)
        got_typ, got = stream.read_uid_fetch(ours, stream.send_uid_fetch(ours, "1:*", items))
        assert (got_typ, got) == (typ, expected)
        assert len(got) >= 400
        # The answer is handed back, not left behind for the next command to trip over.
        assert "FETCH" not in ours.untagged_responses and not ours.tagged_commands
        assert ours.noop()[0] == "OK"
    finally:
        theirs.logout()
        ours.logout()


def test_prefetch_matches_fetch_and_survives_other_commands(seeded: Account) -> None:
    with connect(ssl_endpoint(seeded), password_of(seeded)) as imap:
        uids = imap.uids_after("INBOX", 0)
        plain = list(imap.fetch_headers("INBOX", uids, lean=True))
        full = list(imap.fetch_headers("INBOX", uids))
        pending = imap.prefetch_headers("INBOX", uids)
        # Other commands while the answer is unread: each reads it first, then runs.
        assert imap.status("INBOX").messages == 400
        assert imap.uids_after("INBOX", 0) == uids
        bodies = list(imap.fetch_full("INBOX", uids[:3], max_bytes=10**6))
        assert [b.uid for b in bodies] == uids[:3]
        got = pending.result()
        assert got == plain and pending.result() is got
        assert [(h.uid, h.size, h.header) for h in got] == [(h.uid, h.size, h.header) for h in full]
        assert all(h.flags == () and h.internaldate is None for h in got)
        assert imap.prefetch_headers("INBOX", []).result() == []
    # BODY.PEEK all the way: the unread half is still unread.
    assert sum("\\Seen" not in m.flags for m in seeded.messages()) == 200


def test_prefetch_lost_with_its_session(seeded: Account) -> None:
    imap = connect(ssl_endpoint(seeded), password_of(seeded))
    try:
        pending = imap.prefetch_headers("INBOX", imap.uids_after("INBOX", 0))
        seeded.server.kill_server()
        # Dovecot may have answered before it died; the next command then finds the drop.
        with pytest.raises(ConnectionDropped):
            pending.result()
            imap.noop()
        with pytest.raises(ConnectionDropped, match="reconnect"):
            imap.noop()
    finally:
        imap.close()
        seeded.server.start()


def test_prefetch_cut_off_mid_answer(mailbox: Account) -> None:
    # 300 header blocks of ~150 kB: far more than socket buffers hold, so most of the answer
    # is still on the server's side when our end of the socket goes away.
    filler = "".join(f"X-Filler-{k}: {'z' * 60}\r\n" for k in range(2000)).encode()
    mailbox.seed_maildir([filler + make_message(n) for n in range(300)])
    imap = connect(ssl_endpoint(mailbox), password_of(mailbox))
    try:
        pending = imap.prefetch_headers("INBOX", imap.uids_after("INBOX", 0))
        imap._client.sock.shutdown(socket.SHUT_RDWR)
        with pytest.raises(ConnectionDropped, match="UID FETCH"):
            pending.result()
        with pytest.raises(ConnectionDropped, match="reconnect"):
            imap.noop()
        with pytest.raises(ConnectionDropped, match="lost"):
            pending.result()
    finally:
        imap.close()
