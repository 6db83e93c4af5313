"""``coffeechat demo``: a self-contained world, run through the real domain code paths.

No account and no servers: a temporary SQLite database, five contacts to whom outreach went
out, and the mail and calendar they answered with. Each message goes through the same
classification and recording code the IMAP sync uses, and the calendar through the same
parser and matcher as a feed. (The full demo with local IMAP, SMTP and CalDAV servers and
the Prefect flows is tracked in the "Run it" issue.)
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from flows.app import App, build_app
from integrations.config import AccountConfig, Settings
from models.calendar import Window, parse_calendar
from models.classify import classify
from models.contact_import import ContactRow
from models.contacts import upsert_contact
from models.inbox import InboundItem, record_batch
from models.interviews import apply_event, open_interview
from models.lifecycle import Event
from models.meetings import apply_calendar, mark_ended
from models.status import status_report
from models.tables import Message
from models.uow import UnitOfWork

PEOPLE = [
    ("Ada Lovelace", "ada@analytical.example", "Analytical Engines", "Principal Engineer"),
    ("Grace Hopper", "grace@compilers.example", "Compilers Ltd", "Director"),
    ("Alan Kay", "alan@objects.example", "Objects Inc", "Fellow"),
    ("Nobody Here", "nobody@gone.example", "Vanished GmbH", "Manager"),
    ("Linus Slow", "linus@quiet.example", "Quiet Co", "Staff Engineer"),
]
ME = "jo@seeker.example"


def _mail(sender: str, subject: str, body: str, mid: str, when: datetime, extra: str = "") -> bytes:
    head = (
        f"From: {sender}\r\nTo: Jo Seeker <{ME}>\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: {mid}\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return (head + body + "\r\n").encode()


def _seed(app: App, now: datetime) -> dict[str, str]:
    outreach: dict[str, str] = {}
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        for i, (name, addr, company, role) in enumerate(PEOPLE):
            row = ContactRow(line=0, name=name, emails=(addr,), company=company, role=role)
            contact, _ = upsert_contact(uow, row, source="demo", now=now - timedelta(days=20))
            interview = open_interview(uow, contact, now=now - timedelta(days=20))
            mid = f"<outreach-{i}@seeker.example>"
            interview.outreach_message_id, interview.thread_subject = mid, "Coffee chat?"
            sent = now - timedelta(days=12)
            apply_event(uow, interview, Event.OUTREACH_SENT, now=sent)
            uow.session.add(
                Message(
                    account_id=app.account_id,
                    contact_id=contact.id,
                    interview_id=interview.id,
                    message_id=mid,
                    direction="out",
                    folder="Sent",
                    date=sent,
                    from_addr=ME,
                    to_addrs=[addr],
                    subject="Coffee chat?",
                    kind="human",
                    rule="demo",
                    recorded_at=sent,
                )
            )
            outreach[addr] = mid
        uow.commit()
    return outreach


def _inbox(outreach: dict[str, str], now: datetime) -> list[bytes]:
    ada, grace, alan = (p[1] for p in PEOPLE[:3])
    thread = f"In-Reply-To: {outreach[ada]}\r\nReferences: {outreach[ada]}\r\n"
    return [
        _mail(
            f"Ada Lovelace <{ada}>",
            "Re: Coffee chat?",
            "Happy to! Tomorrow at 10 works. You should also talk to babbage@engines.example."
            "\r\n\r\nOn Monday Jo wrote:\r\n> Would you have 20 minutes?",
            "<ada-1@analytical.example>",
            now - timedelta(days=3),
            thread,
        ),
        _mail(
            f"Grace Hopper <{grace}>",
            "Re: Coffee chat?",
            "Sure, see you Tuesday!",
            "<grace-1@compilers.example>",
            now - timedelta(days=6),
            f"In-Reply-To: {outreach[grace]}\r\n",
        ),
        _mail(
            f"Alan Kay <{alan}>",
            "Automatic reply: Coffee chat?",
            f"I am out of the office until {(now + timedelta(days=5)):%d %B %Y}.",
            "<alan-ooo@objects.example>",
            now - timedelta(days=11),
            "Auto-Submitted: auto-replied\r\n",
        ),
        _mail(
            "Mail Delivery System <MAILER-DAEMON@mx.seeker.example>",
            "Undelivered Mail Returned to Sender",
            "Your message could not be delivered.\r\n\r\n<nobody@gone.example>: 550 5.1.1 "
            "user unknown",
            "<bounce-1@mx.seeker.example>",
            now - timedelta(days=12),
            "X-Failed-Recipients: nobody@gone.example\r\n",
        ),
        _mail(
            "Deals <deals@shop.example>",
            "50% off",
            "Newsletter.",
            "<n1@shop.example>",
            now - timedelta(days=1),
        ),
    ]


def _calendar(now: datetime) -> str:
    def event(uid: str, start: datetime, minutes: int, who: str, what: str) -> str:
        end = start + timedelta(minutes=minutes)
        return (
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{now:%Y%m%dT%H%M%SZ}\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{end:%Y%m%dT%H%M%SZ}\r\n"
            f"SUMMARY:{what}\r\nLOCATION:https://meet.example.com/abc\r\n"
            f"ORGANIZER:mailto:{ME}\r\nATTENDEE:mailto:{who}\r\nEND:VEVENT\r\n"
        )

    tomorrow = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    ended = (now - timedelta(hours=2, minutes=30)).replace(second=0, microsecond=0)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//coffeechat demo//EN\r\n"
        + event("demo-ada", tomorrow, 30, PEOPLE[0][1], "Coffee with Ada")
        + event("demo-grace", ended, 30, PEOPLE[1][1], "Call with Grace")
        + event("demo-private", tomorrow, 60, "dentist@teeth.example", "Dentist")
        + "END:VCALENDAR\r\n"
    )


def run_demo(console: Console, data_dir: Path | None = None) -> dict[str, object]:
    """Build the demo world, run it through the domain, print and return the summary."""
    now = datetime.now(UTC)
    root = data_dir or Path(tempfile.mkdtemp(prefix="coffeechat-demo-"))
    account = AccountConfig(name="Jo Seeker", email=ME, timezone="Europe/London")
    settings = Settings(data_dir=root, account=account)
    app = build_app(settings)
    console.print(f"[bold]coffeechat demo[/bold] — data in {root}")
    outreach = _seed(app, now)
    console.print(f"  seeded {len(PEOPLE)} contacts with outreach sent 12 days ago")
    items = [
        InboundItem(
            uid=i + 1,
            verdict=classify(raw, today=now.date()),
            relevance="demo",
            raw_id_seed=raw[:200],
        )
        for i, raw in enumerate(_inbox(outreach, now))
    ]
    for item in items:
        console.print(
            f"  mail: {item.verdict.mail.subject[:40]:<40} -> "
            f"{item.verdict.kind.value} ({item.verdict.rule})"
        )
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        outcome = record_batch(
            uow,
            folder="INBOX",
            outgoing=False,
            uidvalidity=1,
            last_uid=len(items),
            items=items,
            counted=0,
            user_addresses=app.user_addresses,
            now=now,
        )
        window = Window(now - timedelta(days=14), now + timedelta(days=90))
        parsed = parse_calendar(_calendar(now), window, default_tz="Europe/London")
        effects = outcome.effects + apply_calendar(
            uow,
            source="demo-calendar",
            parsed=parsed,
            now=now,
            user_addresses=app.user_addresses,
            snapshot=True,
        )
        effects += mark_ended(uow, now)
        events = uow.commit()
    console.print(f"  effects: {', '.join(effects)}; {len(events)} events logged")
    with app.factory() as session:
        report = status_report(session, app.account_id, now)
    table = Table("stage", "interviews", title="pipeline")
    for stage, n in report["stages"].items():
        if n:
            table.add_row(stage, str(n))
    console.print(table)
    console.print("  no reply yet from Linus after 12 days: a nudge is due (sending: next issue)")
    return report
