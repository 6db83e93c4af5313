"""The classification child: one message at a time, under budgets the kernel enforces.

Run as ``python -m coffeechat.flows.steps.classify_child SOCKET_FD`` by classify_worker.py, which
explains why. Per message: RLIMIT_CPU re-armed to CPU_SECONDS more than used so far (SIGXCPU
ends the process), an address-space limit set once at start (an allocation beyond it raises a
MemoryError, reported, after which the child exits), and an emailed invitation's calendar parsed
here too. Only the types below and the classifier are imported, to start fast.
"""

from __future__ import annotations

import importlib
import math
import mmap
import os
import resource
import signal
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from coffeechat.models.classify import Kind, Verdict, classify

if TYPE_CHECKING:  # the child imports the calendar parser on its first invitation (~45 ms)
    from coffeechat.models.calendar import ParsedCalendar

CPU_SECONDS = 3  # per message; a parser within its own budget needs well under 1 s
WALL_SECONDS = 60.0  # a child starved or blocked this long on one message is abandoned too
MEMORY_HEADROOM = 1 << 30  # address space a child may add to what it holds once started
MAX_OCCURRENCES = 2000  # an emailed invitation with more is no interview
FLUSH_SECONDS = 0.02  # answers are sent at least this often, and at the end of a batch
PROGRESS_BYTES = 8  # one unsigned 64-bit count: messages this child has started
# Tests only: "module:function" called in the child on each raw message before classifying,
# to stand in for an input that defeats the parsers.
HOOK_ENV = "COFFEECHAT_CLASSIFY_HOOK"


@dataclass(frozen=True)
class Job:
    """What classification of one chunk needs besides the messages."""

    today: date
    max_bytes: int
    zone: str
    window: tuple[datetime, datetime]  # an invitation's occurrences are looked for in it
    cpu_seconds: int = CPU_SECONDS
    wall_seconds: float = WALL_SECONDS
    hook: str | None = None
    trusted_authserv: frozenset[str] = frozenset()  # see coffeechat.models.classify.run_chain
    known_senders: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Classified:
    """A verdict, with an emailed invitation's calendar already parsed (under the budget)."""

    verdict: Verdict
    calendar: ParsedCalendar | None = None


@dataclass(frozen=True)
class Unreadable:
    """A message that could not be classified within its budget: ``rule`` says which one."""

    rule: str
    reason: str


Outcome = Classified | Unreadable


def child_main(fd: int, progress_fd: int) -> None:
    """Serve batches from the parent on socket ``fd`` until it closes it.

    Answers go back in groups (every FLUSH_SECONDS at most): one wake-up of the parent per
    message cost more than the pickling. Which message a dead child was on is still known:
    before each message the count of messages started is written to ``progress_fd``, shared
    memory the parent reads.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _limit_memory()
    conn = Connection(fd)
    progress = mmap.mmap(progress_fd, PROGRESS_BYTES)
    started = 0
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job, batch = conn.recv()
        except EOFError:
            return
        hook = _load_hook(job.hook)
        answers: list[Outcome] = []
        flushed = time.monotonic()
        for n, raw in enumerate(batch):
            started += 1
            struct.pack_into("<Q", progress, 0, started)
            kind, outcome = _one(raw, job, hook)
            answers.append(outcome)
            if kind == "fatal":
                conn.send((kind, answers))
                os._exit(3)
            if n + 1 == len(batch) or time.monotonic() - flushed >= FLUSH_SECONDS:
                conn.send(("answers", answers))
                answers, flushed = [], time.monotonic()


def _one(raw: bytes, job: Job, hook: Callable[[bytes], None] | None) -> tuple[str, Outcome]:
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = math.ceil(used.ru_utime + used.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (spent + job.cpu_seconds, hard))
    try:
        if hook is not None:
            hook(raw)
        verdict = classify(
            raw,
            today=job.today,
            max_bytes=job.max_bytes,
            trusted_authserv=job.trusted_authserv,
            known_senders=job.known_senders,
        )
        calendar = None
        if verdict.kind in (Kind.INVITATION, Kind.CANCELLATION) and verdict.mail.calendar:
            from coffeechat.models.calendar import Window, parse_calendar

            window = Window(*job.window)
            calendar = parse_calendar(verdict.mail.calendar, window, default_tz=job.zone)
            if len(calendar.occurrences) > MAX_OCCURRENCES:
                why = f"its calendar has over {MAX_OCCURRENCES} occurrences in the window"
                return "bad", Unreadable("budget:occurrences", why)
        return "ok", Classified(verdict, calendar)
    except MemoryError:
        why = f"over its memory budget ({MEMORY_HEADROOM >> 20} MB); abandoned"
        return "fatal", Unreadable("budget:memory", why)
    except Exception as err:  # classify never raises; a calendar or hook bug costs one message
        return "bad", Unreadable("failed", f"classification failed: {type(err).__name__}")


def _limit_memory() -> None:
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
    except OSError:  # no /proc (not Linux): the CPU and time budgets still hold
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = pages * resource.getpagesize() + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _load_hook(spec: str | None) -> Callable[[bytes], None] | None:
    if not spec:
        return None
    module, _, name = spec.partition(":")
    hook: Callable[[bytes], None] = getattr(importlib.import_module(module), name)
    return hook


if __name__ == "__main__":
    # Through the module's real name, so what the child pickles unpickles in the parent.
    from coffeechat.flows.steps.classify_child import child_main as _main

    _main(int(sys.argv[1]), int(sys.argv[2]))
