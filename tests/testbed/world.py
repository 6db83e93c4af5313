"""The one test-world builder: an account's settings on the test bed and the records it starts with.

How a suite gets its world (suites import it as ``from tests.testbed import world as bed``):

- Settings. ``settings(data_dir, mailbox=..., relay=..., feed_url=...)`` is an account pointed at
  the test bed's servers: plain IMAP to Dovecot on loopback, STARTTLS to aiosmtpd trusting the
  test bed CA, one ICS feed called "work". Leave a server out and its section is left out.
  Passwords are ``env:`` references whose names the suite chooses (``imap_env=``, ``smtp_env=``)
  and sets itself (``monkeypatch.setenv``). Any other keyword is a section of the config: a dict
  is merged into the default one (``imap={"backfill_days": 30}``, ``smtp={"save_to_sent":
  "always"}``), anything else replaces it (``calendars=[...]``). ``config(...)`` is the same as a
  plain dict; ``write_config(path, ...)`` writes it as TOML for the CLI and the flows, and
  ``cli_account(monkeypatch, tmp_path, database_url, ...)`` also points the CLI's environment at
  it and at a fresh database.
- Records. ``seed_outreach(app, "Ada Lovelace", "ada@example.com", mid=..., sent_at=...)`` is a
  contact we wrote to: the contact, its interview moved to requested, and our outreach in Sent;
  ``replied_at=`` also records their answer. ``record_outreach`` does the last two steps in a
  unit of work the suite already holds (when it adds more to the same interview).
  ``seed_interview(app, name, address, at=..., events=[...])`` is a contact whose interview went
  through those lifecycle events, with no mail recorded.
- A world in the database alone (no servers; records in any state, the follow-up planner run as
  a flow would) is ``tests.testbed.records.planner_world(engine)``, on the ``engine`` fixture.
- The forked crash child is ``tests.testbed.zygote``; an SMTP server without TLS that speaks only
  XOAUTH2 is ``tests.testbed.bare_smtp``. Scenario worlds (tests/reliability, tests/simulation,
  tests/scaleout) build on these pieces and keep only their story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from coffeechat.deployments.demo.config import to_toml
from coffeechat.flows.steps.app import App
from coffeechat.integrations.config import Settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import apply_event, open_interview
from coffeechat.models.store.tables import Contact, Interview, Message
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed.dovecot import Mailbox
from tests.testbed.smtp import SmtpServer

USER = "sam@example.net"
USER_NAME = "Sam Seeker"


def imap_section(mailbox: Mailbox, env: str) -> dict[str, Any]:
    """Plain IMAP to the test bed user on loopback, its password read from ``env``."""
    return {
        "host": mailbox.host,
        "port": mailbox.port,
        "security": "plain",
        "allow_plaintext": True,
        "username": mailbox.user,
        "password": f"env:{env}",
    }


def smtp_section(smtp: SmtpServer, env: str) -> dict[str, Any]:
    """STARTTLS to the test bed's aiosmtpd trusting its CA; no copy saved to Sent."""
    return {
        "host": smtp.host,
        "port": smtp.port,
        "security": "starttls",
        "ca_file": str(smtp.ca_path),
        "username": smtp.username,
        "password": f"env:{env}",
        "save_to_sent": "never",
    }


def config(
    data_dir: Path | str | None,
    *,
    mailbox: Mailbox | None = None,
    relay: SmtpServer | None = None,
    feed_url: str | None = None,
    email: str = USER,
    name: str = USER_NAME,
    timezone: str = "Europe/Paris",
    imap_env: str = "TEST_IMAP_PASSWORD",
    smtp_env: str = "TEST_SMTP_PASSWORD",
    **sections: Any,
) -> dict[str, Any]:
    """An account's config as a dict: the servers given, then ``sections`` merged over them.

    Without a ``data_dir`` (None) the file leaves it to COFFEECHAT_DATA_DIR.
    """
    base: dict[str, Any] = {"account": {"name": name, "email": email, "timezone": timezone}}
    if data_dir is not None:
        base["data_dir"] = data_dir
    if mailbox is not None:
        base["imap"] = imap_section(mailbox, imap_env)
    if relay is not None:
        base["smtp"] = smtp_section(relay, smtp_env)
    if feed_url is not None:
        base["calendars"] = [{"name": "work", "kind": "ics_url", "url": feed_url}]
    return merged(base, sections)


def merged(base: Mapping[str, Any], sections: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with each section merged in (dict into dict) or replacing what was there."""
    out = dict(base)
    for key, value in sections.items():
        old = out.get(key)
        out[key] = {**old, **value} if isinstance(value, dict) and isinstance(old, dict) else value
    return out


def settings(data_dir: Path | str, **kwargs: Any) -> Settings:
    """``config(...)`` validated: the Settings an App is built from."""
    return Settings.model_validate(config(data_dir, **kwargs))


def write_config(path: Path, data_dir: Path | str | None, **kwargs: Any) -> Path:
    """``config(...)`` as the TOML file the CLI and the flows read (written like the demo's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(config(data_dir, **kwargs)), encoding="utf-8")
    return path


def cli_account(
    monkeypatch: pytest.MonkeyPatch, root: Path, database_url: str, **kwargs: Any
) -> Path:
    """A config file for the CLI (``config(None, ...)``), its data dir and database set by env."""
    path = write_config(root / "config.toml", None, **kwargs)
    monkeypatch.setenv("COFFEECHAT_DATABASE_URL", database_url)
    monkeypatch.setenv("COFFEECHAT_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("COFFEECHAT_CONFIG", str(path))
    return path


@dataclass(frozen=True)
class Seeded:
    """The ids of a seeded contact and its interview."""

    contact_id: int
    interview_id: int


def record_outreach(
    uow: UnitOfWork,
    contact: Contact,
    interview: Interview,
    *,
    mid: str,
    to: str,
    sent_at: datetime,
    subject: str = "Coffee?",
    sender: str = USER,
    rule: str = "test",
    **message: Any,
) -> None:
    """Our outreach to ``to``: the interview threads on ``mid`` (requested) and Sent holds it."""
    interview.outreach_message_id, interview.thread_subject = mid, subject
    apply_event(uow, interview, Event.OUTREACH_SENT, now=sent_at)
    uow.session.add(
        Message(account_id=contact.account_id, contact_id=contact.id, interview_id=interview.id,
                message_id=mid, direction="out", folder="Sent", from_addr=sender, to_addrs=[to],
                subject=subject, kind="human", rule=rule, date=sent_at, recorded_at=sent_at,
                **message)
    )  # fmt: skip


def seed_interview(
    app: App,
    name: str,
    *addresses: str,
    at: datetime,
    events: Sequence[Event] = (),
    company: str = "",
    source: str = "t",
) -> Seeded:
    """A contact and an interview, moved through ``events`` at ``at`` (no mail recorded)."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        row = ContactRow(line=0, name=name, emails=addresses, company=company)
        contact, _ = upsert_contact(uow, row, source=source, now=at)
        interview = open_interview(uow, contact, now=at)
        for event in events:
            apply_event(uow, interview, event, now=at)
        uow.commit()
        return Seeded(contact.id, interview.id)


def seed_outreach(
    app: App,
    name: str,
    *addresses: str,
    mid: str,
    sent_at: datetime,
    added_at: datetime | None = None,
    company: str = "",
    source: str = "t",
    replied_at: datetime | None = None,
    **outreach: Any,
) -> Seeded:
    """A contact we wrote to at their first address (see record_outreach); their ids.

    The contact and interview are created at ``added_at`` (default: ``sent_at``); with
    ``replied_at`` they answered then.
    """
    opened = added_at or sent_at
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        row = ContactRow(line=0, name=name, emails=addresses, company=company)
        contact, _ = upsert_contact(uow, row, source=source, now=opened)
        interview = open_interview(uow, contact, now=opened)
        record_outreach(uow, contact, interview, mid=mid, to=addresses[0], sent_at=sent_at,
                        **outreach)  # fmt: skip
        if replied_at is not None:
            apply_event(uow, interview, Event.REPLY_RECEIVED, now=replied_at)
        uow.commit()
        return Seeded(contact.id, interview.id)
