"""The forked crash child: a loaded process that forks one child per command, for SIGKILL tests.

Importing SQLAlchemy, pydantic and the flows costs about a second; forking the loaded process
costs milliseconds, so a test can kill a hundred runs at chosen or random points in its budget.

The child side (a ``python -m`` module of the suite) calls ``serve(work)``; the test drives it
with ``Zygote("tests.suite.child_module", ...)``. Protocol, one line each on stdin/stdout:
  in:  ``run <word>...`` (the words are handed to ``work``)  or  ``quit``
  out: ``ready`` (loaded), ``pid <pid>`` (a child started), whatever ``work`` says with ``say``
       (``done <pid> ...`` when it finished), ``exit <pid> <status>``, ``error <pid> <text>``
       (``work`` raised: the test fails on it).
After ``work`` returns the child waits to be killed: a child the zygote has not reaped keeps its
pid, so the test can never SIGKILL some other process that reused it.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def say(line: str) -> None:
    """One protocol line on stdout."""
    # os.write, not print: nothing may sit in a stdio buffer that a fork would duplicate.
    os.write(1, (line + "\n").encode())


def _in_child(work: Callable[[list[str]], None], words: list[str]) -> None:
    status = 0
    try:
        work(words)
        time.sleep(60)  # killed here by the test
    except BaseException as err:  # reported to the test, which fails on it
        say(f"error {os.getpid()} {type(err).__name__}: {err}")
        status = 1
    os._exit(status)


def serve(work: Callable[[list[str]], None]) -> None:
    """Say ready, then fork ``work(words)`` for each ``run`` line until told to quit."""
    say("ready")
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        pid = os.fork()
        if pid == 0:
            _in_child(work, words[1:])
        say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"exit {pid} {status}")


def _is(line: str, word: str, pid: int) -> bool:
    return line.split()[:2] == [word, str(pid)]


class Zygote:
    """The test's side: start the child module, send it commands, read and kill its children."""

    def __init__(self, module: str, *args: str, timeout: float = 30) -> None:
        self.timeout = timeout
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next(60) == "ready"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def next(self, timeout: float | None = None) -> str:
        """The next output line; fails the test on a child's error."""
        line = self.lines.get(timeout=timeout or self.timeout)
        assert not line.startswith("error"), line
        return line

    def run(self, *words: str) -> int:
        """Fork one child on ``run <words>``; return its pid."""
        assert self.process.stdin is not None
        self.process.stdin.write(" ".join(("run", *words)) + "\n")
        self.process.stdin.flush()
        word, pid = self.next().split()[:2]
        assert word == "pid"
        return int(pid)

    def until(self, *prefixes: str) -> str:
        """Skip lines until one starts with one of prefixes."""
        while not (line := self.next()).startswith(prefixes):
            pass
        return line

    def until_done(self, pid: int) -> None:
        """Wait for the child to finish its work."""
        while not _is(self.next(), "done", pid):
            pass

    def kill(self, pid: int) -> bool:
        """SIGKILL the child (never reaped before this, so the pid is ours); True if mid-work."""
        os.kill(pid, signal.SIGKILL)
        finished = False
        while not _is(line := self.next(), "exit", pid):
            finished = finished or _is(line, "done", pid)
        return not finished

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
