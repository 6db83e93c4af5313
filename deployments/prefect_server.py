"""A local Prefect server kept alive beside ``coffeechat run``, with telemetry off.

Started as a child process in its own session (so a Ctrl-C in the terminal reaches only us,
and we stop it after the service has finished its work), on a free loopback port, with its
data in the user's data directory. Nothing here imports Prefect: the settings it reads are
fixed at import, so the caller sets ``PREFECT_API_URL`` first and imports Prefect after.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

# A first start migrates a new database (~20 s here); a restart takes ~9 s.
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0

# A tool that reads people's mail phones home to nobody, and keeps its logs quiet.
QUIET_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "ERROR",
}

# A cycle every 30 s is ~3,000 flow runs a day: keep a fortnight of history, not all of it.
RETENTION_ENV = {
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(14 * 24 * 3600),
}


# Names under which Prefect reads the URL its UI calls; the first one set wins, whatever the
# others say, so the server's environment holds ours under every name and no other.
UI_API_URL_NAMES = ("PREFECT_SERVER_UI_API_URL", "PREFECT_UI_API_URL")


class PrefectServerError(Exception):
    """The local Prefect server did not start or answer in time."""


def telemetry_off() -> None:
    """Turn Prefect's analytics off in this process unless the user chose otherwise."""
    for key in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK"):
        os.environ.setdefault(key, QUIET_ENV[key])


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """True when the Prefect API at api_url answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:  # noqa: S310 - our own http URL
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError, ValueError):
        return False


def server_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment minus what would point the server or its UI elsewhere."""
    return {
        k: v
        for k, v in environ.items()
        if not k.startswith("PREFECT_API_") and k not in UI_API_URL_NAMES
    }


def ui_env(api_url: str) -> dict[str, str]:
    """Settings making the server's UI call api_url (its ``/ui-settings`` answer).

    Unset, the server answers with ``PREFECT_API_URL`` or its host and *default* port (4200),
    whatever port it listens on, and the UI shows "Can't connect to Server API".
    """
    return dict.fromkeys(UI_API_URL_NAMES, api_url) | {
        # Upgrade banners in the UI are of no use to a local, single-user server.
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    }


def point_prefect_at(api_url: str | None) -> None:
    """Make this process's Prefect use api_url; None: no server, and never an ephemeral one."""
    if api_url is not None:
        os.environ["PREFECT_API_URL"] = api_url
    else:
        # Without a server, a stray Prefect call must fail fast, not start a temporary one.
        os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"
    if "prefect" in sys.modules:  # settings are read at import: make it see the new ones
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()


class LocalPrefectServer:
    """``prefect server start`` on loopback as a child process; a context manager."""

    def __init__(self, home: Path, *, port: int = 0, log_path: Path | None = None) -> None:
        """Prepare (not start) a server keeping its database under ``home``."""
        self.home = home
        self.port = port or free_port()
        self.log_path = log_path or home / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        """The API URL clients use."""
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        """Where the user points a browser."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT, stop: threading.Event | None = None) -> None:
        """Start the child and wait until its API is healthy (or ``stop`` is set)."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = RETENTION_ENV | server_env(os.environ) | QUIET_ENV | {"PREFECT_HOME": str(self.home)}
        env |= ui_env(self.api_url)
        prefect = Path(sys.executable).with_name("prefect")
        argv = [str(prefect)] if prefect.exists() else [sys.executable, "-m", "prefect"]
        argv += ["server", "start", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                # Prefect also reads .env and prefect.toml in its working directory: a project's
                # settings (another API URL or port) must not reach our server.
                cwd=self.home,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if stop is not None and stop.is_set():
                self.stop()
                raise PrefectServerError("stopped while the Prefect server was starting")
            if self.process.poll() is not None:
                raise PrefectServerError(
                    f"prefect server exited with status {self.process.returncode}; "
                    f"see {self.log_path}"
                )
            if healthy(self.api_url, timeout=1.0):
                log.info("Prefect server ready at %s", self.ui_url)
                return
            time.sleep(0.25)
        self.stop()
        raise PrefectServerError(f"prefect server not healthy after {timeout:.0f} s")

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the child and everything it started (its process group)."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        # The server runs uvicorn and its services in children: signal the group it leads.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        # Children that outlived their leader are still in the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self.process.pid if self.process is not None else None

    def __enter__(self) -> LocalPrefectServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
