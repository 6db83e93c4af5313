"""Telling the story: each moment of the timeline in turn, on the simulated clock.

At a stop the mailbox is read and one cycle runs, exactly what the service does at that instant
(the clock is a parameter of every step); an act is the world or the user doing something. Each
moment done is saved, with the clock it reached, so a rerun in the same data dir replays nothing
and the clock never goes back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

from rich.console import Console
from rich.markup import escape

from coffeechat.deployments.demo.sequel import Moment, timeline
from coffeechat.deployments.demo.world import World
from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint
from coffeechat.flows.steps.cycle import CycleReport, run_cycle
from coffeechat.flows.steps.inbox import FolderReport, sync_account_mail
from coffeechat.integrations.config import ConfigError
from coffeechat.integrations.imap import connect

CONTINUED = "continuing the story in this dir"


@contextmanager
def step(console: Console, what: str) -> Iterator[None]:
    """Show ``what`` while it runs, then a tick and how long it took."""
    started = time.monotonic()
    with console.status(what):
        yield
    console.print(f"[green]✓[/green] {what} [dim]({time.monotonic() - started:.1f} s)[/dim]")


def sync_mail(app: App, now: datetime) -> list[FolderReport]:
    """Sent first, then INBOX: exactly what the sync_inbox flow runs."""
    cfg = app.settings.imap
    assert cfg is not None
    with connect(imap_endpoint(cfg), imap_credential(cfg)) as box:
        return sync_account_mail(app, box, now)


def pending(world: World, until: str | None) -> list[Moment]:
    """The moments still to tell, up to and including ``until`` (None: to the end)."""
    moments = timeline(world.story, world.app.settings)
    if until is not None:
        keys = [m.key for m in moments]
        if until not in keys:
            raise ConfigError(f"no moment {until!r} in the demo's story: {', '.join(keys)}")
        moments = moments[: keys.index(until) + 1]
    return [m for m in moments if m.key not in world.progress.done]


def tell(console: Console, world: World, now: datetime, until: str | None) -> list[dict[str, Any]]:
    """Tell what is left of the story (or, when all was told, one quiet stop); the steps."""
    clock = max(now, world.progress.clock or now)
    todo = pending(world, until)
    if not todo:
        todo = [Moment("again", clock, "where the story stopped")]
    steps = []
    for moment in todo:
        clock = max(clock, moment.at)
        world.mail.clock = clock
        before = len(world.mail.received)
        if moment.act is not None:
            console.print(
                f"  [cyan]→[/cyan] {_when(world, clock)} {escape(moment.act(world, clock))}"
            )
            record: dict[str, Any] = {"key": moment.key, "at": clock, "title": moment.title}
        else:
            record = _stop(console, world, moment, clock)
        record["smtp"] = [smtp_item(*r) for r in world.mail.received[before:]]
        steps.append(record)
        if moment.key != "again":
            world.progress.done.append(moment.key)
        world.progress.clock = clock
        world.save_progress()
    world.mail.clock = None  # a mail client on a kept world writes in real time
    return steps


def _when(world: World, at: datetime) -> str:
    return f"[dim]{at.astimezone(world.story.zone):%a %H:%M}[/dim]"


def _stop(console: Console, world: World, moment: Moment, clock: datetime) -> dict[str, Any]:
    local = f"{clock.astimezone(world.story.zone):%a %d %b %H:%M}"
    with step(console, f"{local} — {moment.title}: mail read, one cycle"):
        folders = sync_mail(world.app, clock)
        cycle = run_cycle(world.app, clock)
    if moment.key == "today":
        _print_folders(console, folders)
    _print_cycle(console, cycle)
    effects = [e for f in folders for e in f.effects]
    return {"key": moment.key, "at": clock, "title": moment.title,
            "labels": effects + list(cycle.labels), "sent": len(cycle.sent),
            "problems": list(cycle.problems)}  # fmt: skip


def _print_folders(console: Console, folders: list[FolderReport]) -> None:
    for r in folders:
        effects = ", ".join(sorted(set(r.effects), key=r.effects.index)) or "nothing new"
        console.print(
            f"  {r.folder}: {r.new} new, {r.stored} about your contacts, "
            f"{r.counted} ignored -> {effects}"
        )


def _print_cycle(console: Console, cycle: CycleReport) -> None:
    console.print(f"  {', '.join(cycle.labels) or 'nothing due'}; {len(cycle.sent)} sent")
    for problem in cycle.problems:
        console.print(f"  [red]problem:[/red] {escape(problem)}")


def smtp_item(sender: str, recipients: list[str], raw: bytes) -> dict[str, Any]:
    """One message as the SMTP server received it: envelope, threading headers, plain text."""
    message = BytesParser(policy=default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    return {
        "mail_from": sender,
        "rcpt_to": recipients,
        "from": str(message["From"] or ""),
        "to": str(message["To"] or ""),
        "subject": str(message["Subject"] or ""),
        "message_id": str(message["Message-ID"] or ""),
        "in_reply_to": str(message["In-Reply-To"] or ""),
        "references": str(message["References"] or ""),
        "text": str(body.get_content()) if body is not None else "",
    }
