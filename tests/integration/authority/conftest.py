"""The inbox suite's App and IMAP session on a fresh Dovecot mailbox and SQLite database."""

from tests.integration.inbox.conftest import app, imap  # noqa: F401 - fixtures by name
