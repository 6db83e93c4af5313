"""Classifying a chunk's messages in a child process that can be abandoned.

A message that defeats a parser (a calendar that expands without end, a body that makes a
pattern backtrack) must not hold the sync, nor the service's stop, for good. So the messages a
chunk keeps are classified, and an emailed invitation's calendar parsed, in a child process: the
kernel ends it when one message has used its CPU budget (RLIMIT_CPU, re-armed per message), an
allocation beyond its address-space limit (RLIMIT_AS) raises a MemoryError it reports, and the
parent kills it after a wall-clock cap or when the service stops. The message a child died on
comes back as ``Unreadable`` with the reason; the rest of the chunk goes to a fresh child.

The child (flows/steps/classify_child.py) is a fresh interpreter, not a fork of the
threaded service, so no lock another thread held can hang it. One child per thread is kept
between chunks and started before the first headers are fetched, so the common path costs one
pickle round trip per chunk. See docs/poison-messages.md.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

from coffeechat.flows.steps.classify_child import (
    CPU_SECONDS,
    HOOK_ENV,
    MAX_OCCURRENCES,
    MEMORY_HEADROOM,
    PROGRESS_BYTES,
    WALL_SECONDS,
    Classified,
    Job,
    Outcome,
    Unreadable,
)
from coffeechat.models.calendar import Window

__all__ = [
    "CPU_SECONDS",
    "HOOK_ENV",
    "MAX_OCCURRENCES",
    "MEMORY_HEADROOM",
    "WALL_SECONDS",
    "Classified",
    "Job",
    "Outcome",
    "SyncStopped",
    "Unreadable",
    "WorkerUnavailable",
    "abandon",
    "check_abandoned",
    "classify_batch",
    "job_for",
    "shutdown",
    "warm",
]

BATCH_BYTES = 32 << 20  # raw bytes sent to a child at once (its memory holds them)
READY_SECONDS = 60.0
POLL_SLICE = 0.1  # how often a wait looks at the stop request


class SyncStopped(Exception):
    """The thread's sync was abandoned because the service is stopping; nothing was recorded."""


class WorkerUnavailable(RuntimeError):
    """No child could be started: the sync fails (and is retried) rather than blame mail."""


def job_for(today: date, max_bytes: int, zone: str, window: Window) -> Job:
    """A Job with the default budgets (and the test hook, when its variable is set)."""
    span = (window.start, window.end)
    return Job(today, max_bytes, zone, span, hook=os.environ.get(HOOK_ENV) or None)


# --- the parent side ---------------------------------------------------------------------

_lock = threading.Lock()
_idle: weakref.WeakKeyDictionary[threading.Thread, _Worker] = weakref.WeakKeyDictionary()
_busy: weakref.WeakKeyDictionary[threading.Thread, _Worker] = weakref.WeakKeyDictionary()
_abandoned: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def warm() -> None:
    """Start this thread's child now (it imports while the caller fetches), if none is kept."""
    thread = threading.current_thread()
    with _lock:
        if thread not in _idle and thread not in _abandoned:
            _idle[thread] = _Worker()


def abandon(thread: threading.Thread) -> None:
    """Stop ``thread``'s classification now: its child is killed, its sync raises SyncStopped."""
    with _lock:
        _abandoned.add(thread)
        workers = [w for w in (_busy.pop(thread, None), _idle.pop(thread, None)) if w]
    for worker in workers:
        # Only the process: its owner sees the socket close and closes its end itself (closing
        # it from here could hand the descriptor's number to another file mid-poll).
        worker.signal_kill()


def shutdown() -> None:
    """Kill every child of this process (before an exit that skips interpreter clean-up)."""
    with _lock:
        busy, idle = list(_busy.values()), list(_idle.values())
        _busy.clear()
        _idle.clear()
    for worker in busy:
        worker.signal_kill()
    for worker in idle:
        worker.kill()


def check_abandoned() -> None:
    """Raise SyncStopped when the calling thread's sync was abandoned."""
    if threading.current_thread() in _abandoned:
        raise SyncStopped("the service is stopping")


def classify_batch(raws: Sequence[bytes], job: Job) -> list[Outcome]:
    """Classify each message in a child; one that kills its child is Unreadable, never a hang."""
    results: dict[int, Outcome] = {}
    # Each round either answers every message left or settles the one its child died on.
    while pending := [n for n in range(len(raws)) if n not in results]:
        worker = _take()
        try:
            done, death = worker.run([raws[n] for n in pending], job)
        finally:
            _give_back(worker)
        results.update(zip(pending, done, strict=False))
        if death is not None:
            # Answers between the last one received and the culprit were lost: asked again.
            culprit, why = death
            results[pending[max(culprit, len(done))]] = why
    return [results[n] for n in range(len(raws))]


def _take() -> _Worker:
    thread = threading.current_thread()
    check_abandoned()
    with _lock:
        worker = _idle.pop(thread, None) or _Worker()
        _busy[thread] = worker
    return worker


def _give_back(worker: _Worker) -> None:
    thread = threading.current_thread()
    with _lock:
        _busy.pop(thread, None)
        if worker.alive() and thread not in _abandoned:
            _idle[thread] = worker
            return
    worker.kill()
    check_abandoned()


class _Worker:
    """One child process and the socket to it."""

    def __init__(self) -> None:
        self.progress = _shared_counter()
        ours, theirs = socket.socketpair()
        with ours, theirs:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "coffeechat.flows.steps.classify_child",
                    str(theirs.fileno()),
                    str(self.progress),
                ],
                pass_fds=(theirs.fileno(), self.progress),
                stdin=subprocess.DEVNULL,
                env=_child_env(),
                # Not in the terminal's process group: Ctrl-C is the parent's to handle.
                start_new_session=True,
            )
            self.conn = Connection(ours.detach())
        self.ready = False
        self.killed = False
        # An idle child also ends by itself when the parent is gone (its socket closes).
        weakref.finalize(self, _reap, self.proc, self.conn)
        weakref.finalize(self, os.close, self.progress)

    def alive(self) -> bool:
        """True while the child runs and may take more work."""
        return not self.killed and self.proc.poll() is None

    def kill(self) -> None:
        """End the child at once and close the socket (its owner thread only)."""
        self.killed = True
        _reap(self.proc, self.conn)

    def signal_kill(self) -> None:
        """End the child at once (any thread); the owner closes the socket."""
        self.killed = True
        with contextlib.suppress(OSError):
            self.proc.kill()

    def run(
        self, raws: Sequence[bytes], job: Job
    ) -> tuple[list[Outcome], tuple[int, Unreadable] | None]:
        """Answers for raws in order until done or the child dies (then: on which one, why)."""
        self._wait_ready()
        base = self._started()
        done: list[Outcome] = []
        for batch in _batches(raws):
            try:
                self.conn.send((job, batch))
            except OSError:
                return done, self._death(job, base)
            expected = len(done) + len(batch)
            while len(done) < expected:
                reply = self._receive(job.wall_seconds)
                if reply is None:
                    return done, self._death(job, base)
                kind, answers = reply
                done += answers
                if kind == "fatal":  # the child reported it and exits: its state is not to trust
                    self.kill()
                    return done, None
        return done, None

    def _started(self) -> int:
        """How many messages the child has started (it writes the count before each one)."""
        count: int = struct.unpack("<Q", os.pread(self.progress, PROGRESS_BYTES, 0))[0]
        return count

    def _wait_ready(self) -> None:
        if self.ready:
            return
        reply = self._receive(READY_SECONDS)
        if reply is None or reply[0] != "ready":
            self.kill()
            check_abandoned()
            raise WorkerUnavailable(f"classification child did not start ({self._exit_text()})")
        self.ready = True

    def _receive(self, seconds: float) -> tuple[str, Any] | None:
        """The child's next reply, or None when it died or took longer than ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            check_abandoned()
            try:
                if self.conn.poll(POLL_SLICE):
                    reply: tuple[str, Any] = self.conn.recv()
                    return reply
            except (EOFError, OSError):
                check_abandoned()  # killed because the service stops: not the message's fault
                return None
            if self.proc.poll() is not None:
                check_abandoned()
                return None
            if time.monotonic() > deadline:
                self.kill()
                return None

    def _death(self, job: Job, base: int) -> tuple[int, Unreadable]:
        """Which message of this run the child died on, and why."""
        check_abandoned()
        timed_out = self.killed
        self.kill()
        culprit = self._started() - base - 1
        if self.proc.wait() == -signal.SIGXCPU:
            why = f"over its CPU budget ({job.cpu_seconds} s); abandoned"
            return culprit, Unreadable("budget:cpu", why)
        if timed_out:
            why = f"not classified within {job.wall_seconds:.0f} s; abandoned"
            return culprit, Unreadable("budget:time", why)
        why = f"classification crashed on it ({self._exit_text()})"
        return culprit, Unreadable("worker:died", why)

    def _exit_text(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "still running"
        if code < 0:
            return f"signal {signal.Signals(-code).name}"
        return f"exit status {code}"


def _shared_counter() -> int:
    """A descriptor of PROGRESS_BYTES of zeroed memory the child maps and writes."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("coffeechat-classify-progress")
    else:  # not Linux: an unlinked temporary file does the same
        with tempfile.TemporaryFile() as tmp:
            fd = os.dup(tmp.fileno())
    os.ftruncate(fd, PROGRESS_BYTES)
    return fd


def _reap(proc: subprocess.Popen[bytes], conn: Connection) -> None:
    with contextlib.suppress(OSError):
        conn.close()
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


def _batches(raws: Sequence[bytes]) -> list[list[bytes]]:
    """Consecutive runs of messages of at most BATCH_BYTES (one message may exceed it alone)."""
    out: list[list[bytes]] = []
    size = BATCH_BYTES
    for raw in raws:
        if size + len(raw) > BATCH_BYTES:
            out.append([])
            size = 0
        out[-1].append(raw)
        size += len(raw)
    return out


def _child_env() -> dict[str, str]:
    """The parent's environment, with its import path, so the child runs the same code."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env
