"""Reading a mailbox: folders, status, searches, fetches and APPEND, with flags left untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from coffeechat.integrations.imap import FolderNotFound, Mailbox, connect
from tests.integration.imap.conftest import make_message, password_of, ssl_endpoint
from tests.testbed import Mailbox as Account


def _flags(account: Account, folder: str = "INBOX") -> dict[int, tuple[str, ...]]:
    return {m.uid: tuple(sorted(m.flags)) for m in account.messages(folder)}


def test_login_leaves_no_password_in_the_client(mailbox: Account, imap: Mailbox) -> None:
    # imaplib keeps recent command lines (LOGIN included) in _cmd_log; we clear it.
    assert mailbox.password not in repr(vars(imap._client))
    assert mailbox.password not in repr(vars(imap))


def test_special_folders_via_special_use(imap: Mailbox) -> None:
    found = imap.special_folders()
    assert found["sent"] == "Sent"
    assert found["drafts"] == "Drafts"
    assert found["trash"] == "Trash"


def test_status_and_missing_folder(mailbox: Account, imap: Mailbox) -> None:
    for n in range(3):
        mailbox.append(make_message(n))
    status = imap.status("INBOX")
    assert status.messages == 3
    assert status.uidnext == 4
    assert status.uidvalidity == mailbox.uidvalidity("INBOX")
    assert status.highest_modseq is not None and status.highest_modseq > 0
    with pytest.raises(FolderNotFound, match="Nope"):
        imap.status("Nope")
    with pytest.raises(FolderNotFound):
        imap.uids_after("Nope", 0)
    imap.noop()  # a missing folder does not break the session


def test_uids_after_filters_the_n_star_trap(mailbox: Account, imap: Mailbox) -> None:
    assert imap.uids_after("INBOX", 0) == []
    uids = [mailbox.append(make_message(n)) for n in range(3)]
    assert imap.uids_after("INBOX", 0) == uids
    assert imap.uids_after("INBOX", uids[0]) == uids[1:]
    # UID SEARCH UID 4:* matches the highest UID (3) when nothing is new: must give [].
    assert imap.uids_after("INBOX", uids[-1]) == []
    assert imap.uids_after("INBOX", uids[-1] + 100) == []
    later = mailbox.append(make_message(9))
    assert imap.uids_after("INBOX", uids[-1]) == [later]


def test_uids_since(mailbox: Account, imap: Mailbox) -> None:
    now = datetime.now(UTC)
    old = mailbox.append(make_message(1), date=now - timedelta(days=40))
    recent = mailbox.append(make_message(2), date=now - timedelta(days=2))
    found = imap.uids_since("INBOX", date.today() - timedelta(days=30))
    assert recent in found
    assert old not in found


def test_fetch_headers_and_full_leave_seen_untouched(mailbox: Account, imap: Mailbox) -> None:
    unread = mailbox.append(make_message(1))
    read = mailbox.append(make_message(2), flags=("\\Seen", "\\Flagged"))
    before = _flags(mailbox)
    when = datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
    dated = mailbox.append(make_message(3), date=when)

    headers = {item.uid: item for item in imap.fetch_headers("INBOX", [unread, read, dated])}
    assert set(headers) == {unread, read, dated}
    assert headers[unread].flags in ((), ("\\Recent",))
    assert set(headers[read].flags) >= {"\\Seen", "\\Flagged"}
    assert headers[unread].header.startswith(b"From: Alice Example")
    assert headers[unread].header.endswith(b"\r\n\r\n")
    assert b"Hello." not in headers[unread].header
    assert headers[unread].size == len(make_message(1))
    assert headers[dated].internaldate == when

    full = {
        item.uid: item.raw for item in imap.fetch_full("INBOX", [unread, read], max_bytes=10_000)
    }
    assert full == {unread: make_message(1), read: make_message(2)}
    after = _flags(mailbox)
    assert {uid: after[uid] for uid in before} == before
    assert "\\Seen" not in after[dated]


def test_fetch_chunks_sparse_uids_and_oversize(mailbox: Account, imap: Mailbox) -> None:
    uids = [mailbox.append(make_message(n, body=b"x" * (n * 100))) for n in range(1, 8)]
    wanted = [uids[6], uids[0], uids[2], uids[3], uids[0]]  # unsorted, duplicated, sparse
    got = [item.uid for item in imap.fetch_headers("INBOX", wanted, chunk=2)]
    assert got == sorted(set(wanted))
    big = len(make_message(7, body=b"x" * 700))
    full = list(imap.fetch_full("INBOX", uids, max_bytes=big - 1, chunk=3))
    assert [item.uid for item in full] == uids[:-1]  # the one over the cap is skipped
    assert list(imap.fetch_headers("INBOX", [])) == []


def test_search_message_id_quotes_safely(mailbox: Account, imap: Mailbox) -> None:
    target = mailbox.append(make_message(1, message_id="<abc.123@coffeechat.local>"))
    mailbox.append(make_message(2, message_id="<xabc.123@coffeechat.local>"))
    mailbox.append(make_message(3, message_id='<odd"quote\\slash@x>'))
    assert imap.search_message_id("INBOX", "<abc.123@coffeechat.local>") == [target]
    assert imap.search_message_id("INBOX", "abc.123@coffeechat.local") == [target]
    assert len(imap.search_message_id("INBOX", '<odd"quote\\slash@x>')) == 1
    assert imap.search_message_id("INBOX", "<nothing@here>") == []
    with pytest.raises(ValueError):
        imap.search_message_id("INBOX", "<a@b>\r\nA1 LOGOUT")


def test_append_with_flags_and_date(mailbox: Account, imap: Mailbox) -> None:
    when = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    raw = make_message(5, message_id="<sent-1@coffeechat.local>")
    uid = imap.append("Sent", raw, flags=("\\Seen",), when=when)
    stored = {m.uid: m for m in mailbox.messages("Sent")}
    assert uid in stored
    assert stored[uid].raw == raw
    assert "\\Seen" in stored[uid].flags
    assert imap.search_message_id("Sent", "<sent-1@coffeechat.local>") == [uid]
    (item,) = imap.fetch_headers("Sent", [uid])
    assert item.internaldate == when
    with pytest.raises(FolderNotFound):
        imap.append("No Such Folder", raw)


def test_session_follows_new_mail_in_selected_folder(mailbox: Account) -> None:
    with connect(ssl_endpoint(mailbox), password_of(mailbox)) as imap:
        first = mailbox.append(make_message(1))
        assert imap.uids_after("INBOX", 0) == [first]
        imap.clear_untagged()
        second = mailbox.append(make_message(2))
        assert imap.uids_after("INBOX", first) == [second]
        assert [i.uid for i in imap.fetch_headers("INBOX", [second])] == [second]
