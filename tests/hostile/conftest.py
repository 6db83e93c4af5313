"""The hostile corpus's sync test uses the poison suite's App on a fresh Dovecot mailbox."""

from tests.integration.poison.conftest import app, imap  # noqa: F401 - fixtures, found by name
