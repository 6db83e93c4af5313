"""A small Prefect cluster on loopback: one server, a process work pool, workers as processes.

The server keeps its own SQLite under a temporary PREFECT_HOME; every worker gets its own home
too, as if it ran on another machine, and sees only PREFECT_API_URL and the secrets' env vars.
Flow runs start in their own sessions (Prefect isolates them), so stopping a worker also kills
whatever it started, found through the process tree.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from coffeechat.deployments.prefect_server import QUIET_ENV
from tests.testbed.ports import ManagedProcess, tail

VENV_BIN = Path(sys.executable).parent
# Workers poll every 10 s by default: far too slow for a test that waits on them.
WORKER_ENV = {"PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_WORKER_PREFETCH_SECONDS": "5"}
_SUBMITTING = re.compile(r"submitting flow run '([0-9a-f-]{36})'")


def worker_env(api_url: str, home: Path, secrets: Mapping[str, str]) -> dict[str, str]:
    """What a worker machine needs: the API URL, the secrets' env vars, nothing of ours else."""
    keep = ("LANG", "LC_ALL", "TZ", "SSL_CERT_FILE")
    base = {k: v for k, v in os.environ.items() if k in keep}
    return {
        **base,
        **QUIET_ENV,
        "PREFECT_LOGGING_LEVEL": "INFO",  # the worker's own log says which runs it took
        **WORKER_ENV,
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "HOME": str(home),
        "PREFECT_HOME": str(home / ".prefect"),
        "PREFECT_API_URL": api_url,
        **secrets,
    }


class Worker:
    """``prefect worker start --pool POOL --type process --limit N`` as a child process."""

    def __init__(
        self, name: str, pool: str, limit: int, root: Path, env: Mapping[str, str]
    ) -> None:
        """Prepare the worker's home and log; start() runs it."""
        self.name = name
        home = root / name
        home.mkdir(parents=True)
        self.log_path = home / "worker.log"
        argv = [str(VENV_BIN / "prefect"), "worker", "start", "--pool", pool, "--type",
                "process", "--limit", str(limit), "--name", name]  # fmt: skip
        self.process = ManagedProcess(argv, self.log_path, home, env=env)

    def start(self) -> None:
        """Start polling the pool."""
        self.process.start()

    def submitted(self) -> set[str]:
        """Ids of the flow runs this worker took, from its log."""
        try:
            return set(_SUBMITTING.findall(self.log_path.read_text(errors="replace")))
        except OSError:
            return set()

    def stop(self) -> None:
        """Kill the worker and every flow-run process it started (they have their own sessions)."""
        popen = self.process.popen
        children = descendants(popen.pid) if popen is not None else []
        self.process.stop(timeout=5)
        for pid in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def tail(self) -> str:
        """The end of the worker's log, for a failure message."""
        return tail(self.log_path, 30)


def descendants(pid: int) -> list[int]:
    """Every live process below pid in the process tree."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@contextlib.contextmanager
def running_workers(workers: list[Worker]) -> Iterator[list[Worker]]:
    """Start every worker; stop them (and their flow runs) however the block ends."""
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()
