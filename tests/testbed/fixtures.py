"""The pytest fixtures of the test bed; tests/conftest.py re-exports them by name."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from coffeechat.models.store.db import make_engine, upgrade
from tests.testbed.caldav import Calendar, RadicaleServer
from tests.testbed.dovecot import DOVECOT_BIN, DovecotServer, Mailbox
from tests.testbed.icsfeed import IcsFeedServer
from tests.testbed.ports import remove_dir, scratch_dir, tail
from tests.testbed.postgres import PostgresServer, find_bindir
from tests.testbed.smtp import SmtpServer
from tests.testbed.tls import TestbedCA
from tests.testbed.xandikos import XandikosServer, xandikos_argv

# Fixture names whose value has a log_path worth showing when a test fails.
_LOGGED = (
    "dovecot",
    "mailbox",
    "smtp",
    "smtp_server",
    "radicale",
    "xandikos",
    "postgres_server",
)


def _require(found: bool, what: str, hint: str) -> None:
    # Locally a missing server skips its tests; in CI it must be loud, or a green run lies.
    if found:
        return
    message = f"{what} is not installed ({hint})"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def testbed_ca() -> Iterator[TestbedCA]:
    """Session CA: every testbed server's cert is signed by it (see .ca_path)."""
    directory = scratch_dir("ca")
    try:
        yield TestbedCA(directory)
    finally:
        remove_dir(directory)


@pytest.fixture(scope="session")
def dovecot(testbed_ca: TestbedCA) -> Iterator[DovecotServer]:
    """Session-wide Dovecot on free loopback ports (IMAP and IMAPS)."""
    _require(DOVECOT_BIN.exists(), "Dovecot", "apt-get install dovecot-imapd")
    server = DovecotServer(testbed_ca.issue("dovecot"))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def mailbox(dovecot: DovecotServer) -> Mailbox:
    """A fresh, empty IMAP account for this test."""
    if not dovecot.process.running:
        dovecot.start()  # an earlier fault test left it killed
    return dovecot.take_user()


@pytest.fixture(scope="session")
def smtp_server(testbed_ca: TestbedCA) -> Iterator[SmtpServer]:
    """Session-wide aiosmtpd: plain+STARTTLS on .port, implicit TLS on .ssl_port."""
    directory = scratch_dir("smtp")
    server = SmtpServer(testbed_ca.issue("smtp"), directory / "smtp.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        remove_dir(directory)


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The session SMTP server with no mail, faults, hooks or auth requirement left over."""
    smtp_server.reset()
    yield smtp_server
    smtp_server.reset()


@pytest.fixture(scope="session")
def radicale() -> Iterator[RadicaleServer]:
    """Session-wide Radicale (CalDAV) with one user, username/password."""
    server = RadicaleServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def calendar(radicale: RadicaleServer) -> Iterator[Calendar]:
    """A new, empty calendar collection for this test, deleted afterwards."""
    if not radicale.process.running:
        radicale.start()
    created = radicale.new_calendar()
    yield created
    if radicale.process.running:
        radicale.request("DELETE", created.path)


@pytest.fixture(scope="session")
def xandikos() -> Iterator[XandikosServer]:
    """Session-wide Xandikos (a second CalDAV server): /user/, /user/calendars/, no auth."""
    argv = xandikos_argv()
    _require(argv is not None, "Xandikos", "pip install xandikos")
    assert argv is not None
    server = XandikosServer(argv)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def ics_http_server() -> Iterator[IcsFeedServer]:
    """A loopback HTTP server publishing one mutable .ics body at .url."""
    server = IcsFeedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Session-wide PostgreSQL cluster (trust auth, fsync off) on a free loopback port."""
    bindir = find_bindir()
    found = bindir is not None and (bindir / "postgres").exists() and (bindir / "initdb").exists()
    _require(found, "PostgreSQL", "apt-get install postgresql")
    assert bindir is not None
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database URL (no tables) on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coffeechat.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    if not server.process.running:
        server.start()  # an earlier fault test left it stopped
    url = server.create_database()
    yield url
    if server.process.running:
        server.drop_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database upgraded to head."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the tail of each testbed server log the test used to its failure report."""
    report = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        shown: set[object] = set()
        for name in _LOGGED:
            server = funcargs.get(name)
            log_path = getattr(server, "log_path", None) or getattr(
                getattr(server, "server", None), "log_path", None
            )
            if log_path is not None and log_path not in shown:
                shown.add(log_path)
                report.sections.append((f"testbed {name} log", tail(log_path)))
    return report
