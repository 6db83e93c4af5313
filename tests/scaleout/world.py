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

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import load_settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import apply_event, open_interview
from coffeechat.models.store.tables import Message
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import IcsFeedServer, Mailbox, SmtpServer

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


def _toml(value: str | Path | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))  # a JSON string of printable ASCII is a TOML basic string


def _table(name: str, values: dict[str, str | Path | int | bool]) -> str:
    return f"[{name}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in values.items())


def write_config(
    root: Path, seeker: Seeker, database_url: str, zone: str, smtp: SmtpServer
) -> None:
    """The account's own config file: one per account, one database for all."""
    box = seeker.mailbox
    seeker.config.parent.mkdir(parents=True, exist_ok=True)
    seeker.config.write_text(
        f"data_dir = {_toml(root / 'data' / seeker.slug)}\n"
        f"database_url = {_toml(database_url)}\n"
        + _table("account", {"slug": seeker.slug, "name": f"Seeker {seeker.slug}",
                             "email": seeker.email, "timezone": zone})
        + _table("imap", {"host": box.host, "port": box.port, "security": "plain",
                          "allow_plaintext": True, "username": box.user,
                          "password": f"env:{seeker.password_env}", "sent_folder": "Sent"})
        + _table("smtp", {"host": smtp.host, "port": smtp.port, "security": "starttls",
                          "ca_file": smtp.ca_path, "username": smtp.username,
                          "password": f"env:{SMTP_PASSWORD_ENV}", "save_to_sent": "always"})
        + "[[calendars]]\n"
        + "".join(f"{k} = {_toml(v)}\n" for k, v in
                  {"name": "work", "kind": "ics_url", "url": seeker.feed.url}.items()),
        encoding="utf-8",
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
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        row = ContactRow(line=0, name="Mentor", emails=(seeker.contact,), company="Acme")
        contact, _ = upsert_contact(uow, row, source="scaleout", now=sent)
        interview = open_interview(uow, contact, now=sent)
        interview.outreach_message_id, interview.thread_subject = seeker.outreach_id, "Coffee?"
        apply_event(uow, interview, Event.OUTREACH_SENT, now=sent)
        uow.session.add(
            Message(account_id=app.account_id, contact_id=contact.id, interview_id=interview.id,
                    message_id=seeker.outreach_id, direction="out", folder="Sent",
                    from_addr=seeker.email, to_addrs=[seeker.contact], subject="Coffee?",
                    kind="human", rule="scaleout", date=sent, recorded_at=sent)
        )  # fmt: skip
        uow.commit()


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
