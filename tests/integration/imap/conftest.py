"""Fixtures for the IMAP edge: endpoints and a connected session on the test bed's Dovecot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from coffeechat.integrations.imap import Credential, ImapEndpoint, Mailbox, connect
from tests.testbed import Mailbox as Account


def make_message(n: int, *, message_id: str | None = None, body: bytes = b"Hello.\r\n") -> bytes:
    """Return a small RFC 5322 message numbered n."""
    when = format_datetime(datetime(2024, 5, 1, 9, 30, tzinfo=UTC))
    mid = message_id or f"<msg-{n}@example.org>"
    return (
        f"From: Alice Example <alice@example.org>\r\n"
        f"To: Job Seeker <me@example.net>\r\n"
        f"Subject: Coffee chat {n}\r\n"
        f"Date: {when}\r\n"
        f"Message-ID: {mid}\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"X-Sequence: {n}\r\n"
        f"\r\n"
    ).encode() + body


def ssl_endpoint(account: Account, **changes: object) -> ImapEndpoint:
    """Return an implicit-TLS endpoint trusting the test bed CA."""
    values: dict[str, object] = {
        "host": account.host,
        "port": account.ssl_port,
        "security": "ssl",
        "username": account.user,
        "ca_file": account.ca_path,
        "timeout": 10.0,
    }
    values.update(changes)
    return ImapEndpoint(**values)  # type: ignore[arg-type]


def password_of(account: Account, secret: str | None = None) -> Callable[[], Credential]:
    """Return a lazy password credential (the account's own unless secret is given)."""
    return lambda: Credential("password", secret if secret is not None else account.password)


@pytest.fixture
def imap(mailbox: Account) -> Iterator[Mailbox]:
    """A logged-in session over TLS for the test's fresh account."""
    session = connect(ssl_endpoint(mailbox), password_of(mailbox))
    yield session
    session.close()
