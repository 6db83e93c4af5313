"""Fixtures of the reliability suite: the scenario world and its uninterrupted reference run."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.world import LATER, NOW, SETTLE, World, make_world, snapshot, whole_cycle
from tests.testbed import DovecotServer, IcsFeedServer, SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox


@pytest.fixture(scope="session")
def reference(dovecot: DovecotServer, smtp_server: SmtpServer) -> Iterator[dict[str, Any]]:
    """The snapshot of the scenario after an uninterrupted run at NOW and one at LATER."""
    if not dovecot.process.running:
        dovecot.start()
    smtp_server.reset()
    feed = IcsFeedServer()
    feed.start()
    data_dir = Path(tempfile.mkdtemp(prefix="coffeechat-reliability-ref-"))
    try:
        world = make_world(data_dir, dovecot.take_user(), smtp_server, feed)
        whole_cycle(world.app, NOW)
        whole_cycle(world.app, LATER)
        whole_cycle(world.app, SETTLE)
        received = [m.message_id for m in smtp_server.messages]
        snap = snapshot(world.app)
        snap["received"] = len(received)
        world.app.factory.kw["bind"].dispose()
        yield snap
    finally:
        smtp_server.reset()
        feed.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def world(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> World:
    """The scenario on a fresh SQLite database and a fresh mailbox, nothing synced yet."""
    return make_world(tmp_path / "data", mailbox, smtp, ics_http_server)
