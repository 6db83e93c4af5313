"""A message that defeats classification in INBOX: the next reply is recorded in the same poll.

Through the real sync against Dovecot and the real classification child; the poison is the
test hook (hooks.py) or the measured one, an emailed invitation that repeats every second.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.integrations.imap import Mailbox
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.tables import Interview, Meeting, Message, SyncCursor
from tests.integration.poison.conftest import (
    ADA,
    NOW,
    OUTREACH,
    ada_reply,
    message,
    secondly_invitation,
)
from tests.testbed import Mailbox as BedMailbox
from tests.testbed.world import seed_outreach


def add_ada(app: App) -> int:
    """Ada, written to three days ago (outreach OUTREACH), not yet answered."""
    seeded = seed_outreach(app, "Ada Lovelace", ADA, mid=OUTREACH, added_at=NOW,
                           sent_at=NOW - timedelta(days=3), rule="outbox")  # fmt: skip
    return seeded.interview_id


def inbound(app: App) -> dict[str, tuple[str, str]]:
    with app.factory() as s:
        rows = s.execute(
            select(Message.message_id, Message.kind, Message.rule).where(Message.direction == "in")
        ).all()
    return {mid: (kind, rule) for mid, kind, rule in rows}


def inbox_cursor(app: App) -> int:
    with app.factory() as s:
        cur = s.scalars(select(SyncCursor).where(SyncCursor.source == "INBOX")).one()
        return cur.last_uid


@pytest.mark.usefixtures("hooked")
def test_poison_then_reply_both_recorded_in_one_poll_and_never_reread(
    app: App, imap: Mailbox, mailbox: BedMailbox, poison_mark: Path
) -> None:
    mark = poison_mark
    interview = add_ada(app)
    mailbox.append(ada_reply(1, poison="spin"))  # Ada's first message defeats the classifier
    mailbox.append(message("news@shop.example", "Sale", "Buy", mid="<n1@shop.example>"))
    mailbox.append(ada_reply(2))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert (report.new, report.stored, report.unreadable) == (3, 2, 1)
    assert inbound(app) == {
        "<ada-1@example.com>": ("unreadable", "budget:cpu"),
        "<ada-2@example.com>": ("human", "human"),
    }
    with app.factory() as s:
        assert s.get(Interview, interview).state == "replied"  # type: ignore[union-attr]
        poisoned = s.scalars(select(Message).where(Message.kind == "unreadable")).one()
        assert poisoned.from_addr == ADA and poisoned.interview_id == interview
        assert "CPU budget" in poisoned.excerpt, poisoned.excerpt
        status = status_report(s, app.account_id, NOW)
    assert inbox_cursor(app) == 3
    assert status["unreadable"]["count"] == 1
    assert status["unreadable"]["latest"][0]["rule"] == "budget:cpu"

    # The next poll does not look at it again; a renumbered folder sees it as known, and does
    # not spend its budget on it again (the poison never reaches a child: no mark).
    assert mark.exists()
    mark.unlink()
    again = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=5))
    assert again.new == 0
    with app.factory() as s:
        s.execute(delete(SyncCursor).where(SyncCursor.source == "INBOX"))
        s.commit()
    backfill = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=10))
    assert (backfill.new, backfill.stored, backfill.already_known) == (3, 0, 2)
    assert len(inbound(app)) == 2 and inbox_cursor(app) == 3
    assert not mark.exists(), "the known unreadable message was classified again"


def test_an_invitation_repeating_every_second_does_not_stall_the_sync(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    interview = add_ada(app)
    mailbox.append(secondly_invitation())
    mailbox.append(ada_reply(1))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert report.new == 2
    assert inbound(app)["<ada-1@example.com>"] == ("human", "human")
    with app.factory() as s:
        assert s.get(Interview, interview).state == "replied"  # type: ignore[union-attr]
        assert s.scalars(select(Meeting)).all() == []
    assert inbox_cursor(app) == 2


@pytest.mark.usefixtures("hooked")
def test_a_poison_from_a_stranger_is_kept_too_when_it_passed_the_relevance_scan(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    add_ada(app)
    raw = message(
        "Eve <eve@stranger.example>",
        "Invitation: chat",
        "x",
        mid="<eve-1@stranger.example>",
        extra="X-Poison: memory\r\n",
    )
    mailbox.append(raw)
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert (report.new, report.unreadable) == (1, 1)
    with app.factory() as s:
        row = s.scalars(select(Message)).all()[-1]
    assert (row.kind, row.rule, row.contact_id) == ("unreadable", "budget:memory", None)
    assert (row.from_addr, row.subject) == ("eve@stranger.example", "Invitation: chat")
