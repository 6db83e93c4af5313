"""The debrief over the real servers: meeting ends, the user is asked, answers from a mail client.

Dovecot holds the user's mailbox, aiosmtpd delivers what we send into it (so the request lands
in the user's INBOX, as it would), the calendar is an ICS feed on loopback, time is injected.
What must hold: one request to the user's own address (never the contact) after the meeting;
the user's reply naming it is stored as the meeting's debrief, a stranger's reply naming it is
refused; a cancelled meeting gets no request; one reminder a day later, then silence.
"""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app, imap_credential, imap_endpoint
from coffeechat.flows.steps.cycle import run_cycle
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.integrations.imap import connect
from coffeechat.models.store.tables import Debrief, EventLog, Message, Promise, Referral
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed import world as bed
from tests.testbed.dovecot import Mailbox as BedMailbox

USER = bed.USER
ADA = "ada@example.com"
OUTREACH = "<outreach-ada@example.net>"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris
AFTER = datetime(2026, 11, 24, 12, 40, tzinfo=UTC)  # the meeting ended at 09:30 UTC
SUBJECT = "How did it go with Ada Lovelace?"


def event(status: str = "CONFIRMED", seq: int = 0) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:coffee-ada\r\n"
        f"SEQUENCE:{seq}\r\nSTATUS:{status}\r\nDTSTAMP:20261120T100000Z\r\n"
        "DTSTART:20261124T090000Z\r\nDTEND:20261124T093000Z\r\nSUMMARY:Coffee with Ada\r\n"
        f"ORGANIZER:mailto:{USER}\r\nATTENDEE:mailto:{ADA}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def make_app(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    monkeypatch: pytest.MonkeyPatch,
    **sections: object,
) -> App:
    """The account on the test bed, Ada's meeting known, the account connected."""
    monkeypatch.setenv("E2E_IMAP_PASSWORD", mailbox.password)
    monkeypatch.setenv("E2E_SMTP_PASSWORD", smtp.password)
    smtp.deliver_to(mailbox)
    app = build_app(
        bed.settings(
            tmp_path, mailbox=mailbox, relay=smtp, feed_url=ics_http_server.url,
            imap_env="E2E_IMAP_PASSWORD", smtp_env="E2E_SMTP_PASSWORD", **sections,
        )
    )  # fmt: skip
    bed.seed_outreach(app, "Ada Lovelace", ADA, mid=OUTREACH, sent_at=NOW - timedelta(days=5),
                        company="Engines Ltd")  # fmt: skip
    ics_http_server.set_body(event())
    run_cycle(app, NOW)
    return app


@pytest.fixture
def app(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> App:
    return make_app(tmp_path, mailbox, smtp, ics_http_server, monkeypatch)


def sync_inbox(app: App, now: datetime) -> None:
    assert app.settings.imap is not None
    with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
        sync_folder(app, box, "INBOX", outgoing=False, now=now)


def asked(smtp: SmtpServer) -> list[email.message.Message]:
    found = [email.message_from_bytes(m.raw) for m in smtp.messages if USER in m.rcpt_tos]
    return [m for m in found if "How did it go" in str(m["Subject"])]


def reply(sender: str, mid: str, parent: str, body: str, when: datetime) -> bytes:
    return (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: Re: {SUBJECT}\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: {mid}\r\n"
        f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")
    ).encode()


ANSWER = """What I learned: their team ships compilers weekly
Their advice: go to the community meetups
People to talk to: Charles Babbage <babbage@engines.example>
What I promised: send my portfolio
"""


def test_request_answered_by_the_user_stored_stranger_refused(
    app: App, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    run_cycle(app, AFTER)
    requests = asked(smtp)
    assert len(requests) == 1
    request = requests[0]
    assert request["Subject"] == SUBJECT and request["To"].endswith(f"<{USER}>")
    assert request["Auto-Submitted"] == "auto-generated"  # no vacation responder answers it
    assert not any(ADA in m.rcpt_tos and "How did it go" in str(m.raw) for m in smtp.messages)
    payload = request.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert "Their advice:" in body and "any form" in body
    parent = request["Message-ID"]

    mailbox.append(reply("Eve <eve@example.org>", "<eve-1@example.org>", parent,
                         "People to talk to: Mallory <mallory@evil.example>\n",
                         AFTER + timedelta(hours=1)))  # fmt: skip
    mailbox.append(reply(f"Sam Seeker <{USER}>", "<sam-answer-1@example.net>", parent, ANSWER,
                         AFTER + timedelta(hours=2)))  # fmt: skip
    sync_inbox(app, AFTER + timedelta(hours=3))

    with app.factory() as s:
        (debrief,) = s.scalars(select(Debrief)).all()
        assert debrief.source_message_id == "<sam-answer-1@example.net>"
        assert debrief.fields["advice"] == ["go to the community meetups"]
        assert [p.text for p in s.scalars(select(Promise))] == ["send my portfolio"]
        addresses = {r.address for r in s.scalars(select(Referral))}
        assert "mallory@evil.example" not in addresses
        refused = s.scalars(select(EventLog).where(EventLog.type == "DebriefRefused")).all()
        assert [e.payload["message_id"] for e in refused] == ["<eve-1@example.org>"]
        # The user's answer is no reply from Ada.
        answer = s.scalars(
            select(Message).where(Message.message_id == "<sam-answer-1@example.net>")
        ).one()
        assert answer.contact_id is None and "debrief" in answer.flags

    # Answered: no reminder, ever.
    for later in (AFTER + timedelta(hours=26), AFTER + timedelta(hours=50)):
        run_cycle(app, later)
    assert len(asked(smtp)) == 1


def test_one_reminder_in_the_same_thread_then_silence(app: App, smtp: SmtpServer) -> None:
    run_cycle(app, AFTER)
    run_cycle(app, AFTER + timedelta(hours=23))
    assert len(asked(smtp)) == 1
    run_cycle(app, AFTER + timedelta(hours=24, minutes=5))
    first, second = asked(smtp)
    assert second["Subject"] == f"Re: {SUBJECT}"
    assert second["In-Reply-To"] == first["Message-ID"]
    for later in (AFTER + timedelta(hours=50), AFTER + timedelta(days=5)):
        run_cycle(app, later)
    assert len(asked(smtp)) == 2


def test_no_request_for_a_cancelled_meeting(
    app: App, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> None:
    ics_http_server.set_body(event("CANCELLED", seq=1))
    run_cycle(app, NOW + timedelta(hours=1))
    for later in (AFTER, AFTER + timedelta(hours=30)):
        run_cycle(app, later)
    assert asked(smtp) == []


def test_an_html_only_answer_from_webmail_is_read(
    app: App, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    run_cycle(app, AFTER)
    (request,) = asked(smtp)
    html = (
        "<html><body><div>Their advice: ask about the <b>on-call</b> rota</div>"
        "<div>What they offered: an intro to Charles</div>"
        "<blockquote>What I learned:</blockquote></body></html>"
    )
    raw = (
        f"From: {USER}\r\nTo: {USER}\r\nSubject: Re: {SUBJECT}\r\n"
        f"Date: {format_datetime(AFTER + timedelta(hours=1))}\r\n"
        f"Message-ID: <webmail-1@example.net>\r\nIn-Reply-To: {request['Message-ID']}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n"
    ).encode()
    mailbox.append(raw)
    sync_inbox(app, AFTER + timedelta(hours=2))
    with app.factory() as s:
        (debrief,) = s.scalars(select(Debrief)).all()
        assert debrief.fields["advice"] == ["ask about the on-call rota"]
        assert debrief.fields["offers"] == ["an intro to Charles"]


def test_turned_off_nothing_is_asked(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(tmp_path, mailbox, smtp, ics_http_server, monkeypatch,
                   debrief={"enabled": False})  # fmt: skip
    for later in (AFTER, AFTER + timedelta(hours=30)):
        run_cycle(app, later)
    assert asked(smtp) == []
    assert any(ADA in m.rcpt_tos for m in smtp.messages)  # the thank-you still went


def test_the_daily_cap_holds_mail_to_contacts_not_the_request(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(tmp_path, mailbox, smtp, ics_http_server, monkeypatch,
                   cadence={"daily_cap": 0})  # fmt: skip
    run_cycle(app, AFTER)
    assert len(asked(smtp)) == 1  # to the user's own address: no contact's inbox to protect
    assert not any(ADA in m.rcpt_tos for m in smtp.messages)  # the thank-you waits
