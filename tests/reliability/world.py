"""One small, known world on the real test bed, and a snapshot of what coffeechat made of it.

The scenario (NOW is Monday 23 Nov 2026, 10:00 in Paris) exercises every path a cycle has:

- Ada replied in the outreach thread and has a meeting tomorrow: replied -> scheduled, her
  prep sheet is made and mailed to the user (prepped).
- Bob had replied earlier; his meeting ended three hours ago: held, and the thank-you is due now
  (thanked).
- Cat answered with an out-of-office: still requested, paused until her return.
- Dan's address bounced: undeliverable.
- Eve asked not to be contacted: closed.
- A newsletter: counted, not kept.

Two emails go out over SMTP (the prep sheet to the user, the thank-you to Bob). The test bed's
SMTP server files a copy of what it accepts in the mailbox's Sent folder before answering 250,
like Gmail does, so start-up recovery can tell "went out" from "did not".

Fault tests compare the world after a fault and a recovery run against EXPECTED, which the
baseline test checks a clean run produces.
"""

from __future__ import annotations

import collections
import difflib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app, imap_credential, imap_endpoint
from coffeechat.flows.steps.cycle import CycleReport, run_cycle
from coffeechat.flows.steps.inbox import CHUNK, FolderReport, folder_plan, sync_folder
from coffeechat.integrations.config import Settings
from coffeechat.integrations.imap import connect
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.moves import open_interview
from coffeechat.models.store.tables import (
    Contact,
    EventLog,
    Interview,
    Meeting,
    Message,
    Outbox,
    PrepSheet,
)
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import IcsFeedServer, ReceivedMessage, SmtpServer
from tests.testbed import world as bed
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.world import merged, seed_outreach

USER = bed.USER
PITCH = "Backend developer curious about developer relations."
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris
LATER = NOW + timedelta(minutes=30)  # past the 10-minute "stale in-flight" limit of recovery
SETTLE = LATER + timedelta(minutes=5)  # one more cycle: copies sent at LATER are seen in Sent
SMTP_ENV = "RELIABILITY_SMTP_PASSWORD"

PEOPLE = {
    "Ada Lovelace": "ada@example.com",
    "Bob Babbage": "bob@example.org",
    "Cat Hopper": "cat@example.com",
    "Dan Dijkstra": "dan@example.com",
    "Eve Noether": "eve@example.com",
}


def outreach_id(name: str) -> str:
    """The Message-ID of the outreach we sent to ``name``."""
    return f"<outreach-{name.split()[0].lower()}@example.net>"


def event(uid: str, start: str, end: str, attendee: str, summary: str) -> str:
    """One VEVENT organised by the user."""
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSEQUENCE:0\r\nDTSTAMP:20261120T100000Z\r\n"
        f"DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\nLOCATION:Café Central\r\n"
        f"ORGANIZER:mailto:{USER}\r\nATTENDEE:mailto:{attendee}\r\nEND:VEVENT\r\n"
    )


def calendar_body(extra_events: str = "") -> str:
    """The feed: Ada tomorrow 10:00 Paris, Bob this morning 07:00-07:30 Paris (ended)."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//coffeechat reliability//EN\r\n"
        + event(
            "coffee-ada",
            "20261124T090000Z",
            "20261124T093000Z",
            PEOPLE["Ada Lovelace"],
            "Coffee with Ada",
        )
        + event(
            "coffee-bob",
            "20261123T060000Z",
            "20261123T063000Z",
            PEOPLE["Bob Babbage"],
            "Coffee with Bob",
        )
        + extra_events
        + "END:VCALENDAR\r\n"
    )


def mail(
    sender: str,
    subject: str,
    body: str,
    *,
    mid: str,
    extra: str = "",
    when: datetime = NOW - timedelta(hours=20),
) -> bytes:
    """A small RFC 5322 message to the user."""
    head = (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject}\r\nDate: {format_datetime(when)}\r\n"
        f"Message-ID: {mid}\r\n{extra}MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return (head + body + "\r\n").encode()


def in_thread(name: str) -> str:
    """Threading headers answering our outreach to ``name``."""
    ref = outreach_id(name)
    return f"In-Reply-To: {ref}\r\nReferences: {ref}\r\n"


def inbox_messages() -> list[bytes]:
    """What sits in the user's INBOX before the first sync."""
    return [
        mail(
            "Ada Lovelace <ada@example.com>",
            "Re: Coffee?",
            "Happy to! Tomorrow at 10?",
            mid="<ada-1@example.com>",
            extra=in_thread("Ada Lovelace"),
        ),
        mail(
            "Cat Hopper <cat@example.com>",
            "Automatic reply: Coffee?",
            "I am out of the office until 7 December 2026.",
            mid="<cat-ooo@example.com>",
            extra="Auto-Submitted: auto-replied\r\n" + in_thread("Cat Hopper"),
        ),
        (
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
            f"To: {USER}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: <bounce-dan@mx.example.net>\r\nDate: {format_datetime(NOW)}\r\n"
            "X-Failed-Recipients: dan@example.com\r\nContent-Type: text/plain\r\n\r\n"
            "Your message could not be delivered to one or more recipients.\r\n\r\n"
            "<dan@example.com>: host mx.example.com said: 550 5.1.1 User unknown\r\n"
        ).encode(),
        mail(
            "Eve Noether <eve@example.com>",
            "Re: Coffee?",
            "Please don't contact me again.",
            mid="<eve-1@example.com>",
            extra=in_thread("Eve Noether"),
        ),
        mail("Shop <news@shop.example>", "Sale!", "Everything must go.", mid="<n1@shop.example>"),
    ]


def imap_env(mailbox: BedMailbox) -> str:
    """The environment variable holding this mailbox's password (set by set_passwords)."""
    return f"RELIABILITY_IMAP_PASSWORD_{mailbox.user.upper()}"


def set_passwords(mailbox: BedMailbox, smtp: SmtpServer) -> None:
    """Put the passwords where the settings' env: references look (inherited by children)."""
    os.environ[imap_env(mailbox)] = mailbox.password
    os.environ[SMTP_ENV] = smtp.password


def settings(
    data_dir: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    feed_url: str,
    /,
    *,
    database_url: str | None = None,
    **overrides: Any,
) -> Settings:
    """The test bed world's settings with the user's pitch; ``overrides`` merged in by section."""
    # Each story counts what it sends to whom; asking the user for debriefs is a story of its
    # own (tests/e2e/test_debrief.py), kept out of these by default.
    base = {"account": {"elevator_pitch": PITCH}, "debrief": {"enabled": False}}
    sections = merged(base, overrides)
    return bed.settings(
        str(data_dir), mailbox=mailbox, relay=smtp, feed_url=feed_url,
        imap_env=imap_env(mailbox), smtp_env=SMTP_ENV, database_url=database_url, **sections,
    )  # fmt: skip


def seed_database(app: App) -> None:
    """Contacts, interviews and the outreach each was sent (Bob's reply already recorded)."""
    sent_at = NOW - timedelta(days=5)
    for name, address in PEOPLE.items():
        replied = sent_at + timedelta(days=1) if name == "Bob Babbage" else None
        seed_outreach(app, name, address, mid=outreach_id(name), sent_at=sent_at,
                      company="Engines Ltd", replied_at=replied)  # fmt: skip


def provider_files_sent_copy(smtp: SmtpServer, mailbox: BedMailbox) -> None:
    """Deliver what the server accepts to INBOX (as an MTA would) and file it in Sent first."""

    def deliver(message: ReceivedMessage) -> None:
        mailbox.append(message.raw, "Sent", flags=("\\Seen",))
        mailbox.append(message.raw, "INBOX")

    smtp.on_message(deliver)


@dataclass
class World:
    """The App, its servers and the settings it was built from."""

    app: App
    settings: Settings
    mailbox: BedMailbox
    smtp: SmtpServer


def make_world(
    data_dir: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    feed: IcsFeedServer,
    /,
    *,
    database_url: str | None = None,
    **overrides: Any,
) -> World:
    """Build the App on a fresh database, seed it, fill the mailbox and publish the calendar."""
    set_passwords(mailbox, smtp)
    cfg = settings(data_dir, mailbox, smtp, feed.url, database_url=database_url, **overrides)
    app = build_app(cfg)
    seed_database(app)
    mailbox.seed_maildir(inbox_messages(), date=NOW - timedelta(hours=20))
    feed.set_body(calendar_body())
    provider_files_sent_copy(smtp, mailbox)
    return World(app, cfg, mailbox, smtp)


def sync_mail(app: App, now: datetime, chunk: int = CHUNK) -> list[FolderReport]:
    """What the sync_inbox flow does, without Prefect (the same folder plan), in small chunks."""
    cfg = app.settings.imap
    assert cfg is not None
    with connect(imap_endpoint(cfg), imap_credential(cfg)) as box:
        return [
            sync_folder(app, box, folder, outgoing=outgoing, now=now, chunk=chunk)
            for folder, outgoing in folder_plan(app, box)
        ]


def whole_cycle(app: App, now: datetime) -> CycleReport:
    """Inbox sync, then everything run_cycle does."""
    sync_mail(app, now)
    return run_cycle(app, now)


def snapshot(app: App) -> dict[str, Any]:
    """Everything that must come out the same however the run was interrupted (no ids, no uuids)."""
    with app.factory() as s:
        names = dict(s.execute(select(Contact.id, Contact.name)).all())
        interviews = {
            names[c]: st for c, st in s.execute(select(Interview.contact_id, Interview.state))
        }
        iv_contact = dict(s.execute(select(Interview.id, Interview.contact_id)).all())
        outbox = sorted((r.kind, r.to_addr, r.subject, r.status) for r in s.scalars(select(Outbox)))
        events = collections.Counter(
            (e.type, names.get(e.contact_id or 0, "-")) for e in s.scalars(select(EventLog))
        )
        ours = set(s.scalars(select(Outbox.message_id)))
        messages = sorted(
            (m.direction, "<outbox>" if m.message_id in ours else m.message_id, m.kind)
            for m in s.scalars(select(Message))
        )
        meetings = sorted(
            (m.uid, m.status, m.version, names.get(m.contact_id or 0, "-"))
            for m in s.scalars(select(Meeting))
        )
        sheets = sorted(
            (names[iv_contact[p.interview_id or 0]], p.meeting_version, p.is_update)
            for p in s.scalars(select(PrepSheet))
        )
        paused = {
            names[i.contact_id]: i.paused_until is not None for i in s.scalars(select(Interview))
        }
    return {
        "interviews": interviews,
        "outbox": outbox,
        "events": sorted(f"{t} {n} x{k}" for (t, n), k in events.items()),
        "messages": messages,
        "meetings": meetings,
        "prep_sheets": sheets,
        "paused": paused,
    }


def describe(snap: dict[str, Any]) -> str:
    """A readable dump for assertion messages."""
    return json.dumps(snap, indent=1, default=str, sort_keys=True)


# What an email left in needs_review (interrupted before the server had it all, so never sent
# and never resent) takes away from the reference: the effects its sending would have had.
_EFFECTS_OF_SENDING: dict[str, dict[str, Any]] = {
    "prep_sheet": {
        "state": ("Ada Lovelace", "scheduled"),
        "events": [
            "EmailSent Ada Lovelace",
            "PrepSheetDelivered Ada Lovelace",
            "StateChanged Ada Lovelace",
        ],
        "messages": [],
    },
    "thank_you": {
        "state": ("Bob Babbage", "held"),
        "events": ["EmailSent Bob Babbage", "StateChanged Bob Babbage"],
        "messages": [["out", "<outbox>", "human"]],  # its copy in Sent, read by the next sync
    },
}


def _without_sending(reference: dict[str, Any], kinds: set[str]) -> dict[str, Any]:
    copy = json.dumps({k: v for k, v in reference.items() if k != "received"})
    expected: dict[str, Any] = json.loads(copy)
    for kind in kinds:
        effects = _EFFECTS_OF_SENDING[kind]
        name, state = effects["state"]
        expected["interviews"][name] = state
        expected["outbox"] = [
            [k, to, subject, "needs_review" if k == kind else status]
            for k, to, subject, status in expected["outbox"]
        ]
        counts: collections.Counter[str] = collections.Counter()
        for line in expected["events"]:
            label, _, times = line.rpartition(" x")
            counts[label] = int(times)
        for label in effects["events"]:
            counts[label] -= 1
        expected["events"] = sorted(f"{k} x{n}" for k, n in counts.items() if n > 0)
        for message in effects["messages"]:
            expected["messages"].remove(message)
    return expected


def assert_like_reference(
    app: App, smtp: SmtpServer, reference: dict[str, Any], *, allow_review: bool = False
) -> set[str]:
    """After one more cycle the state equals the uninterrupted run's; every email went once.

    With ``allow_review``, an email interrupted before the server had all of it may instead be
    needs_review, provided the server never received it; the reference then lacks exactly the
    effects of sending it.
    """
    whole_cycle(app, SETTLE)
    got = json.loads(json.dumps(snapshot(app)))
    review = {kind for kind, _, _, status in got["outbox"] if status == "needs_review"}
    assert allow_review or not review, f"needs_review: {review}"
    expected = _without_sending(reference, review)
    if review:
        with app.factory() as s:
            unsent = set(
                s.scalars(select(Outbox.message_id).where(Outbox.status == "needs_review"))
            )
        received = {m.message_id for m in smtp.messages}
        assert not unsent & received, "an email the server accepted was left needs_review"
    reference = {**reference, "received": reference["received"] - len(review)}
    diff = difflib.unified_diff(
        describe(expected).splitlines(), describe(got).splitlines(), "reference", "got", lineterm=""
    )
    assert got == expected, "differs from the reference run:\n" + "\n".join(diff)
    assert_each_sent_once(smtp, reference["received"])
    return review


def assert_each_sent_once(smtp: SmtpServer, count: int) -> None:
    """The SMTP server received ``count`` emails, no Message-ID twice."""
    ids = collections.Counter(m.message_id for m in smtp.messages)
    doubled = {mid: n for mid, n in ids.items() if n > 1}
    assert doubled == {}, f"sent more than once: {doubled}"
    assert len(ids) == count, f"expected {count} emails, got {sorted(map(str, ids))}"


def add_contact(
    app: App,
    name: str,
    addresses: tuple[str, ...],
    *,
    company: str = "Engines Ltd",
    replied: bool = False,
    subject: str = "Coffee?",
    planned: bool = False,
) -> str:
    """A contact we sent outreach to (at their first address); return the outreach Message-ID.

    With ``planned`` nothing was sent yet (the outreach will be found in the Sent folder).
    """
    sent_at = NOW - timedelta(days=5)
    if planned:
        with UnitOfWork(app.factory, account_id=app.account_id) as uow:
            row = ContactRow(line=0, name=name, emails=addresses, company=company)
            contact, _ = upsert_contact(uow, row, source="t", now=sent_at)
            open_interview(uow, contact, now=sent_at)
            uow.commit()
        return ""
    mid = f"<outreach-{abs(hash((name, addresses))):x}@example.net>"
    replied_at = sent_at + timedelta(days=1) if replied else None
    seed_outreach(app, name, *addresses, mid=mid, sent_at=sent_at, company=company,
                  subject=subject, replied_at=replied_at)  # fmt: skip
    return mid


def states(app: App) -> dict[str, str]:
    """Interview state by contact name."""
    with app.factory() as s:
        names = dict(s.execute(select(Contact.id, Contact.name)).all())
        return {names[c]: st for c, st in s.execute(select(Interview.contact_id, Interview.state))}
