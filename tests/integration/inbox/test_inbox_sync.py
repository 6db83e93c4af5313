"""Syncing a real Dovecot mailbox: backfill, increments, resets, drops, effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.integrations.imap import ConnectionDropped, Mailbox
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.moves import open_interview
from coffeechat.models.store.tables import (
    ContactEmail,
    EventLog,
    Interview,
    Meeting,
    Message,
    Outbox,
    SyncCursor,
)
from coffeechat.models.store.uow import UnitOfWork
from tests.integration.inbox.conftest import NOW
from tests.testbed import Mailbox as BedMailbox
from tests.testbed.world import record_outreach

OUTREACH_ID = "<outreach-1@coffeechat.example.net>"


def mail(
    sender: str,
    subject: str,
    body: str = "Hello",
    *,
    mid: str,
    to: str = "sam@example.net",
    extra: str = "",
    when: timedelta = timedelta(days=-1),
) -> bytes:
    """A small RFC 5322 message."""
    date = format_datetime(NOW + when)
    head = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n"
        f"Message-ID: {mid}\r\n{extra}MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return (head + body + "\r\n").encode()


def add_contact(app: App, name: str, address: str, *, requested: bool = True) -> int:
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        contact, _ = upsert_contact(
            uow, ContactRow(line=0, name=name, emails=(address,)), source="t", now=NOW
        )
        interview = open_interview(uow, contact, now=NOW)
        if requested:
            # The first contact of a fresh database is #1, so its outreach is OUTREACH_ID.
            mid = f"<outreach-{contact.id}@coffeechat.example.net>"
            record_outreach(uow, contact, interview, mid=mid, to=address,
                            sent_at=NOW - timedelta(days=3), rule="outbox")  # fmt: skip
        uow.commit()
        return interview.id


def state(app: App, interview_id: int) -> str:
    with app.factory() as s:
        row = s.get(Interview, interview_id)
        assert row is not None
        return row.state


def count(app: App, table: type, **where: object) -> int:
    with app.factory() as s:
        stmt = select(func.count()).select_from(table)
        for key, value in where.items():
            stmt = stmt.where(getattr(table, key) == value)
        return int(s.scalar(stmt) or 0)


def test_backfill_reply_is_recorded_and_read_flag_untouched(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    interview = add_contact(app, "Ada Lovelace", "ada@example.com")
    reply = mail(
        "Ada Lovelace <Ada@Example.com>",
        "Re: Coffee?",
        "Happy to chat! Also talk to bob@example.org.\r\n\r\n> Would you have time?",
        mid="<r1@example.com>",
        extra=f"In-Reply-To: {OUTREACH_ID}\r\nReferences: {OUTREACH_ID}\r\n",
    )
    mailbox.append(reply)
    mailbox.append(mail("news@shop.example", "Sale!", mid="<n1@shop.example>"))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert (report.new, report.stored, report.counted) == (2, 1, 1)
    assert state(app, interview) == "replied"
    assert "referral" in report.effects
    assert count(app, Message, direction="in") == 1  # the newsletter was counted, not kept
    assert all("\\Seen" not in m.flags for m in mailbox.messages("INBOX"))
    types = [e.type for e in report.events]
    assert "ReplyReceived" in types and "ReferralSuggested" in types


def test_incremental_nothing_new_and_no_double_processing(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    add_contact(app, "Ada Lovelace", "ada@example.com")
    mailbox.append(mail("ada@example.com", "Hi", mid="<a1@example.com>"))
    first = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    again = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=1))
    assert (first.new, again.new) == (1, 0)
    mailbox.append(mail("ada@example.com", "Again", mid="<a2@example.com>"))
    third = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=2))
    assert (third.new, third.stored) == (1, 1)
    assert count(app, Message, direction="in") == 2
    with app.factory() as s:
        cur = s.scalars(select(SyncCursor)).one()
        assert cur.last_uid == 2 and cur.last_success_at is not None


def test_mail_older_than_the_backfill_window_is_left_alone(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    add_contact(app, "Ada Lovelace", "ada@example.com")
    old = NOW - timedelta(days=60)
    mailbox.append(mail("ada@example.com", "Old", mid="<old@example.com>"), date=old)
    mailbox.append(mail("ada@example.com", "New", mid="<new@example.com>"))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert report.new == 1
    again = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert again.new == 0  # the cursor moved past the old message too


def test_uidvalidity_reset_rematches_and_refires_nothing(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    interview = add_contact(app, "Ada Lovelace", "ada@example.com")
    mailbox.append(
        mail(
            "ada@example.com",
            "Re: Coffee?",
            mid="<r1@example.com>",
            extra=f"In-Reply-To: {OUTREACH_ID}\r\n",
        )
    )
    sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    events_before = count(app, EventLog)
    imap.close()
    old_validity = mailbox.uidvalidity("INBOX")
    mailbox.recreate_folder("INBOX")
    assert mailbox.uidvalidity("INBOX") != old_validity
    from coffeechat.flows.steps.app import imap_credential, imap_endpoint
    from coffeechat.integrations.imap import connect

    assert app.settings.imap is not None
    with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
        report = sync_folder(app, box, "INBOX", outgoing=False, now=NOW + timedelta(hours=1))
    assert report.uidvalidity_changed and report.already_known == 1 and report.stored == 0
    assert count(app, EventLog) == events_before
    assert state(app, interview) == "replied"


def test_connection_dropped_mid_fetch_then_next_run_completes(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    add_contact(app, "Ada Lovelace", "ada@example.com")
    mailbox.seed_maildir(
        [mail("ada@example.com", f"m{i}", mid=f"<m{i}@example.com>") for i in range(30)]
    )
    mailbox.server.kill_server()
    with pytest.raises(ConnectionDropped):
        sync_folder(app, imap, "INBOX", outgoing=False, now=NOW, chunk=10)
    mailbox.server.restart()
    from coffeechat.flows.steps.app import imap_credential, imap_endpoint
    from coffeechat.integrations.imap import connect

    assert app.settings.imap is not None
    with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
        sync_folder(app, box, "INBOX", outgoing=False, now=NOW, chunk=10)
        again = sync_folder(app, box, "INBOX", outgoing=False, now=NOW)
    assert count(app, Message, direction="in") == 30 and again.new == 0


def test_sent_folder_outreach_starts_the_interview(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    interview = add_contact(app, "Grace Hopper", "grace@example.com", requested=False)
    sent = mail(
        "Sam Seeker <sam@example.net>",
        "Coffee next week?",
        mid="<phone-1@example.net>",
        to="grace@example.com",
    )
    mailbox.append(sent, folder="Sent", flags=("\\Seen",))
    report = sync_folder(app, imap, "Sent", outgoing=True, now=NOW)
    assert report.effects == ["outreach"]
    assert state(app, interview) == "requested"
    mailbox.append(
        mail(
            "grace@example.com",
            "Re: Coffee next week?",
            mid="<g1@example.com>",
            extra="In-Reply-To: <phone-1@example.net>\r\n",
        )
    )
    sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert state(app, interview) == "replied"


def test_auto_reply_pauses_and_bounce_flags_the_address(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    ooo = add_contact(app, "Out Office", "ooo@example.com")
    gone = add_contact(app, "Gone Person", "gone@example.com")
    mailbox.append(
        mail(
            "ooo@example.com",
            "Automatic reply: Coffee?",
            "I am out of the office until 3 December 2026.",
            mid="<o1@example.com>",
            extra="Auto-Submitted: auto-replied\r\n",
        )
    )
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\nTo: sam@example.net\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.example.net>\r\n"
        f"Date: {format_datetime(NOW)}\r\nX-Failed-Recipients: gone@example.com\r\n"
        "Content-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message "
        "could not be delivered to one or more recipients.\r\n\r\n<gone@example.com>: "
        "host mx.example.com said: 550 5.1.1 User unknown\r\n"
    ).encode()
    mailbox.append(bounce)
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert state(app, ooo) == "requested"  # an auto-reply is not a reply
    assert state(app, gone) == "undeliverable"
    assert sorted(report.effects) == ["auto-reply", "bounce"]
    with app.factory() as s:
        paused = s.get(Interview, ooo)
        assert paused is not None and paused.paused_until is not None
        # "until 3 December" reads as back on the 4th: midnight there, in Paris time.
        back = datetime(2026, 12, 4, tzinfo=ZoneInfo("Europe/Paris"))
        assert paused.paused_until == back
        status = s.scalars(
            select(ContactEmail.status).where(ContactEmail.address == "gone@example.com")
        ).one()
        assert status == "bounced"
    assert count(app, Outbox) == 0


def itip(method: str, *, seq: int, status: str = "CONFIRMED") -> bytes:
    """An Outlook-style invitation from the contact, with the method in the body."""
    ics = (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0//EN\r\n"
        f"METHOD:{method}\r\nBEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008-ada\r\n"
        f"SEQUENCE:{seq}\r\nDTSTAMP:2026111{seq}T100000Z\r\n"
        "DTSTART;TZID=W. Europe Standard Time:20261124T100000\r\n"
        "DTEND;TZID=W. Europe Standard Time:20261124T103000\r\n"
        f"SUMMARY:Coffee chat\r\nSTATUS:{status}\r\nORGANIZER;CN=Ada:mailto:ada@example.com\r\n"
        "ATTENDEE;CN=Sam:mailto:sam@example.net\r\n"
        "LOCATION:https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    head = (
        f"From: Ada Lovelace <ada@example.com>\r\nTo: sam@example.net\r\n"
        f"Subject: {'Canceled' if method == 'CANCEL' else 'Invitation'}: Coffee chat\r\n"
        f"Date: {format_datetime(NOW)}\r\nMessage-ID: <itip-{method}-{seq}@example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nJoin me for coffee.\r\n"
        f"--b1\r\nContent-Type: text/calendar; charset=utf-8; method={method}\r\n\r\n"
    )
    return (head + ics + "--b1--\r\n").encode()


def test_emailed_invitation_then_cancellation(app: App, imap: Mailbox, mailbox: BedMailbox) -> None:
    interview = add_contact(app, "Ada Lovelace", "ada@example.com")
    mailbox.append(itip("REQUEST", seq=0))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert "meeting-scheduled" in report.effects and state(app, interview) == "scheduled"
    with app.factory() as s:
        meeting = s.scalars(select(Meeting)).one()
        # W. Europe Standard Time is Berlin: 10:00 there on 24 Nov is 09:00 UTC.
        assert meeting.start_utc == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
        assert meeting.video_link and meeting.video_link.startswith("https://teams.microsoft")
    mailbox.append(itip("CANCEL", seq=1, status="CANCELLED"))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=5))
    assert "meeting-cancelled" in report.effects and state(app, interview) == "replied"
