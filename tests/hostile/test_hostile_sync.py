"""Every hostile shape through a real sync: Dovecot, the classification child, the database.

Each mail shape is made relevant (it answers our outreach to Ada, so the sync fetches and
classifies it instead of only counting it), each calendar shape arrives as an emailed
invitation from a stranger, and Ada's real reply comes after all of them. One poll must
record that reply, account for every hostile message, and move the cursor past them all;
the next poll finds nothing to do.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

from sqlalchemy import func, select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.integrations.imap import Mailbox
from coffeechat.models.store.tables import Interview, Message, SyncCursor
from tests.hostile import calendar_shapes, mail_shapes
from tests.integration.poison.conftest import ADA, NOW, OUTREACH, USER, ada_reply
from tests.integration.poison.test_poison_sync import add_ada
from tests.testbed import Mailbox as BedMailbox


def _in_our_thread(raw: bytes, name: str) -> bytes:
    """The shape as Ada's answer in our thread, under a Message-ID of its own.

    The shapes share one sender and one Message-ID; left so, every shape after the first
    would be "already known" and never classified or applied.
    """
    raw = raw.replace(b"jane@example.com", ADA.encode())
    raw = raw.replace(b"<hostile@example.com>", f"<{name}@hostile.example>".encode(), 1)
    return f"In-Reply-To: {OUTREACH}\r\nX-Hostile-Shape: {name}\r\n".encode() + raw


def _invitation(ics: bytes, name: str) -> bytes:
    """A calendar shape as a stranger's emailed invitation (fetched: calendar subject)."""
    head = (
        f"From: Eve <eve@stranger.example>\r\nTo: {USER}\r\nSubject: Invitation: {name}\r\n"
        f"Date: {format_datetime(NOW - timedelta(days=1))}\r\n"
        f"Message-ID: <cal-{name}@stranger.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n"
    )
    return head.encode() + ics


def test_every_hostile_shape_in_inbox_and_the_reply_after_them_in_one_poll(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    interview_id = add_ada(app)
    hostile = [_in_our_thread(raw, name) for name, raw in mail_shapes.shapes()]
    hostile += [_invitation(ics, name) for name, ics in calendar_shapes.shapes()]
    assert len(hostile) >= 60
    mailbox.seed_maildir(hostile)
    mailbox.append(ada_reply(1))

    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)

    assert report.new == len(hostile) + 1
    accounted = report.stored + report.counted + report.already_known + report.unreadable
    assert accounted == report.new, report
    with app.factory() as s:
        reply = s.scalars(select(Message).where(Message.message_id == "<ada-1@example.com>"))
        assert [(m.kind, m.relation) for m in reply] == [("human", "reply")]
        assert s.get(Interview, interview_id).state == "replied"  # type: ignore[union-attr]
        cursor = s.scalars(select(SyncCursor).where(SyncCursor.source == "INBOX")).one()
        inbound = select(func.count()).select_from(Message).where(Message.direction == "in")
        stored = s.scalar(inbound)
    # A fresh folder numbers its messages from 1: the cursor is past every one of them.
    assert cursor.last_uid == report.new
    assert stored and cursor.last_error == ""

    again = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=1))
    assert (again.new, again.stored, again.unreadable) == (0, 0, 0)
