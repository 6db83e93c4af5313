"""Many job seekers in one PostgreSQL database, each with its own mailbox, calendar and config.

Every account is set up the way a careers adviser would set up a client: its own TOML config
(same ``database_url``, its own IMAP user, the shared SMTP relay, its own calendar feed and time
zone), secrets only as ``env:`` references. Each has one contact written to five days ago, a
reply waiting in its Dovecot INBOX, and a meeting that ended three hours ago in its ICS feed, so
one sync_inbox + dispatch owes exactly one thank-you per account.

Contacts are shared in pairs (account n and account n + half know the same person): the same
address in two accounts must get two thank-yous, each in its own account's thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import load_settings
from tests.testbed import IcsFeedServer, Mailbox, SmtpServer
from tests.testbed import world as bed

SMTP_PASSWORD_ENV = "SCALEOUT_SMTP_PASSWORD"


@dataclass(frozen=True)
class Seeker:
    """One account of the world and what it should end up with."""

    slug: str
    email: str
    contact: str
    outreach_id: str
    reply_id: str
    password_env: str
    config: Path
    mailbox: Mailbox
    feed: IcsFeedServer


def midday_zone(now: datetime, shift: int = 0) -> str:
    """An IANA zone where it is about noon now (+shift hours): the send window is open."""
    offset = 12 + shift - now.astimezone(UTC).hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    # POSIX sign: Etc/GMT-3 is three hours *ahead* of UTC.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def write_config(
    root: Path, seeker: Seeker, database_url: str, zone: str, smtp: SmtpServer
) -> None:
    """The account's own config file: one per account, one database for all."""
    bed.write_config(
        seeker.config, root / "data" / seeker.slug, mailbox=seeker.mailbox, relay=smtp,
        feed_url=seeker.feed.url, email=seeker.email, name=f"Seeker {seeker.slug}",
        timezone=zone, imap_env=seeker.password_env, smtp_env=SMTP_PASSWORD_ENV,
        database_url=database_url, account={"slug": seeker.slug},
        imap={"sent_folder": "Sent"}, smtp={"save_to_sent": "always"},
        # The story counts one thank-you per account; the debrief request to the user after
        # the meeting has its own tests (tests/e2e/test_debrief.py).
        debrief={"enabled": False},
    )  # fmt: skip


def meeting_ics(seeker: Seeker, start: datetime, end: datetime) -> str:
    """The account's calendar: one coffee with its contact."""
    stamp = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//scaleout//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:coffee-{seeker.slug}\r\nSEQUENCE:0\r\n"
        f"DTSTAMP:{(start - timedelta(days=1)).strftime(stamp)}\r\n"
        f"DTSTART:{start.strftime(stamp)}\r\nDTEND:{end.strftime(stamp)}\r\n"
        f"SUMMARY:Coffee ({seeker.slug})\r\nLOCATION:Cafe\r\n"
        f"ORGANIZER:mailto:{seeker.email}\r\nATTENDEE:mailto:{seeker.contact}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def reply_bytes(seeker: Seeker, sent: datetime) -> bytes:
    """The contact's answer to the outreach, as it lands in the account's INBOX."""
    return (
        f"From: Mentor <{seeker.contact}>\r\nTo: {seeker.email}\r\nSubject: Re: Coffee?\r\n"
        f"Date: {format_datetime(sent)}\r\nMessage-ID: {seeker.reply_id}\r\n"
        f"In-Reply-To: {seeker.outreach_id}\r\nReferences: {seeker.outreach_id}\r\n\r\n"
        f"Happy to chat, {seeker.slug}. Thursday works.\r\n"
    ).encode()


def seed_outreach(app: App, seeker: Seeker, sent: datetime) -> None:
    """The contact and the outreach already sent (state ``requested``), as after an import."""
    bed.seed_outreach(
        app, "Mentor", seeker.contact, mid=seeker.outreach_id, sent_at=sent, company="Acme",
        source="scaleout", rule="scaleout", sender=seeker.email,
    )  # fmt: skip


def build_world(
    root: Path,
    count: int,
    database_url: str,
    mailboxes: list[Mailbox],
    smtp: SmtpServer,
    now: datetime,
) -> tuple[list[Seeker], dict[str, str]]:
    """Create every account (config, DB rows, reply in IMAP, calendar feed); return env too."""
    env = {SMTP_PASSWORD_ENV: smtp.password}
    seekers: list[Seeker] = []
    for n, box in enumerate(mailboxes[:count], start=1):
        slug = f"client-{n:02d}"
        feed = IcsFeedServer()
        feed.start()
        seeker = Seeker(
            slug=slug,
            email=f"{slug}@seekers.example",
            contact=f"mentor-{(n - 1) % (count // 2) + 1:02d}@mentors.example",
            outreach_id=f"<outreach-{slug}@seekers.example>",
            reply_id=f"<reply-{slug}@mentors.example>",
            password_env=f"SCALEOUT_IMAP_PASSWORD_{n:02d}",
            config=root / "accounts" / f"{slug}.toml",
            mailbox=box,
            feed=feed,
        )
        seekers.append(seeker)
        env[seeker.password_env] = box.password
        write_config(root, seeker, database_url, midday_zone(now, shift=n % 3 - 1), smtp)
        feed.set_body(meeting_ics(seeker, now - timedelta(hours=3, minutes=30),
                                  now - timedelta(hours=3)))  # fmt: skip
        # Migrates the schema once and creates the account row, as `coffeechat` would.
        app = build_app(load_settings(seeker.config), slug)
        seed_outreach(app, seeker, now - timedelta(days=5))
        app.factory.kw["bind"].dispose()  # the workers' runs are what talk to it from now on
        box.append(reply_bytes(seeker, now - timedelta(days=1)))
    return seekers, env
