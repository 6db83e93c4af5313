"""SIGKILL at random points of a whole cycle (inbox sync + run_cycle), again and again.

Each episode builds the scenario afresh, then runs the whole cycle in a forked child and kills
it after a random delay, several times in a row (later kills land in whatever recovery the
earlier ones left to do), then runs once more in this process at LATER (past the in-flight
limit, so recovery settles emails left in 'sending').

What must hold after every episode: the world equals the uninterrupted reference run (same
interview states, outbox, event log, stored messages, meetings and prep sheets), and the SMTP
server received every email exactly once (no Message-ID twice). The test bed's SMTP server files
what it accepts in Sent before answering, as Gmail does, so "accepted but not yet recorded" is
settled from Sent. One divergence is by design: an email killed after its claim but before the
server had all of it is not in Sent, so recovery marks it needs_review rather than guess; it
must then never have reached the server, and the world must equal the reference minus exactly
the effects of sending it (see world._EFFECTS_OF_SENDING).
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.reliability.world import (
    LATER,
    NOW,
    assert_like_reference,
    make_world,
    set_passwords,
    whole_cycle,
)
from tests.testbed import DovecotServer, IcsFeedServer, SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox

ROOT = Path(__file__).resolve().parents[2]
EPISODES = 10
KILLS_PER_EPISODE = 4


class Zygote:
    """The forking cycle process (cycle_child.py) and a reader of its output lines."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.cycle_child"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next(60) == "ready"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def next(self, timeout: float = 30) -> str:
        """The next output line; fails the test on a child's error."""
        line = self.lines.get(timeout=timeout)
        assert not line.startswith("error"), line
        return line

    def start(self, config: Path, now: datetime) -> int:
        """Fork one whole cycle; return the child's pid."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"run {config} {now.isoformat()}\n")
        self.process.stdin.flush()
        word, pid = self.next().split()[:2]
        assert word == "pid"
        return int(pid)

    def kill(self, pid: int) -> bool:
        """SIGKILL the child (never reaped before this, so the pid is ours); True if mid-work."""
        os.kill(pid, signal.SIGKILL)
        finished = False
        while not (line := self.next()).startswith(f"exit {pid}"):
            finished = finished or line == f"done {pid}"
        return not finished

    def until_done(self, pid: int) -> None:
        """Wait for the child to finish its cycle."""
        while self.next() != f"done {pid}":
            pass

    def close(self) -> None:
        """Ask the zygote to quit; kill it (only it, by pid) if it does not."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _episode_world(
    tmp_path: Path, n: int, mailbox: BedMailbox, smtp: SmtpServer, feed: IcsFeedServer
) -> tuple[Any, Path]:
    smtp.reset()
    world = make_world(tmp_path / f"ep{n}", mailbox, smtp, feed)
    config = tmp_path / f"ep{n}.json"
    config.write_text(world.settings.model_dump_json())
    return world, config


def test_sigkill_anywhere_in_a_cycle_changes_nothing_and_sends_nothing_twice(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    reference: dict[str, Any],
) -> None:
    started = time.monotonic()
    rng = random.Random(20261123)
    users = [dovecot.take_user() for _ in range(EPISODES + 1)]
    for user in users:  # before the zygote starts, so the children inherit the env: references
        set_passwords(user, smtp)
    zygote = Zygote()
    mid_work = reviews = 0
    try:
        # How long an uninterrupted cycle takes in a child: random kills land inside that span.
        _, config = _episode_world(tmp_path, 0, users[0], smtp, ics_http_server)
        t0 = time.monotonic()
        pid = zygote.start(config, NOW)
        zygote.until_done(pid)
        span = time.monotonic() - t0
        zygote.kill(pid)
        for n in range(1, EPISODES + 1):
            world, config = _episode_world(tmp_path, n, users[n], smtp, ics_http_server)
            for k in range(KILLS_PER_EPISODE):
                pid = zygote.start(config, NOW + timedelta(minutes=k))
                # Later cycles have less left to do than the first, measured one: aim inside
                # the earlier part of the span so most kills still land mid-work.
                time.sleep(rng.uniform(0.02, span * 0.8))
                mid_work += zygote.kill(pid)
            whole_cycle(world.app, LATER)
            reviews += len(assert_like_reference(world.app, smtp, reference, allow_review=True))
            world.app.factory.kw["bind"].dispose()
    finally:
        zygote.close()
    kills = EPISODES * KILLS_PER_EPISODE
    print(
        f"\nwhole-cycle SIGKILL: {kills} kills ({mid_work} mid-work) in "
        f"{EPISODES} episodes, {time.monotonic() - started:.1f}s; one cycle {span:.2f}s; "
        f"{reviews} emails left needs_review (killed before the server had them)"
    )
    # A guard on the test itself (kills after the cycle finished prove nothing); a third is
    # plenty, and a tighter bound made it flaky on a fast machine (19 of 40 once).
    assert mid_work >= kills // 3, "too few kills landed while the cycle was working"
