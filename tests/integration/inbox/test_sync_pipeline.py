"""The next chunk's headers are asked for while this chunk is recorded: still nothing lost."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.integrations.imap import ConnectionDropped, Mailbox, connect
from coffeechat.models.store.tables import Message, SyncCursor
from tests.integration.inbox.conftest import NOW
from tests.integration.inbox.test_inbox_sync import add_contact, count, mail
from tests.testbed import Mailbox as BedMailbox


def test_server_killed_with_a_prefetch_in_flight(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    add_contact(app, "Ada Lovelace", "ada@example.com")
    mailbox.seed_maildir(
        [mail("ada@example.com", f"m{i}", mid=f"<m{i}@example.com>") for i in range(30)]
    )
    uids = imap.uids_after("INBOX", 0)
    cursors: list[int] = []

    def after_commit(_session: Session) -> None:
        # The first chunk is committed, and the second chunk's fetch is already on the wire.
        with app.factory() as s:
            last = s.scalar(select(SyncCursor.last_uid).where(SyncCursor.source == "INBOX"))
        if last and not cursors:
            cursors.append(last)
            mailbox.server.kill_server()

    event.listen(app.factory, "after_commit", after_commit)
    try:
        try:
            sync_folder(app, imap, "INBOX", outgoing=False, now=NOW, chunk=10)
            raise AssertionError("the sync went on without its server")
        except ConnectionDropped:
            pass
    finally:
        event.remove(app.factory, "after_commit", after_commit)
        mailbox.server.start()
    # Exactly the first chunk, and the cursor that covers it.
    assert cursors == [uids[9]]
    assert count(app, Message, direction="in") == 10
    assert app.settings.imap is not None
    with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
        report = sync_folder(app, box, "INBOX", outgoing=False, now=NOW, chunk=10)
        again = sync_folder(app, box, "INBOX", outgoing=False, now=NOW)
    assert report.stored == 20 and again.new == 0
    assert count(app, Message, direction="in") == 30
