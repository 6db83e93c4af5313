"""An App wired to the test bed's aiosmtpd and a fresh Dovecot mailbox, on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from coffeechat.flows.steps.app import App
from tests.integration.sending.seed import make_app
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox


@pytest.fixture(autouse=True)
def _secrets(mailbox: BedMailbox, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The passwords, reached through env: references as a user would configure them."""
    monkeypatch.setenv("TEST_IMAP_PASSWORD", mailbox.password)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", smtp.password)


@pytest.fixture
def app(tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer) -> App:
    """Settings pointing at the test bed; SMTP requires AUTH, like a real submission server."""
    smtp.require_auth = True
    return make_app(tmp_path, mailbox, smtp)
