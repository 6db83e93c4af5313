"""Inbox benchmarks against a loopback Dovecot, each against a baseline measured in the same run.

    python -m bench.bench_inbox [--messages 10000] [--big 100000] [--tries 20] [--rounds 7]
                                [--every 50] [--only ingest|memory|idle]

1. Ingest N new messages (fetch, classify, record) vs raw imaplib UID FETCH 1:* (BODY.PEEK[HEADER])
   of the same mailbox on the same server: --rounds rounds, each one baseline fetch and one sync
   from empty (fresh process, fresh database), their order alternating, after one warm-up of each;
   medians reported. This machine is shared, so single runs swing by 2x.
2. Peak memory of a whole sync at N and at the big size (each in a fresh process).
3. A poll that finds nothing new on the big folder vs on a 1,000-message folder.
4. IDLE push: an APPENDed reply recorded in the database, median over --tries.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app, imap_credential, imap_endpoint
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.flows.steps.watcher import InboxWatcher
from coffeechat.integrations.config import Settings
from coffeechat.integrations.imap import connect
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import apply_event, open_interview
from coffeechat.models.store.tables import Message
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed.dovecot import DovecotServer, Mailbox
from tests.testbed.tls import TestbedCA

CONTACTS = 100
NOW = datetime.now(UTC)


DEFAULT_EVERY = 50  # one message in N is a reply from a contact, one in 2N an auto-reply
EVERY = DEFAULT_EVERY


def message(i: int) -> bytes:
    """One of a mix: replies from contacts, auto-replies, the rest bulk mail (see --every)."""
    when = format_datetime(NOW - timedelta(hours=1))
    if i % EVERY == 0:
        c = (i // EVERY) % CONTACTS
        head = (
            f"From: Contact {c} <contact{c}@example.com>\r\nSubject: Re: Coffee?\r\n"
            f"In-Reply-To: <outreach-{c}@bench.example>\r\n"
        )
        body = "Happy to talk next week.\r\n\r\n> Would you have time?\r\n"
    elif i % (2 * EVERY) == 1:
        c = (i // (2 * EVERY)) % CONTACTS
        head = (
            f"From: contact{c}@example.com\r\nSubject: Automatic reply: Coffee?\r\n"
            "Auto-Submitted: auto-replied\r\n"
        )
        body = "I am out of the office until Monday.\r\n"
    else:
        head = f"From: News {i % 37} <news{i % 37}@shop.example>\r\nSubject: Offer {i}\r\n"
        body = "Lots of words about a sale. " * 20 + "\r\n"
    return (
        f"{head}To: jo@bench.example\r\nDate: {when}\r\nMessage-ID: <m{i}@bench.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()


def make_app(root: Path, host: str, port: int, user: str, password: str) -> App:
    """An App on a fresh SQLite database, with contacts whose outreach went out."""
    os.environ["BENCH_IMAP_PASSWORD"] = password
    settings = Settings(
        data_dir=root,
        account={"name": "Jo", "email": "jo@bench.example", "timezone": "UTC"},
        imap={
            "host": host,
            "port": port,
            "security": "plain",
            "allow_plaintext": True,
            "username": user,
            "password": "env:BENCH_IMAP_PASSWORD",
        },
    )
    app = build_app(settings)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        for c in range(CONTACTS):
            row = ContactRow(line=0, name=f"Contact {c}", emails=(f"contact{c}@example.com",))
            contact, _ = upsert_contact(uow, row, source="bench", now=NOW)
            interview = open_interview(uow, contact, now=NOW)
            interview.outreach_message_id = f"<outreach-{c}@bench.example>"
            apply_event(uow, interview, Event.OUTREACH_SENT, now=NOW - timedelta(days=3))
            uow.session.add(
                Message(
                    account_id=app.account_id,
                    contact_id=contact.id,
                    interview_id=interview.id,
                    message_id=interview.outreach_message_id,
                    direction="out",
                    folder="Sent",
                    to_addrs=[f"contact{c}@example.com"],
                    kind="human",
                    rule="bench",
                    recorded_at=NOW,
                )
            )
        uow.commit()
    return app


def raw_header_fetch(host: str, port: int, user: str, password: str) -> float:
    """The baseline: plain imaplib, headers of every message, no parsing."""
    client = imaplib.IMAP4(host, port)
    client.login(user, password)
    client.select("INBOX", readonly=True)
    start = time.perf_counter()
    typ, _data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER])")
    elapsed = time.perf_counter() - start
    assert typ == "OK"
    client.logout()
    return elapsed


def child(args: argparse.Namespace) -> None:
    """Sync a seeded mailbox in this fresh process; print timings and peak memory as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), args.host, args.port, args.user, args.password)
        assert app.settings.imap is not None
        with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
            start, cpu = time.perf_counter(), time.process_time()
            report = sync_folder(app, box, "INBOX", outgoing=False, now=NOW)
            ingest, cpu = time.perf_counter() - start, time.process_time() - cpu
            polls: list[float] = []
            for _ in range(args.polls):
                start = time.perf_counter()
                sync_folder(app, box, "INBOX", outgoing=False, now=NOW)
                polls.append(time.perf_counter() - start)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            json.dumps(
                {
                    "ingest": ingest,
                    "cpu": cpu,
                    "stored": report.stored,
                    "new": report.new,
                    "poll_median": statistics.median(polls) if polls else 0.0,
                    "peak_mb": peak_mb,
                }
            )
        )


def seeded(server: DovecotServer, count: int) -> Mailbox:
    """A fresh user whose INBOX holds ``count`` messages of the mix."""
    box = server.take_user()
    box.seed_maildir(message(i) for i in range(count))
    return box


def run_child(box: Mailbox, polls: int = 20) -> dict[str, float]:
    """Sync box from empty in a separate process (fresh database); return its figures."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_inbox",
            "--child",
            "--every",
            str(EVERY),
            "--polls",
            str(polls),
            "--host",
            box.host,
            "--port",
            str(box.port),
            "--user",
            box.user,
            "--password",
            box.password,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def ingest_rounds(server: DovecotServer, count: int, rounds: int) -> list[dict[str, float]]:
    """Ours and raw per round on one mailbox: both warmed up once, then alternating order."""
    box = seeded(server, count)

    def raw() -> float:
        return raw_header_fetch(box.host, box.port, box.user, box.password)

    def ours() -> dict[str, float]:
        result = run_child(box, polls=0)
        # Every round must really ingest the whole mailbox into its fresh database.
        assert result["new"] == count, result
        return result

    # Dovecot builds its index and cache on the first look at a freshly written Maildir:
    # neither contender should pay for that alone.
    raw()
    ours()
    rows = []
    for n in range(rounds):
        if n % 2:
            theirs = raw()
            rows.append({**ours(), "raw": theirs})
        else:
            mine = ours()
            rows.append({**mine, "raw": raw()})
    return rows


def ingest_line(count: int, rows: list[dict[str, float]]) -> str:
    """The ingest figures: medians, spread and both ratios (and our CPU time, for context)."""
    ours, raws = [r["ingest"] for r in rows], [r["raw"] for r in rows]
    ratios = sorted(r["ingest"] / r["raw"] for r in rows)
    mid_ours, mid_raw = statistics.median(ours), statistics.median(raws)
    return (
        f"1. ingest {count} messages (stored {rows[0]['stored']:.0f}), {len(rows)} alternating "
        f"rounds: ours median {mid_ours:.2f} s ({min(ours):.2f}-{max(ours):.2f}; CPU median "
        f"{statistics.median(r['cpu'] for r in rows):.2f} s), raw header fetch median "
        f"{mid_raw:.2f} s ({min(raws):.2f}-{max(raws):.2f}); ratio of medians "
        f"{mid_ours / mid_raw:.2f}x, per-round ratios median {statistics.median(ratios):.2f}x "
        f"({ratios[0]:.2f}-{ratios[-1]:.2f}) (target <= 3x)"
    )


def idle_latency(server: DovecotServer, tries: int) -> list[float]:
    """Median delay from APPEND to the reply's row in the database, under the watcher."""
    box = server.take_user()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), box.host, box.port, box.user, box.password)
        stop = threading.Event()
        watcher = InboxWatcher(app, stop=stop, poll_seconds=3600)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        delays = []
        time.sleep(1.0)
        for n in range(tries):
            mid = f"<idle-{n}@bench.example>"
            raw = message(0).replace(b"<m0@bench.example>", mid.encode())
            time.sleep(0.3)
            start = time.perf_counter()
            box.append(raw)
            while True:
                with app.factory() as s:
                    if s.scalar(select(Message.id).where(Message.message_id == mid)):
                        break
                if time.perf_counter() - start > 30:
                    raise RuntimeError("reply never recorded")
                time.sleep(0.005)
            delays.append(time.perf_counter() - start)
        stop.set()
        thread.join(timeout=15)
    return delays


def main() -> None:
    """Run every inbox benchmark and print figures with their ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument(
        "--every",
        type=int,
        default=DEFAULT_EVERY,
        help="1 in N is a contact's reply (default 50: 3%% relevant)",
    )
    parser.add_argument("--rounds", type=int, default=7, help="ingest rounds (medians)")
    parser.add_argument(
        "--only", choices=("ingest", "memory", "idle"), help="run one measurement (memory: 2 and 3)"
    )
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    global EVERY
    EVERY = args.every
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = DovecotServer(TestbedCA(Path(tmp)).issue("dovecot"))
        server.start()
        try:
            report(server, args)
        finally:
            server.close()


def report(server: DovecotServer, args: argparse.Namespace) -> None:
    """Print the measurements asked for (all four by default)."""
    print(
        f"messages {args.messages}, every {args.every} ({150 / args.every:.2f}% relevant), "
        f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        flush=True,
    )
    if args.only in (None, "ingest"):
        rows = ingest_rounds(server, args.messages, args.rounds)
        print(ingest_line(args.messages, rows), flush=True)
    if args.only in (None, "memory"):
        small = run_child(seeded(server, args.messages))
        tiny = run_child(seeded(server, 1_000))
        big = run_child(seeded(server, args.big))
        print(
            f"2. peak memory: {small['peak_mb']:.0f} MB at {args.messages}, "
            f"{big['peak_mb']:.0f} MB at {args.big} (target < 300 MB, not growing)"
        )
        print(
            f"3. poll with nothing new: {big['poll_median'] * 1000:.1f} ms at {args.big}, "
            f"{tiny['poll_median'] * 1000:.1f} ms at 1000, ratio "
            f"{big['poll_median'] / tiny['poll_median']:.2f}x (target < 50 ms and <= 1.5x)",
            flush=True,
        )
    if args.only in (None, "idle"):
        delays = idle_latency(server, args.tries)
        print(
            f"4. IDLE push to database: median {statistics.median(delays) * 1000:.0f} ms, "
            f"max {max(delays) * 1000:.0f} ms over {len(delays)} (target median < 1 s; "
            "Dovecot itself waits ~0.5 s)"
        )
    print("finished, load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)


if __name__ == "__main__":
    main()
