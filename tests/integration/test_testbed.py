"""The test bed's fixtures start real servers, behave as documented and isolate tests."""

from __future__ import annotations

import http.client
import imaplib
import smtplib
import ssl
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.testbed import (
    Calendar,
    DovecotServer,
    IcsFeedServer,
    Mailbox,
    PostgresServer,
    SmtpServer,
    TestbedCA,
)


def _message(n: int = 1, subject: str = "Coffee?") -> bytes:
    return (
        f"From: Ada <ada@example.org>\r\nTo: Bob <bob@example.org>\r\n"
        f"Subject: {subject} {n}\r\nMessage-ID: <msg-{n}@testbed.example>\r\n"
        f"Date: Mon, 06 Jan 2025 10:00:00 +0000\r\n\r\nHello {n}\r\n"
    ).encode()


_EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//coffeechat//tb//EN\r\n{events}END:VCALENDAR\r\n"
)
_VEVENT = (
    "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250110T150000Z\r\n"
    "DTEND:20250110T153000Z\r\nSUMMARY:Coffee with {uid}\r\nEND:VEVENT\r\n"
)


def _ics(*uids: str) -> str:
    return _EVENT.format(events="".join(_VEVENT.format(uid=uid) for uid in uids))


# --- Dovecot ---------------------------------------------------------------------------------


def test_mailbox_login_capabilities_and_special_use_folders(mailbox: Mailbox) -> None:
    client = mailbox.connect()
    try:
        # Dovecot repeats CAPABILITY in the LOGIN reply: the last one is the current one.
        _, capability_lines = client.capability()
        capabilities = set(capability_lines[-1].decode().split())
        assert {"IDLE", "CONDSTORE", "SPECIAL-USE"} <= capabilities
        _, listing = client.list()
        folders = b"\n".join(line for line in listing if isinstance(line, bytes))
        for use in [b'(\\HasNoChildren \\Sent) "/" Sent', b'\\Drafts) "/" Drafts', b"\\Junk"]:
            assert use in folders
        _, status = client.status("INBOX", "(MESSAGES HIGHESTMODSEQ)")
        assert b"MESSAGES 0" in status[0]
    finally:
        client.logout()


def test_imaps_verifies_against_the_testbed_ca_only(mailbox: Mailbox) -> None:
    with imaplib.IMAP4_SSL(mailbox.host, mailbox.ssl_port, ssl_context=mailbox.ssl_context()) as c:
        c.login(mailbox.user, mailbox.password)
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(
            mailbox.host, mailbox.ssl_port, ssl_context=ssl.create_default_context(), timeout=5
        )
    assert mailbox.ca_path.read_text().startswith("-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_gets_a_fresh_empty_mailbox(mailbox: Mailbox, round_: int) -> None:
    assert mailbox.messages() == []
    assert mailbox.messages("Sent") == []
    mailbox.append(_message(round_))
    assert len(mailbox.messages()) == 1


def test_append_keeps_flags_and_date_and_returns_the_uid(mailbox: Mailbox) -> None:
    when = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
    first = mailbox.append(_message(1), flags=("\\Seen",), date=when)
    second = mailbox.append(_message(2), folder="Archive/2025")
    assert (first, second) == (1, 1)
    [stored] = mailbox.messages()
    assert stored.flags == ("\\Seen",) and stored.raw == _message(1)
    assert [m.raw for m in mailbox.messages("Archive/2025")] == [_message(2)]


def test_seed_maildir_loads_ten_thousand_messages_fast(mailbox: Mailbox) -> None:
    started = time.monotonic()
    count = mailbox.seed_maildir([_message(n) for n in range(10_000)], flags=["\\Seen"])
    elapsed = time.monotonic() - started
    assert count == 10_000 and elapsed < 5, elapsed
    client = mailbox.connect()
    try:
        _, status = client.status("INBOX", "(MESSAGES UNSEEN)")
        assert b"MESSAGES 10000 UNSEEN 0" in status[0]
    finally:
        client.logout()


@pytest.mark.parametrize("folder", ["INBOX", "Projects/Coffee"])
def test_recreate_folder_changes_uidvalidity_and_keeps_mail(mailbox: Mailbox, folder: str) -> None:
    mailbox.append(_message(1), folder=folder, flags=("\\Flagged",))
    before = mailbox.uidvalidity(folder)
    mailbox.recreate_folder(folder)
    assert mailbox.uidvalidity(folder) != before
    [kept] = mailbox.messages(folder)
    assert kept.raw == _message(1) and kept.flags == ("\\Flagged",)
    mailbox.recreate_folder(folder, keep_messages=False)
    assert mailbox.messages(folder) == []


def test_kill_and_restart_dovecot_on_the_same_ports(dovecot: DovecotServer) -> None:
    user = dovecot.take_user()
    port = dovecot.port
    dovecot.kill_server()
    with pytest.raises(OSError):
        imaplib.IMAP4(dovecot.host, port, timeout=2)
    dovecot.start()
    assert dovecot.port == port
    user.connect().logout()
    dovecot.restart()
    user.connect().logout()


def test_a_stopped_server_leaves_no_process_behind(testbed_ca: TestbedCA) -> None:
    server = DovecotServer(testbed_ca.issue("dovecot-extra"))
    server.start()
    server.take_user().connect().logout()  # spawns login and imap children
    assert server.process.popen is not None
    server.close()
    assert not server.process.group_alive()
    assert not server.root.exists()


# --- SMTP ------------------------------------------------------------------------------------


def test_smtp_starttls_and_auth_records_the_message(smtp: SmtpServer) -> None:
    context = ssl.create_default_context(cafile=str(smtp.ca_path))
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        client.starttls(context=context)
        client.login(smtp.username, smtp.password)
        client.sendmail("ada@example.org", ["bob@example.org", "cy@example.org"], _message(7))
    [received] = smtp.wait_for(1)
    assert received.rcpt_tos == ("bob@example.org", "cy@example.org")
    assert received.message_id == "<msg-7@testbed.example>"
    assert received.raw == _message(7) and received.tls and received.auth_user == smtp.username


def test_smtp_implicit_tls_and_required_auth(smtp: SmtpServer) -> None:
    smtp.require_auth = True
    context = ssl.create_default_context(cafile=str(smtp.ca_path))
    with smtplib.SMTP_SSL(smtp.host, smtp.ssl_port, context=context, timeout=10) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("ada@example.org", ["bob@example.org"], _message())
        assert refused.value.smtp_code == 530
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(smtp.username, "wrong")
        client.login(smtp.username, smtp.password)
        client.sendmail("ada@example.org", ["bob@example.org"], _message())
    assert len(smtp.wait_for(1)) == 1


@pytest.mark.parametrize("round_", [1, 2])
def test_smtp_state_is_reset_between_tests(smtp: SmtpServer, round_: int) -> None:
    assert smtp.messages == [] and not smtp.require_auth
    smtp.fail_next(451, times=5)
    smtp.require_auth = True


def test_smtp_scripted_faults(smtp: SmtpServer) -> None:
    smtp.fail_next(451, command="MAIL")
    smtp.fail_next(550, command="RCPT")
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as temporary:
            client.sendmail("ada@example.org", ["bob@example.org"], _message())
        assert temporary.value.smtp_code == 451
        with pytest.raises(smtplib.SMTPRecipientsRefused) as permanent:
            client.sendmail("ada@example.org", ["bob@example.org"], _message())
        assert permanent.value.recipients["bob@example.org"][0] == 550
        client.sendmail("ada@example.org", ["bob@example.org"], _message())
    smtp.fail_next(421, command="MAIL")
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as closing:
            client.sendmail("ada@example.org", ["bob@example.org"], _message())
        assert closing.value.smtp_code == 421
    smtp.drop_during_data()
    with (
        pytest.raises(smtplib.SMTPServerDisconnected),
        smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client,
    ):
        client.sendmail("ada@example.org", ["bob@example.org"], _message())
    assert len(smtp.messages) == 1


def test_smtp_deliver_to_appends_into_a_mailbox(smtp: SmtpServer, mailbox: Mailbox) -> None:
    smtp.deliver_to(mailbox)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        client.sendmail("ada@example.org", [f"{mailbox.user}@example.org"], _message(3))
    smtp.wait_for(1)
    assert [m.raw for m in mailbox.messages()] == [_message(3)]


# --- Radicale and the .ics feed --------------------------------------------------------------


def test_calendar_put_event_feed_and_delete(calendar: Calendar) -> None:
    assert "BEGIN:VEVENT" not in calendar.feed()
    event_url = calendar.put_event(_ics("coffee-1@example.org"))
    assert event_url.startswith(calendar.url)
    assert "Coffee with coffee-1@example.org" in calendar.feed()
    calendar.delete_event("coffee-1@example.org")
    assert "BEGIN:VEVENT" not in calendar.feed()


def test_calendar_put_calendar_loads_many_events_in_one_request(calendar: Calendar) -> None:
    started = time.monotonic()
    calendar.put_calendar(_ics(*[f"bulk-{n}@example.org" for n in range(300)]))
    assert time.monotonic() - started < 10
    assert calendar.feed().count("BEGIN:VEVENT") == 300
    calendar.delete_event("bulk-7@example.org")
    assert calendar.feed().count("BEGIN:VEVENT") == 299


def test_calendar_is_a_caldav_collection_for_the_caldav_package(calendar: Calendar) -> None:
    caldav = pytest.importorskip("caldav")
    calendar.put_event(_ics("dav-1@example.org"))
    with caldav.DAVClient(
        calendar.url, username=calendar.username, password=calendar.password
    ) as client:
        remote = client.calendar(url=calendar.url)
        assert [event.icalendar_component["UID"] for event in remote.events()] == [
            "dav-1@example.org"
        ]


def test_ics_feed_conditional_get_and_faults(ics_http_server: IcsFeedServer) -> None:
    feed = ics_http_server
    feed.set_body(_ics("feed-1@example.org"))

    def get(headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(feed.host, feed.port, timeout=5)
        try:
            connection.request("GET", feed.path, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    status, headers, body = get()
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and body.startswith(b"BEGIN:VCALENDAR")
    assert get({"If-None-Match": etag})[0] == 304
    assert get({"If-Modified-Since": modified})[0] == 304
    feed.set_body(_ics("feed-1@example.org", "feed-2@example.org"))
    assert get({"If-None-Match": etag})[0] == 200
    assert get({"If-Modified-Since": modified})[0] == 200
    feed.fail_next(500)
    feed.garbage_next()
    assert get()[0] == 500
    status, _, garbage = get()
    assert status == 200 and b"BEGIN:VCALENDAR" not in garbage
    assert [r.status for r in feed.requests] == [200, 304, 304, 200, 200, 500, 200]
    assert feed.request_count == 7


# --- PostgreSQL and database_url -------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_databases_are_separate_and_survive_a_restart(
    postgres_server: PostgresServer,
) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    assert first != second and first.startswith("postgresql+psycopg://")
    engine = create_engine(first)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x int)"))
    assert inspect(create_engine(second)).get_table_names() == []
    postgres_server.restart()
    engine.dispose()  # pooled connections died with the old server
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()
    postgres_server.drop_database(first)
    postgres_server.drop_database(second)


def test_database_url_is_fresh_and_empty(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE leftover (id integer primary key)"))
    finally:
        engine.dispose()


def test_database_url_again_sees_no_leftover(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
