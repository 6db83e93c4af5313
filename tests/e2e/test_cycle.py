"""A whole cycle over the real servers: reply, meeting, prep sheet, reschedule, thank-you.

Dovecot holds the user's mailbox, aiosmtpd delivers what we send into it, the calendar is an
ICS feed on loopback; time is injected. What must hold: exactly one prep sheet per meeting
version in the user's mailbox, exactly one thank-you to the contact in the outreach thread.
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
from coffeechat.models.store.tables import Interview
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed import world as bed
from tests.testbed.dovecot import Mailbox as BedMailbox

USER = bed.USER
ADA = "ada@example.com"
OUTREACH = "<outreach-ada@example.net>"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris


def event(start: str, end: str, seq: int = 0) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:coffee-ada\r\n"
        f"SEQUENCE:{seq}\r\nDTSTAMP:20261120T100000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
        "SUMMARY:Coffee with Ada\r\nLOCATION:Café Central\r\n"
        f"ORGANIZER:mailto:{USER}\r\nATTENDEE:mailto:{ADA}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.fixture
def app(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> App:
    monkeypatch.setenv("E2E_IMAP_PASSWORD", mailbox.password)
    monkeypatch.setenv("E2E_SMTP_PASSWORD", smtp.password)
    smtp.deliver_to(mailbox)  # what we send lands in the (user's) mailbox, like a real server
    app = build_app(
        bed.settings(
            tmp_path, mailbox=mailbox, relay=smtp, feed_url=ics_http_server.url,
            imap_env="E2E_IMAP_PASSWORD", smtp_env="E2E_SMTP_PASSWORD",
            account={"elevator_pitch": "Backend developer curious about developer relations."},
        )
    )  # fmt: skip
    bed.seed_outreach(app, "Ada Lovelace", ADA, mid=OUTREACH, sent_at=NOW - timedelta(days=5),
                        company="Engines Ltd")  # fmt: skip
    return app


def sync_inbox(app: App, now: datetime) -> None:
    assert app.settings.imap is not None
    with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
        sync_folder(app, box, "INBOX", outgoing=False, now=now)


def state(app: App) -> str:
    with app.factory() as s:
        return s.scalars(select(Interview.state)).one()


def received(smtp: SmtpServer, to: str) -> list[email.message.Message]:
    return [email.message_from_bytes(m.raw) for m in smtp.messages if to in m.rcpt_tos]


def test_reply_meeting_prep_reschedule_thank_you(
    app: App, mailbox: BedMailbox, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> None:
    mailbox.append(
        (
            f"From: Ada Lovelace <{ADA}>\r\nTo: {USER}\r\nSubject: Re: Coffee?\r\n"
            f"Date: {format_datetime(NOW - timedelta(days=1))}\r\n"
            "Message-ID: <ada-1@example.com>\r\n"
            f"In-Reply-To: {OUTREACH}\r\nReferences: {OUTREACH}\r\n\r\nTomorrow at 10?\r\n"
        ).encode()
    )
    sync_inbox(app, NOW)
    assert state(app) == "replied"

    # Tomorrow 10:00-10:30 Paris, booked now: inside the 24 h lead, so the sheet goes at once.
    ics_http_server.set_body(event("20261124T090000Z", "20261124T093000Z"))
    first = run_cycle(app, NOW)
    assert first.problems == [] and "prep-sheet" in first.labels
    sheets = received(smtp, USER)
    assert len(sheets) == 1 and sheets[0]["Subject"].startswith("Prep")
    assert state(app) == "prepped"
    assert run_cycle(app, NOW + timedelta(minutes=5)).sent == []  # nothing twice
    assert len(received(smtp, USER)) == 1

    # Moved by an hour: exactly one updated sheet.
    ics_http_server.set_body(event("20261124T100000Z", "20261124T103000Z", seq=1))
    moved = run_cycle(app, NOW + timedelta(minutes=10))
    assert "meeting-rescheduled" in moved.labels, moved
    # Now 25 h ahead: the updated sheet waits for the lead time, then goes once.
    assert len(received(smtp, USER)) == 1
    for minutes in (70, 75, 80):
        run_cycle(app, NOW + timedelta(minutes=minutes))
    sheets = received(smtp, USER)
    assert len(sheets) == 2 and "updated" in sheets[1]["Subject"].lower()

    # Meeting ends 11:30 Paris. No debrief answer comes, so the thank-you waits 20 h for one
    # (to 07:30 Paris) instead of going two hours later, and goes when the window opens at 08:00.
    run_cycle(app, datetime(2026, 11, 24, 12, 40, tzinfo=UTC))
    assert received(smtp, ADA) == []
    after = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    run_cycle(app, after)
    thanks = received(smtp, ADA)
    assert len(thanks) == 1
    assert thanks[0]["In-Reply-To"] == "<ada-1@example.com>"
    assert OUTREACH in thanks[0]["References"]
    assert thanks[0]["Subject"] == "Re: Coffee?"
    assert state(app) == "thanked"
    for later in (after + timedelta(hours=1), after + timedelta(hours=5)):
        run_cycle(app, later)
    assert len(received(smtp, ADA)) == 1  # and never again
