"""Real servers on loopback for tests: Dovecot, aiosmtpd, Radicale, an .ics feed, PostgreSQL.

Fixtures (registered in tests/conftest.py; session ones start once, on free ports):
    dovecot / mailbox        DovecotServer / Mailbox: a fresh IMAP user per test
    smtp_server / smtp       SmtpServer, reset for each test (mail, faults, hooks, switches)
    radicale / calendar      RadicaleServer / Calendar: a new CalDAV collection per test
    xandikos                 XandikosServer: a second CalDAV server (principal /user/, no auth)
    ics_http_server          IcsFeedServer: one mutable .ics body with ETag/304 and faults
    postgres_server          PostgresServer: create_database() -> SQLAlchemy URL
    database_url             a fresh empty database URL, parametrized sqlite / postgresql
    engine                   an SQLAlchemy engine on that database, migrated to head
    testbed_ca               the CA every server cert is signed by (.ca_path)
Dovecot and aiosmtpd also accept XOAUTH2 with tokens from one loopback token authority
(tests.testbed.oauth: issue, expire and introspect tokens; a token command for configs).
Servers write logs to .log_path; a failing test's report shows their last lines.
A suite's world (settings, seeded records, the forked crash child) is built with
tests.testbed.world, tests.testbed.records and tests.testbed.zygote.
"""

from tests.testbed.caldav import Calendar, RadicaleServer
from tests.testbed.dovecot import DovecotServer, Mailbox
from tests.testbed.icsfeed import FeedRequest, IcsFeedServer
from tests.testbed.imap import StoredMessage
from tests.testbed.postgres import PostgresServer
from tests.testbed.smtp import ReceivedMessage, SmtpServer
from tests.testbed.tls import TestbedCA, TlsFiles

__all__ = [
    "Calendar",
    "DovecotServer",
    "FeedRequest",
    "IcsFeedServer",
    "Mailbox",
    "PostgresServer",
    "RadicaleServer",
    "ReceivedMessage",
    "SmtpServer",
    "StoredMessage",
    "TestbedCA",
    "TlsFiles",
]
