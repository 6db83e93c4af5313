"""``coffeechat run`` as a real process: a reply APPENDed is recorded at once, SIGTERM is clean.

The service watches Dovecot with IDLE, sends through aiosmtpd, and (in the slower test) keeps
a local Prefect server beside it that must be gone once the service has exited.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import load_settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.moves import open_interview
from coffeechat.models.store.tables import Interview, Outbox
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import Mailbox as BedMailbox
from tests.testbed import SmtpServer
from tests.testbed import world as bed

USER = "sam@example.net"
ADA = "ada@example.com"
OUTREACH = "<outreach-ada@example.net>"
# Registers connect/run if deployments/cli/__init__.py does not yet, then runs the real CLI.
LAUNCH = (
    "import sys; from coffeechat.deployments.cli import app, main, run_cmd, connect_cmd; "
    "names = {c.name for c in app.registered_commands}; "
    "'run' in names or app.command('run')(run_cmd.run); "
    "'connect' in names or app.command('connect')(connect_cmd.connect); "
    "sys.argv[0] = 'coffeechat'; main()"
)


def write_config(tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer) -> Path:
    return bed.write_config(
        tmp_path / "config.toml", tmp_path / "data", mailbox=mailbox, relay=smtp,
        imap_env="SVC_IMAP_PW", smtp_env="SVC_SMTP_PW",
    )  # fmt: skip


def seed_requested_with_pending_nudge(app: App, now: datetime) -> int:
    """Ada was written to ten days ago; a nudge waits (review mode) for tomorrow."""
    sent = now - timedelta(days=10)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        row = ContactRow(line=0, name="Ada Lovelace", emails=(ADA,), company="Engines Ltd")
        contact, _ = upsert_contact(uow, row, source="t", now=sent)
        interview = open_interview(uow, contact, now=sent)
        bed.record_outreach(uow, contact, interview, mid=OUTREACH, to=ADA, sent_at=sent)
        uow.session.add(
            Outbox(account_id=app.account_id, interview_id=interview.id, kind="nudge",
                   occurrence="nudge:1", message_id="<nudge-1@example.net>", status="pending",
                   mode="review", to_addr=ADA, subject="Re: Coffee?", body_text="Hello again",
                   in_reply_to=OUTREACH, references=[OUTREACH], not_before=now + timedelta(days=1),
                   created_at=now)
        )  # fmt: skip
        uow.commit()
        return interview.id


def reply(n: int = 1) -> bytes:
    return (
        f"From: Ada Lovelace <{ADA}>\r\nTo: {USER}\r\nSubject: Re: Coffee?\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\nMessage-ID: <ada-{n}@example.com>\r\n"
        f"In-Reply-To: {OUTREACH}\r\nReferences: {OUTREACH}\r\n\r\nHappy to chat!\r\n"
    ).encode()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


class Running:
    """A ``coffeechat run`` child process and the database it works on."""

    def __init__(self, config: Path, env: dict[str, str], *extra: str) -> None:
        self.log = config.parent / "run.log"
        self.out = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        argv = [sys.executable, "-c", LAUNCH, "--config", str(config), "run", "-v", *extra]
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT, env=env)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> tuple[int, float]:
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.out.close()
        return code, time.monotonic() - start


@pytest.fixture
def service_env(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer
) -> Iterator[tuple[Path, dict[str, str], App]]:
    config = write_config(tmp_path, mailbox, smtp)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COFFEECHAT_"))}
    env |= {"SVC_IMAP_PW": mailbox.password, "SVC_SMTP_PW": smtp.password}
    os.environ["SVC_IMAP_PW"] = mailbox.password  # for build_app's account row here
    try:
        yield config, env, build_app(load_settings(config))
    finally:
        os.environ.pop("SVC_IMAP_PW", None)


def interview_state(app: App) -> str:
    with app.factory() as s:
        return str(s.scalars(select(Interview.state)).one())


def nudge_status(app: App) -> str:
    with app.factory() as s:
        return str(s.scalars(select(Outbox.status).where(Outbox.kind == "nudge")).one())


def test_reply_recorded_and_nudge_cancelled_within_seconds_then_clean_sigterm(
    service_env: tuple[Path, dict[str, str], App], mailbox: BedMailbox
) -> None:
    config, env, app = service_env
    seed_requested_with_pending_nudge(app, datetime.now(UTC))
    running = Running(config, env, "--no-prefect-server")
    try:
        wait_for(lambda: "coffeechat running" in running.output(), 30, "service start")
        time.sleep(1.0)  # first sync done and IDLE entered
        mailbox.append(reply())
        took = wait_for(lambda: nudge_status(app) == "cancelled", 5, "reply recorded")
        assert interview_state(app) == "replied", running.output()
        print(f"reply -> nudge cancelled in {took:.2f} s")
    finally:
        code, took = running.stop()
    assert code == 0, running.output()
    assert took < 10
    assert "stopped cleanly" in running.output()
    assert mailbox.password not in running.output()


CYCLE_RUNS = {
    "flows": {"name": {"any_": ["coffeechat-cycle"]}},
    "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
}


def api_post(api: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(  # noqa: S310 - our own loopback http URL
        f"{api}/{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def reply_events(api: str) -> list[Any]:
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    found = api_post(
        api,
        "events/filter",
        {"filter": {"event": {"name": ["coffeechat.reply.received"]},
                    "occurred": {"since": since}}},
    )  # fmt: skip
    return list(found.get("events", []))


def _children(pid: int) -> set[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True)
    return {int(p) for p in found.stdout.split()}


@pytest.mark.slow
def test_with_its_own_prefect_server_which_is_gone_after_sigterm(
    service_env: tuple[Path, dict[str, str], App], mailbox: BedMailbox
) -> None:
    config, env, app = service_env
    seed_requested_with_pending_nudge(app, datetime.now(UTC))
    running = Running(config, env, "--cycle-seconds", "5")
    try:
        wait_for(lambda: "coffeechat running" in running.output(), 120, "server + service start")
        server = _children(running.proc.pid)
        assert server, "no Prefect server child"
        ui = running.output().split("Prefect UI: ", 1)[1].split()[0]
        api = ui + "/api"
        # The UI is told where its API is (on this random port, not Prefect's default 4200).
        with urllib.request.urlopen(ui + "/ui-settings", timeout=10) as answer:  # noqa: S310
            assert json.load(answer)["api_url"] == api
        wait_for(lambda: bool(api_post(api, "flow_runs/filter", CYCLE_RUNS)), 60, "a cycle run")
        mailbox.append(reply())
        wait_for(lambda: nudge_status(app) == "cancelled", 5, "reply recorded")
        wait_for(lambda: bool(reply_events(api)), 30, "reply event in Prefect")
    finally:
        code, took = running.stop(timeout=30)
    assert code == 0, running.output()
    assert took < 20
    for pid in server:
        assert not Path(f"/proc/{pid}").exists(), f"Prefect server {pid} outlived the service"
    assert mailbox.password not in running.output()
