"""Shared fixtures: the test bed of real loopback servers, defined in tests/testbed."""

from tests.testbed.fixtures import (  # noqa: F401 - pytest finds fixtures and hooks by name
    calendar,
    database_url,
    dovecot,
    engine,
    ics_http_server,
    mailbox,
    postgres_server,
    pytest_runtest_makereport,
    radicale,
    smtp,
    smtp_server,
    testbed_ca,
    xandikos,
)
