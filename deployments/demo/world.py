"""Starting the demo world: mail and calendar servers, the story seeded once, the app built."""

from __future__ import annotations

import json
import os
import secrets
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coffeechat.deployments.demo.calendar_server import CalendarServer
from coffeechat.deployments.demo.config import SECRET_ENV, DemoSettings, demo_config, to_toml
from coffeechat.deployments.demo.mailserver import MailServer
from coffeechat.deployments.demo.story import (
    MAILBOXES,
    PEOPLE,
    Story,
    calendar_ics,
    local_zone,
    mailbox_seed,
)
from coffeechat.flows.steps.app import App, build_app
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.store.tables import Contact
from coffeechat.models.store.uow import UnitOfWork


@dataclass
class Progress:
    """How far the story went in this data dir: the moments done and the clock they reached."""

    done: list[str] = field(default_factory=list)
    clock: datetime | None = None


@dataclass
class World:
    """A running demo world and the coffeechat app configured for it."""

    root: Path
    story: Story
    fresh: bool
    password: str
    mail: MailServer
    calendar: CalendarServer
    app: App
    config_path: Path
    mail_dir: Path
    progress: Progress = field(default_factory=Progress)

    def save_progress(self) -> None:
        """Write the anchor and how far the story went (a rerun continues from there)."""
        clock = self.progress.clock.isoformat() if self.progress.clock else None
        data = {"anchor": self.story.anchor.isoformat(), "zone": self.story.zone.key,
                "done": self.progress.done, "clock": clock}  # fmt: skip
        (self.root / "world" / "story.json").write_text(json.dumps(data), encoding="utf-8")


def _story(root: Path, now: datetime) -> tuple[Story, bool, Progress]:
    saved = root / "story.json"
    if saved.exists():
        data = json.loads(saved.read_text(encoding="utf-8"))
        story = Story(datetime.fromisoformat(data["anchor"]), ZoneInfo(data["zone"]))
        clock = datetime.fromisoformat(data["clock"]) if data.get("clock") else None
        return story, False, Progress(list(data.get("done", [])), clock)
    return Story(now.replace(microsecond=0), ZoneInfo(local_zone())), True, Progress()


def open_world(data_dir: Path, stack: ExitStack, now: datetime | None = None) -> World:
    """Start everything (stopped by stack); seed the story unless this data dir has one."""
    root = data_dir / "world"
    root.mkdir(parents=True, exist_ok=True)
    story, fresh, progress = _story(root, now or datetime.now(UTC))
    # One password for every mailbox and the calendar, new each run, never written to disk.
    password = secrets.token_urlsafe(12)
    previous = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = password
    stack.callback(_restore_env, previous)
    calendar = CalendarServer(root / "calendar", "jo", password)
    calendar.start()  # Radicale's interpreter starts while the mail server is being set up
    stack.callback(calendar.stop)
    mail = MailServer()
    mail.start()
    stack.callback(mail.stop)
    for user in MAILBOXES:
        mail.add_user(user, password)
    saved_mail = root / "mail"
    if (saved_mail / "index.json").exists():
        mail.load(saved_mail)
    else:
        for user, folder, raw, when, flags in mailbox_seed(story):
            mail.append(user, folder, raw, when, flags)
    stack.callback(mail.save, saved_mail)  # runs before mail.stop (callbacks unwind in reverse)
    calendar.wait_ready()
    calendar_url = calendar.ensure_calendar("work")
    if fresh:
        calendar.put_calendar(calendar_url, calendar_ics(story))
    config = demo_config(
        data_dir, story.zone.key, mail.host, mail.imap_port, mail.smtp_port, calendar_url
    )
    config_path = root / "config.toml"
    config_path.write_text(to_toml(config), encoding="utf-8")
    app = build_app(DemoSettings.model_validate(config))
    _seed_contacts(app, story)
    world = World(
        data_dir, story, fresh, password, mail, calendar, app, config_path, saved_mail, progress
    )
    if fresh:
        world.save_progress()  # written last: a first run that failed halfway seeds again
    return world


def _restore_env(previous: str | None) -> None:
    if previous is None:
        os.environ.pop(SECRET_ENV, None)
    else:
        os.environ[SECRET_ENV] = previous


def _seed_contacts(app: App, story: Story) -> None:
    """The five people, as if imported from a LinkedIn export before the outreach went out."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        if uow.session.scalars(
            select(Contact.id).where(Contact.account_id == app.account_id)
        ).first():
            return
        for person in PEOPLE:
            row = ContactRow(
                line=0,
                name=person.name,
                emails=(person.address,),
                company=person.company,
                role=person.role,
                tags=person.tags,
            )
            upsert_contact(uow, row, source="demo", now=story.outreach_at)
        uow.commit()
