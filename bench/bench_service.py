"""``coffeechat run`` benchmarks: one real service process with its local Prefect server.

    python -m bench.bench_service [--tries 20] [--idle-minutes 10] [--big 500]

Dovecot, aiosmtpd and Radicale on loopback; the service is the real CLI in a child process.
(a) a reply APPENDed -> recorded and its pending nudge cancelled: median over --tries, beside
    Dovecot's own IDLE delay for the same APPEND (a plain client idling on INBOX).
(b) a meeting booked (CalDAV PUT) inside the prep lead time -> prep-sheet email received.
(c) idle for --idle-minutes: CPU % of one core and RSS, coffeechat's own process (with its
    classification child, if any) and the Prefect server separately; cycle flow runs made.
(d) Prefect task runs per cycle at two sizes (contacts and messages), from the Prefect API.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import load_settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import apply_event, open_interview
from coffeechat.models.store.tables import Message, Outbox
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import Calendar, Mailbox, RadicaleServer, SmtpServer
from tests.testbed.dovecot import DovecotServer
from tests.testbed.tls import TestbedCA

USER = "jo@bench.example"
LAUNCH = (
    "import sys; from coffeechat.deployments.cli import app, main, run_cmd; "
    "'run' in {c.name for c in app.registered_commands} or app.command('run')(run_cmd.run); "
    "sys.argv[0] = 'coffeechat'; main()"
)
TICK = os.sysconf("SC_CLK_TCK")


def write_config(root: Path, box: Mailbox, smtp: SmtpServer, cal: Calendar) -> Path:
    """A config for the service: Dovecot (plain, loopback), aiosmtpd, one CalDAV calendar."""
    config = root / "config.toml"
    config.write_text(
        f'data_dir = "{root / "data"}"\n'
        f'[account]\nname = "Jo"\nemail = "{USER}"\ntimezone = "Europe/Paris"\n'
        f'[imap]\nhost = "{box.host}"\nport = {box.port}\nsecurity = "plain"\n'
        f'allow_plaintext = true\nusername = "{box.user}"\npassword = "env:BENCH_IMAP_PW"\n'
        f'[smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "starttls"\n'
        f'ca_file = "{smtp.ca_path}"\nusername = "{smtp.username}"\n'
        f'password = "env:BENCH_SMTP_PW"\nsave_to_sent = "never"\n'
        f'[[calendars]]\nname = "work"\nkind = "caldav"\nurl = "{cal.url}"\n'
        f'username = "{cal.username}"\npassword = "env:BENCH_CAL_PW"\n'
    )
    return config


def seed(app: App, first: int, count: int) -> None:
    """Contacts first..first+count, written to ten days ago, each with a pending nudge."""
    now = datetime.now(UTC)
    sent = now - timedelta(days=10)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        for i in range(first, first + count):
            row = ContactRow(line=0, name=f"Contact {i}", emails=(f"c{i}@example.com",))
            contact, _ = upsert_contact(uow, row, source="bench", now=sent)
            interview = open_interview(uow, contact, now=sent)
            mid = f"<outreach-{i}@bench.example>"
            interview.outreach_message_id, interview.thread_subject = mid, "Coffee?"
            apply_event(uow, interview, Event.OUTREACH_SENT, now=sent)
            uow.session.add(
                Message(account_id=app.account_id, contact_id=contact.id,
                        interview_id=interview.id, message_id=mid, direction="out",
                        folder="Sent", from_addr=USER, to_addrs=[f"c{i}@example.com"],
                        subject="Coffee?", kind="human", rule="bench", date=sent,
                        recorded_at=sent)
            )  # fmt: skip
            uow.session.add(
                Outbox(account_id=app.account_id, interview_id=interview.id, kind="nudge",
                       occurrence="nudge:1", message_id=f"<nudge-{i}@bench.example>",
                       status="pending", mode="review", to_addr=f"c{i}@example.com",
                       subject="Re: Coffee?", body_text="Hello again", in_reply_to=mid,
                       references=[mid], not_before=now + timedelta(days=2), created_at=now)
            )  # fmt: skip
        uow.commit()


def reply(i: int, n: int = 0) -> bytes:
    """Contact i answering the outreach."""
    mid = f"<outreach-{i}@bench.example>"
    return (
        f"From: Contact {i} <c{i}@example.com>\r\nTo: {USER}\r\nSubject: Re: Coffee?\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\nMessage-ID: <r{i}-{n}@example.com>\r\n"
        f"In-Reply-To: {mid}\r\nReferences: {mid}\r\n\r\nGladly.\r\n"
    ).encode()


def bulk(i: int) -> bytes:
    """Newsletter mail nobody in the pipeline sent."""
    return (
        f"From: News <news@shop.example>\r\nTo: {USER}\r\nSubject: Offer {i}\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\nMessage-ID: <b{i}@shop.example>\r\n"
        "\r\nA sale.\r\n"
    ).encode()


def meeting(i: int, start: datetime) -> str:
    """A 30-minute meeting with contact i."""
    fmt = "%Y%m%dT%H%M%SZ"
    end = start + timedelta(minutes=30)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:bench-meeting-{i}\r\nDTSTAMP:{datetime.now(UTC):{fmt}}\r\n"
        f"DTSTART:{start:{fmt}}\r\nDTEND:{end:{fmt}}\r\nSUMMARY:Coffee with Contact {i}\r\n"
        f"ORGANIZER:mailto:{USER}\r\nATTENDEE:mailto:c{i}@example.com\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def wait_for(predicate: Callable[[], bool], timeout: float) -> float:
    """Seconds until predicate holds (polled every 10 ms); raise after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.01)
    raise TimeoutError(f"not within {timeout} s")


def nudge_status(app: App, i: int) -> str:
    """The status of contact i's nudge."""
    with app.factory() as s:
        mid = f"<nudge-{i}@bench.example>"
        return str(s.scalars(select(Outbox.status).where(Outbox.message_id == mid)).one())


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True)
    children: dict[int, list[int]] = {}
    for line in out.stdout.splitlines():
        p, pp = (int(x) for x in line.split())
        children.setdefault(pp, []).append(p)
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (threads included)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def rss_mb(pids: list[int]) -> float:
    """Resident memory of the processes, MB."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def split_tree(pid: int) -> tuple[list[int], list[int]]:
    """(coffeechat's own processes, the Prefect server's): the server is a child running prefect."""
    server: list[int] = []
    for child in tree(pid)[1:]:
        cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"prefect" in cmd and b"server" in cmd and child not in server:
            server += tree(child)
    return [p for p in tree(pid) if p not in server], server


class IdleProbe:
    """A plain IMAP client idling on INBOX: when Dovecot itself reports an APPEND (EXISTS)."""

    def __init__(self, box: Mailbox) -> None:
        self.client = box.connect()
        self.client.select("INBOX")
        self.seen: float | None = None
        self._thread: threading.Thread | None = None

    def arm(self) -> None:
        """Enter IDLE and wait in a thread for the next EXISTS."""
        self.seen = None
        tag = self.client._new_tag()
        self.client.send(tag + b" IDLE\r\n")
        assert self.client.readline().startswith(b"+")

        def wait() -> None:
            while b"EXISTS" not in self.client.readline():
                pass
            self.seen = time.monotonic()
            self.client.send(b"DONE\r\n")
            while not self.client.readline().startswith(tag):
                pass

        self._thread = threading.Thread(target=wait, daemon=True)
        self._thread.start()

    def delay(self, appended: float, timeout: float = 30) -> float:
        """Seconds from the APPEND to Dovecot's EXISTS."""
        assert self._thread is not None
        self._thread.join(timeout)
        assert self.seen is not None, "no EXISTS from Dovecot"
        return self.seen - appended


def flow_run_count(base: str) -> int:
    """Cycle flow runs, any state."""
    return int(api(base, "flow_runs/count", {"flows": {"name": {"any_": ["coffeechat-cycle"]}}}))


def api(base: str, path: str, body: dict[str, Any]) -> Any:
    """POST JSON to the Prefect API."""
    req = urllib.request.Request(  # noqa: S310 - our own loopback http URL
        f"{base}/{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
        return json.load(resp)


def task_runs_per_cycle(base: str, last: int = 3) -> list[int]:
    """Task runs of the last few completed cycle flow runs."""
    runs = api(base, "flow_runs/filter", {
        "flows": {"name": {"any_": ["coffeechat-cycle"]}},
        "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
        "sort": "START_TIME_DESC", "limit": last,
    })  # fmt: skip
    return [
        int(api(base, "task_runs/count", {"flow_runs": {"id": {"any_": [r["id"]]}}})) for r in runs
    ]


def main() -> None:
    """Start the test bed and the service; print the four figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--idle-minutes", type=float, default=10.0)
    parser.add_argument("--big", type=int, default=500, help="contacts at the large size")
    parser.add_argument("--cycle-seconds", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "ca").mkdir()
        ca = TestbedCA(root / "ca")
        dovecot, radicale = DovecotServer(ca.issue("dovecot")), RadicaleServer()
        smtp = SmtpServer(ca.issue("smtp"), root / "smtp.log")
        dovecot.start(), radicale.start(), smtp.start()
        try:
            run(root, dovecot.take_user(), smtp, radicale.new_calendar(), args)
        finally:
            smtp.stop(), radicale.close(), dovecot.close()


def run(root: Path, box: Mailbox, smtp: SmtpServer, cal: Calendar, ns: Any) -> None:
    """Measure (a)-(d) against one service process."""
    config = write_config(root, box, smtp, cal)
    secrets = {"BENCH_IMAP_PW": box.password, "BENCH_SMTP_PW": smtp.password}
    secrets["BENCH_CAL_PW"] = cal.password
    os.environ.update(secrets)
    app = build_app(load_settings(config))
    seed(app, 0, ns.tries)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COFFEECHAT_"))}
    log = open(root / "run.log", "wb")  # noqa: SIM115 - closed below
    argv = [sys.executable, "-c", LAUNCH, "--config", str(config), "run"]
    proc = subprocess.Popen([*argv, "--cycle-seconds", str(ns.cycle_seconds)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)  # fmt: skip
    try:
        output = lambda: (root / "run.log").read_text(errors="replace")  # noqa: E731
        started = time.monotonic()
        wait_for(lambda: "coffeechat running" in output(), 180)
        base = output().split("Prefect UI: ", 1)[1].split()[0] + "/api"
        wait_for(lambda: bool(task_runs_per_cycle(base, 1)), 120)
        print(f"service with Prefect server ready in {time.monotonic() - started:.1f} s")
        delays, idle_delays = [], []
        probe = IdleProbe(box)
        for i in range(ns.tries):
            time.sleep(0.5)
            probe.arm()
            time.sleep(0.1)  # the probe is in IDLE before the APPEND
            appended = time.monotonic()
            box.append(reply(i))
            delays.append(wait_for(lambda i=i: nudge_status(app, i) == "cancelled", 30))
            idle_delays.append(probe.delay(appended))
        probe.client.logout()
        print(f"(a) reply APPENDed -> recorded, nudge cancelled: median "
              f"{statistics.median(delays):.2f} s, max {max(delays):.2f} s over {len(delays)}; "
              f"Dovecot's own IDLE delay for the same APPENDs: median "
              f"{statistics.median(idle_delays):.2f} s, max {max(idle_delays):.2f} s "
              "(target: median within 0.1 s of Dovecot's)")  # fmt: skip
        start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=3)
        before = len(smtp.messages)
        time.sleep(5)  # the cycles the replies caused are over: the service is idle
        cal.put_event(meeting(0, start))
        took = wait_for(lambda: any(
            (m.raw.split(b"\r\n\r\n")[0].find(b"Subject: Prep") >= 0)
            for m in smtp.messages[before:]), 120)  # fmt: skip
        print(
            f"(b) meeting booked 3 h ahead (service idle) -> prep-sheet email: {took:.1f} s "
            f"(calendar polled every {ns.cycle_seconds:.0f} s; target < 60 s)"
        )
        small = task_runs_per_cycle(base)
        time.sleep(ns.cycle_seconds + 5)  # the cycle that followed the prep sheet is over
        own, server = split_tree(proc.pid)
        runs0, load0 = flow_run_count(base), os.getloadavg()
        own0, server0, t0 = cpu_seconds(own), cpu_seconds(server), time.monotonic()
        main_rss, child_rss, server_rss = [], [], []
        while time.monotonic() - t0 < ns.idle_minutes * 60:
            time.sleep(min(10.0, ns.idle_minutes * 60))
            own_now, server_now = split_tree(proc.pid)
            main_rss.append(rss_mb([proc.pid]))
            child_rss.append(rss_mb([p for p in own_now if p != proc.pid]))
            server_rss.append(rss_mb(server_now))
        span = time.monotonic() - t0
        own, server = split_tree(proc.pid)
        own_cpu = (cpu_seconds(own) - own0) / span * 100
        server_cpu = (cpu_seconds(server) - server0) / span * 100
        runs, load1 = flow_run_count(base) - runs0, os.getloadavg()
        total = max(a + b + c for a, b, c in zip(main_rss, child_rss, server_rss, strict=True))
        print(
            f"(c) idle {ns.idle_minutes:g} min, cycle flow runs made: {runs}; machine load "
            f"(1-min avg) {load0[0]:.2f} at start, {load1[0]:.2f} at end"
        )
        print(f"    coffeechat: CPU {own_cpu:.2f} % of one core ({len(own)} processes); RSS of "
              f"the `coffeechat run` process max {max(main_rss):.0f} MB, of its classification "
              f"child max {max(child_rss):.0f} MB (targets <= 0.5 %, <= 150 MB)")  # fmt: skip
        print(f"    Prefect server ({len(server)} processes): CPU {server_cpu:.2f} % of one core, "
              f"RSS max {max(server_rss):.0f} MB")  # fmt: skip
        print(f"    together: CPU {own_cpu + server_cpu:.2f} % of one core (target <= 2 %), "
              f"RSS max {total:.0f} MB")  # fmt: skip
        seed(app, ns.tries, ns.big)
        box.seed_maildir([bulk(i) for i in range(ns.big * 4)])
        for i in range(ns.tries, ns.tries + ns.big, max(1, ns.big // 50)):
            box.append(reply(i))
        time.sleep(ns.cycle_seconds * 3 + 5)
        large = task_runs_per_cycle(base)
        print(f"(d) task runs per cycle: {small} with {ns.tries} contacts; {large} with "
              f"{ns.tries + ns.big} contacts and {ns.big * 4 + ns.big // 50} more messages; "
              f"ratio {max(large) / max(1, max(small)):.2f}x (target: no growth)")  # fmt: skip
    finally:
        proc.send_signal(15)
        code = proc.wait(60)
        log.close()
        print(f"SIGTERM -> exit code {code}")


if __name__ == "__main__":
    main()
