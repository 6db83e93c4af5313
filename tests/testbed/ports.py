"""Free loopback ports, world-readable scratch dirs and child processes that always get stopped."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

LOOPBACK = "127.0.0.1"
# Every testbed dir starts with this prefix so a later session can find and reap leftovers.
DIR_PREFIX = "coffeechat-testbed-"
_OWNER_FILE = "owner.pid"
_PGID_FILE = "server.pgid"

_live: list[ManagedProcess] = []


def _scratch_base() -> Path:
    # tmpfs makes Maildir seeding and initdb several times faster than the VM's disk.
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK) -> bool:
    """Return True when a TCP connect to host:port succeeds."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(
    check: Callable[[], bool], what: str, timeout: float = 15.0, log: Path | None = None
) -> None:
    """Poll check() every 10 ms until it is true; raise with the log's tail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.01)
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s\n{tail(log) if log else ''}")


def tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    try:
        text = path.read_text(errors="replace")
    except OSError as err:
        return f"(no log at {path}: {err})"
    return f"--- last lines of {path} ---\n" + "\n".join(text.splitlines()[-lines:])


def scratch_dir(kind: str) -> Path:
    """Create a 0755 dir on tmpfs or /tmp (pytest's are 0700: `nobody`/`postgres` can't enter)."""
    reap_orphans()
    path = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{kind}-", dir=_scratch_base()))
    path.chmod(0o755)
    (path / _OWNER_FILE).write_text(str(os.getpid()))
    return path


def remove_dir(path: Path) -> None:
    """Delete a scratch dir, ignoring files that are already gone."""
    shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphans() -> None:
    """Kill servers and remove dirs left by test sessions that died without cleaning up."""
    bases = {_scratch_base(), Path(tempfile.gettempdir())}
    for path in (found for base in bases for found in base.glob(f"{DIR_PREFIX}*")):
        try:
            owner = int((path / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        with contextlib.suppress(OSError, ValueError):
            pgid = int((path / _PGID_FILE).read_text())
            # Only kill if the process still looks like ours: pids get reused.
            cmdline = Path(f"/proc/{pgid}/cmdline").read_bytes()
            if str(path).encode() in cmdline:
                os.killpg(pgid, signal.SIGKILL)
        remove_dir(path)


class ManagedProcess:
    """A server child in its own process group, logged to a file, killed at exit at the latest."""

    def __init__(
        self,
        argv: Sequence[str],
        log_path: Path,
        workdir: Path,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        """Remember how to start the process; nothing runs until start()."""
        self.argv = list(argv)
        self.log_path = log_path
        self.workdir = workdir
        self.env = dict(env) if env is not None else None
        self.user = user
        self.stop_signal = stop_signal
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Return True while the main process is alive."""
        return self.popen is not None and self.popen.poll() is None

    def group_alive(self) -> bool:
        """Return True while any process of the group is still running (zombies don't count)."""
        return self.popen is not None and _group_running(self.popen.pid)

    def start(self) -> None:
        """Start the process in a new session, appending its output to the log file."""
        if self.running:
            return
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=self.env,
                user=self.user,
                group=self.user,
                start_new_session=True,
            )
        (self.workdir / _PGID_FILE).write_text(str(self.popen.pid))
        if self not in _live:
            _live.append(self)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the process to stop, then kill its whole group (children included)."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash would."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()
        # Children (Dovecot's login processes) hold the listening sockets too: a restart on
        # the same port must wait until the whole group is gone.
        deadline = time.monotonic() + 5
        while self.group_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if self in _live:
            _live.remove(self)


def _group_running(pgid: int) -> bool:
    # Zombies are ignored: this sandbox's PID 1 reaps orphans late, and they hold no sockets.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in {"Z", "X"}:
            return True
    return False


@atexit.register
def _kill_leftovers() -> None:
    # Last resort when a fixture finalizer never ran (e.g. KeyboardInterrupt in set-up).
    for proc in list(_live):
        proc.kill()
