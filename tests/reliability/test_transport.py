"""TLS and STARTTLS policy at the level a user meets it: a whole cycle against real servers.

What must hold: against a certificate from a CA the user has not configured (a second trustme
CA, not in any trust store) IMAP, SMTP, the ICS feed and CalDAV fail with a clear TLS error,
nothing is sent, nothing is recorded as synced, and the password never leaves; with the CA
configured the same servers work. A server that does not offer STARTTLS when it was configured
is refused before any credential is sent.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from coffeechat.flows.steps.app import build_app
from coffeechat.flows.steps.cycle import run_cycle
from coffeechat.flows.steps.send import resume_sending
from coffeechat.integrations.imap import TlsFailure
from coffeechat.models.store.tables import Outbox, SyncCursor
from tests.reliability.world import LATER, NOW, World, make_world, sync_mail, whole_cycle
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.ports import LOOPBACK


@pytest.fixture(scope="module")
def rogue_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    """A CA nobody trusts, and its PEM on disk."""
    ca = trustme.CA(organization_name="not trusted by anyone")
    path = tmp_path_factory.mktemp("rogue") / "rogue-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_certificate_must_be_trusted(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    rogue_ca: tuple[trustme.CA, Path],
    security: str,
) -> None:
    port = mailbox.ssl_port if security == "ssl" else mailbox.port
    base = {"security": security, "port": port, "allow_plaintext": False}
    for ca_file in (None, rogue_ca[1]):
        world = make_world(
            tmp_path / f"{security}-{ca_file is None}",
            mailbox,
            smtp,
            ics_http_server,
            imap={**base, "ca_file": ca_file},
        )
        with pytest.raises(TlsFailure, match="certificate") as caught:
            sync_mail(world.app, NOW)
        assert mailbox.password not in str(caught.value)
    trusted = make_world(
        tmp_path / f"{security}-ok",
        mailbox,
        smtp,
        ics_http_server,
        imap={**base, "ca_file": str(mailbox.ca_path)},
    )
    assert sum(r.stored for r in sync_mail(trusted.app, NOW)) > 0


def _statuses(world: World) -> list[str]:
    with world.app.factory() as s:
        return sorted(r.status for r in s.scalars(select(Outbox)))


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_smtp_certificate_must_be_trusted(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    rogue_ca: tuple[trustme.CA, Path],
    security: str,
) -> None:
    port = smtp.ssl_port if security == "ssl" else smtp.port
    world = make_world(
        tmp_path,
        mailbox,
        smtp,
        ics_http_server,
        smtp={"security": security, "port": port, "ca_file": str(rogue_ca[1])},
    )
    report = whole_cycle(world.app, NOW)
    assert any("certificate" in p and "not trusted" in p for p in report.problems), report
    assert smtp.messages == [] and _statuses(world) == ["pending", "pending"]
    assert not any(smtp.password in p for p in report.problems)
    # Trusting the CA is not enough: a TLS failure pauses sending until the user resumes it.
    fixed = world.settings.model_copy(deep=True)
    assert fixed.smtp is not None
    fixed.smtp.ca_file = smtp.ca_path
    app = build_app(fixed)
    paused = run_cycle(app, LATER)
    assert smtp.messages == [] and any("resume-sending" in p for p in paused.problems), paused
    assert resume_sending(app)
    assert run_cycle(app, LATER).problems == []
    assert len(smtp.messages) == 2


class _HttpsFeed:
    """An HTTPS server (cert from a given CA) answering every GET with one .ics body."""

    def __init__(self, ca: trustme.CA, body: str) -> None:
        payload = body.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/cal.ics"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_calendar_certificate_must_be_trusted(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    rogue_ca: tuple[trustme.CA, Path],
) -> None:
    from tests.reliability.world import calendar_body

    https = _HttpsFeed(rogue_ca[0], calendar_body())
    try:
        calendars = [
            {"name": "feed", "kind": "ics_url", "url": https.url},
            {
                "name": "dav",
                "kind": "caldav",
                "url": https.url,
                "username": "sam",
                "password": "env:RELIABILITY_SMTP_PASSWORD",
            },
        ]
        world = make_world(tmp_path / "a", mailbox, smtp, ics_http_server, calendars=calendars)
        report = run_cycle(world.app, NOW)
        assert len(report.problems) == 2, report.problems
        for problem in report.problems:
            assert "certif" in problem.lower() or "ssl" in problem.lower(), problem
            assert smtp.password not in problem
        with world.app.factory() as s:
            failing = {c.source: c.consecutive_failures for c in s.scalars(select(SyncCursor))}
        assert failing == {"feed": 1, "dav": 1}
        trusted = [{**calendars[0], "ca_file": str(rogue_ca[1])}]
        world = make_world(tmp_path / "b", mailbox, smtp, ics_http_server, calendars=trusted)
        assert "meeting-scheduled" in run_cycle(world.app, NOW).labels
    finally:
        https.close()


class _LineServer:
    """A loopback server that greets, answers line by line, and records every byte it gets."""

    def __init__(self, greeting: bytes, answer: Callable[[bytes], bytes]) -> None:
        self.received = b""
        self._sock = socket.create_server((LOOPBACK, 0))
        self.port: int = self._sock.getsockname()[1]
        self._greeting, self._answer = greeting, answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.sendall(self._greeting)
                for line in conn.makefile("rb"):
                    self.received += line
                    conn.sendall(self._answer(line))

    def close(self) -> None:
        self._sock.close()


def _imap_answer(line: bytes) -> bytes:
    tag, _, command = line.strip().partition(b" ")
    if command.upper().startswith(b"CAPABILITY"):
        return b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n"
    if command.upper().startswith(b"LOGOUT"):
        return b"* BYE\r\n" + tag + b" OK bye\r\n"
    return tag + b" BAD no\r\n"


def _smtp_answer(line: bytes) -> bytes:
    if line.upper().startswith((b"EHLO", b"HELO")):
        return b"250-plain.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
    if line.upper().startswith(b"QUIT"):
        return b"221 bye\r\n"
    return b"250 ok\r\n"


@pytest.fixture
def no_starttls() -> Iterator[tuple[_LineServer, _LineServer]]:
    """An IMAP and an SMTP server that never offer STARTTLS."""
    imap = _LineServer(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hello\r\n", _imap_answer)
    smtp = _LineServer(b"220 plain.example ESMTP\r\n", _smtp_answer)
    try:
        yield imap, smtp
    finally:
        imap.close()
        smtp.close()


def test_starttls_configured_but_not_offered_is_refused_before_any_secret(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    no_starttls: tuple[_LineServer, _LineServer],
) -> None:
    imap_srv, smtp_srv = no_starttls
    world = make_world(
        tmp_path,
        mailbox,
        smtp,
        ics_http_server,
        imap={"security": "starttls", "port": imap_srv.port, "allow_plaintext": False},
        smtp={"security": "starttls", "port": smtp_srv.port},
    )
    with pytest.raises(TlsFailure, match="STARTTLS"):
        sync_mail(world.app, NOW)
    report = run_cycle(world.app, NOW)
    assert any("STARTTLS" in p for p in report.problems), report.problems
    assert _statuses(world) == ["pending", "pending"] and smtp.messages == []
    for server, secret in ((imap_srv, mailbox.password), (smtp_srv, smtp.password)):
        assert server.received, "the client never reached the fake server"
        assert secret.encode() not in server.received
        assert b"AUTH" not in server.received.upper() and b"LOGIN" not in server.received.upper()
        assert b"MAIL FROM" not in server.received.upper()
