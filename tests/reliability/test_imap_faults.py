"""IMAP faults under a whole cycle: the server killed mid-sync, the link cut mid-fetch, UIDs reset.

After each fault a later run must leave the world exactly as an uninterrupted run does (same
interview states, outbox, event log, stored messages, meetings, prep sheets), with every email
sent once: nothing lost, nothing doubled, no effect fired twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from coffeechat.flows.steps.inbox import UidValidityUnstable
from coffeechat.integrations.imap import ConnectionDropped
from coffeechat.models.store.tables import Message, SyncCursor
from tests.reliability.netfault import CuttingProxy
from tests.reliability.world import (
    LATER,
    NOW,
    assert_like_reference,
    make_world,
    snapshot,
    sync_mail,
    whole_cycle,
)
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox


def _inbound(app: Any) -> int:
    with app.factory() as s:
        return int(s.scalar(select(func.count()).where(Message.direction == "in")) or 0)


@pytest.mark.parametrize("after_commits", [4, 6])
def test_server_killed_in_the_middle_of_a_sync(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    reference: dict[str, Any],
    after_commits: int,
) -> None:
    """Dovecot SIGKILLed after some messages of INBOX were recorded (one message a chunk).

    Must hold: the sync fails with a retryable ConnectionDropped after recording some but not all
    messages; once the server is back the next run completes and the world equals the reference.
    """
    world = make_world(tmp_path, mailbox, smtp, ics_http_server)
    commits = 0

    def kill_after(_session: Session) -> None:
        nonlocal commits
        commits += 1
        if commits == after_commits:
            mailbox.server.kill_server()

    event.listen(world.app.factory, "after_commit", kill_after)
    try:
        with pytest.raises(ConnectionDropped) as caught:
            sync_mail(world.app, NOW, chunk=1)
        assert caught.value.transient
    finally:
        event.remove(world.app.factory, "after_commit", kill_after)
        mailbox.server.start()
    assert 0 < _inbound(world.app) < 4, "the kill did not land in the middle of the sync"
    whole_cycle(world.app, NOW)
    whole_cycle(world.app, LATER)
    assert_like_reference(world.app, smtp, reference)


def test_connection_cut_in_the_middle_of_a_message_body(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    reference: dict[str, Any],
) -> None:
    """The link drops 40 bytes into the first full-body literal of INBOX.

    Must hold: the sync fails with ConnectionDropped and records nothing of that chunk (a
    message half-read is never recorded as if whole); the next run completes like the reference.
    """
    proxy = CuttingProxy(mailbox.port)
    proxy.start()
    try:
        world = make_world(tmp_path, mailbox, smtp, ics_http_server, imap={"port": proxy.port})
        proxy.cut(b"BODY[]<0> {", 40)
        with pytest.raises(ConnectionDropped):
            sync_mail(world.app, NOW)
        assert proxy.cuts == 1
        assert _inbound(world.app) == 0
        whole_cycle(world.app, NOW)
        whole_cycle(world.app, LATER)
        assert_like_reference(world.app, smtp, reference)
    finally:
        proxy.close()


def test_uidvalidity_changes_rematch_and_refire_nothing(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    reference: dict[str, Any],
) -> None:
    """INBOX and Sent are re-created (new UIDVALIDITY, same mail) after a complete run.

    Must hold: each later sync notices the change and re-matches every message by Message-ID
    without storing, sending or logging anything again; after the fourth change in a row the
    folder is not synced any more and the cursor says why.
    """
    world = make_world(tmp_path, mailbox, smtp, ics_http_server)
    whole_cycle(world.app, NOW)
    whole_cycle(world.app, LATER)
    assert_like_reference(world.app, smtp, reference)
    before = mailbox.uidvalidity("INBOX")
    for change in range(1, 5):
        mailbox.recreate_folder("INBOX")
        mailbox.recreate_folder("Sent")
        if change < 4:
            reports = sync_mail(world.app, LATER)
            assert all(r.uidvalidity_changed and r.stored == 0 for r in reports), reports
            assert sum(r.already_known for r in reports) > 0
        else:
            with pytest.raises(UidValidityUnstable):
                sync_mail(world.app, LATER)
        whole_cycle_safe = snapshot(world.app)
        assert whole_cycle_safe == {k: v for k, v in reference.items() if k != "received"}
    assert mailbox.uidvalidity("INBOX") != before
    assert len(smtp.messages) == reference["received"]
    with world.app.factory() as s:
        errors = [c.last_error for c in s.scalars(select(SyncCursor)) if c.last_error]
    assert any("UIDVALIDITY changed 4 times" in e for e in errors), errors
