"""An App wired to a fresh Dovecot mailbox and a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coffeechat.flows.steps.app import App, build_app, imap_credential, imap_endpoint
from coffeechat.integrations.imap import Mailbox, connect
from tests.testbed import Mailbox as BedMailbox
from tests.testbed import world as bed

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path, mailbox: BedMailbox, monkeypatch: pytest.MonkeyPatch) -> App:
    """Settings pointing at the test mailbox; the password comes from an env reference."""
    monkeypatch.setenv("TEST_IMAP_PASSWORD", mailbox.password)
    settings = bed.settings(tmp_path, mailbox=mailbox, imap={"backfill_days": 30})
    return build_app(settings)


@pytest.fixture
def imap(app: App) -> Iterator[Mailbox]:
    """A logged-in session on the test mailbox, through our own IMAP edge."""
    assert app.settings.imap is not None
    cfg = app.settings.imap
    with connect(imap_endpoint(cfg), imap_credential(cfg)) as box:
        yield box
