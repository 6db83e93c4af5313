"""``coffeechat demo``: the world started, the real sync and cycle run over it, the story told."""

from __future__ import annotations

import dataclasses
import http.client
import os
import shutil
import signal
import tempfile
import threading
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coffeechat.deployments.demo.summary import Summary, connection_help, summarize
from coffeechat.deployments.demo.telling import CONTINUED, step, tell
from coffeechat.deployments.demo.world import World, open_world
from coffeechat.flows.steps.app import utcnow
from coffeechat.integrations.config import ConfigError


def run_demo(
    console: Console,
    data_dir: Path | None = None,
    keep: bool = False,
    *,
    now: datetime | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    """Run the demo world end to end; print and return the summary.

    ``now``: the tests' clock (the story's anchor on a first run). ``until``: the last moment
    of the story to tell (sequel.timeline's keys; "today" is the first), None for all of it.
    """
    if data_dir is not None and _not_a_demo_dir(data_dir):
        raise ConfigError(
            f"{data_dir} holds a coffeechat database that is not the demo's: the demo would "
            "write its story into it; choose another --data-dir"
        )
    root = data_dir or Path(tempfile.mkdtemp(prefix="coffeechat-demo-"))
    # SIGTERM (a service manager, `kill`) stops the world as cleanly as Ctrl-C does. SIGINT is
    # handled here too, from the first step: Python leaves it ignored when the demo was
    # started with it ignored (`cmd &` in a script), and a stop asked for while the world
    # starts would otherwise be lost.
    handlers = _stop_on_signals()
    console.print(f"[bold]coffeechat demo[/bold] — data in {root}")  # tests wait for this line
    try:
        with ExitStack() as stack:
            with step(console, "starting IMAP + SMTP (pymap, aiosmtpd) and CalDAV (Radicale)"):
                world = open_world(root, stack, now)
            seeded = "story seeded: outreach went to five people 8 business days ago"
            console.print("  " + (seeded if world.fresh else CONTINUED))
            delivered = world.mail.deliveries
            now = now or utcnow()
            steps = tell(console, world, now, until)
            clock = world.progress.clock or now
            summary = summarize(world, clock)
            world.mail.save(world.mail_dir)  # now, not only at exit: --keep may end in a kill
            summary.steps = steps
            summary.sent_this_run = sum(s.get("sent", 0) for s in steps)
            summary.delivered_this_run = world.mail.deliveries - delivered
            summary.problems = [p for s in steps for p in s.get("problems", [])]
            print_summary(console, summary, temp=data_dir is None and not keep)
            if keep:
                _keep_running(console, world)
    except KeyboardInterrupt:
        # Ctrl-C before the story was told: the servers were closed by the ExitStack, the step
        # in progress rolled back; a stop that was asked for is not a failure.
        kept = f"its files stay in {root}" if data_dir is not None or keep else "nothing kept"
        console.print(f"stopped (Ctrl-C) before the end of the story; {kept}")
        return {"problems": [], "interrupted": True}
    finally:
        _restore(handlers)
        if data_dir is None and not keep:
            shutil.rmtree(root, ignore_errors=True)
    return dataclasses.asdict(summary)


def _not_a_demo_dir(path: Path) -> bool:
    return (path / "coffeechat.db").exists() and not (path / "world" / "story.json").exists()


def print_summary(console: Console, s: Summary, *, temp: bool) -> None:
    """The story, as the user should read it: what was found, then who got what and why."""
    console.rule("what coffeechat found")
    table = Table("from", "detected as", "rule", "note", box=None, pad_edge=False)
    for d in s.detected:
        note = f"back on {d['return_date']:%a %d %b}" if d["return_date"] else d["relation"] or ""
        table.add_row(d["contact"], d["kind"], d["rule"], note)
    console.print(table)
    for r in s.referrals:
        status = {"approved": "accepted", "dismissed": "declined"}.get(r["status"], r["status"])
        console.print(f"referral from {r['introducer']}: {r['name'] or r['address']} ({status})")
    for sheet in s.prep_sheets:
        gone = "  [dim](deleted at exit: use --data-dir or --keep to keep it)[/dim]" if temp else ""
        console.print(f"prep sheet: {sheet['path']} (email to you: {sheet['email']}){gone}")
    console.rule("what coffeechat sent, to whom, and why")
    for line in s.sent:
        console.print(f"{line['when']}  to {escape(line['to'])}: {escape(line['why'])}")
        if line["quote"]:
            console.print(f"        “{escape(line['quote'])}”", style="italic")
    console.print(
        f"[dim]mail to your contacts goes out in the send window ({s.window}, the default); "
        "prep sheets and debrief requests, which are for you, go at once[/dim]"
    )
    n = s.nudge
    if n and n["status"] == "draft":
        console.print(
            f"nudge to {n['to']}: waiting in your Drafts for approval (review mode, "
            f"the default): `coffeechat approve {n['id']}` sends it"
        )
    elif n:
        console.print(
            f"nudge to {n['to']}: {n['status']}, due {n['not_before']} "
            "(nudges go out on weekdays only, inside the send window; then it waits in Drafts)"
        )
    stages = ", ".join(f"{stage} {count}" for stage, count in s.stages.items())
    console.print(f"pipeline: {stages}")
    console.print(f"this run: {s.sent_this_run} sent, {s.delivered_this_run} delivered by SMTP")


def _keep_running(console: Console, world: World) -> None:
    console.rule("the world keeps running (Ctrl-C stops it)")
    table = Table(box=None, show_header=False)
    for what, how in connection_help(world):
        table.add_row(what, how)
    ui = _prefect_ui()
    table.add_row(
        "Prefect UI",
        ui
        or "no Prefect server found (the demo calls the flow code "
        "directly; `coffeechat run` starts one)",
    )
    console.print(table)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print(f"stopping the demo world; its files stay in {world.root}")


def _stop_on_signals() -> dict[int, Any]:
    """Make SIGINT and SIGTERM raise KeyboardInterrupt; the previous handlers, to restore."""
    if threading.current_thread() is not threading.main_thread():
        return {}  # signals reach only the main thread (a test may run the demo elsewhere)
    return {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}


def _restore(handlers: dict[int, Any]) -> None:
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _prefect_ui() -> str | None:
    """The UI of a configured or default local Prefect server, if one answers."""
    api = os.environ.get("PREFECT_API_URL", "http://127.0.0.1:4200/api").rstrip("/")
    host_port = api.split("://", 1)[-1].split("/", 1)[0]
    connection = http.client.HTTPConnection(host_port, timeout=0.5)
    try:
        connection.request("GET", "/api/health")
        ok = connection.getresponse().status == 200
    except OSError:
        ok = False
    finally:
        connection.close()
    return api.removesuffix("/api") if ok else None
