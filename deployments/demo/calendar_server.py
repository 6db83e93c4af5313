"""The demo's CalDAV server: Radicale in a child process, one user, storage in the data dir.

A child process rather than a thread: Radicale configures logging and its own logger class
globally when imported, which would change how the rest of coffeechat logs.
"""

from __future__ import annotations

import base64
import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

LOOPBACK = "127.0.0.1"
_CONFIG = """\
[server]
hosts = {host}:{port}
[auth]
type = htpasswd
htpasswd_filename = {root}/users
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = {root}/collections
[web]
type = none
[logging]
level = warning
"""
_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set>
</C:mkcalendar>
"""


def free_port() -> int:
    """A port nobody listens on right now (Radicale needs one named in its config)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class CalendarServer:
    """A running Radicale with one user and storage under root."""

    def __init__(self, root: Path, username: str, password: str) -> None:
        """Write its config and password file; start() runs it."""
        self.root = root
        self.username = username
        self.password = password
        self.host = LOOPBACK
        self.port = free_port()
        self.log_path = root / "radicale.log"
        self._process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        (root / "config").write_text(_CONFIG.format(host=self.host, port=self.port, root=root))
        users = root / "users"
        users.write_text(f"{username}:{password}\n")
        users.chmod(0o600)

    @property
    def base_url(self) -> str:
        """The server's root URL (what a calendar app is pointed at)."""
        return f"http://{self.host}:{self.port}/"

    def start(self) -> None:
        """Start Radicale; wait_ready() waits for it."""
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(self.root / "config")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Block until Radicale answers HTTP; raise with its log's tail if it died or hung."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"Radicale exited early:\n{self._log_tail()}")
            try:
                self.request("OPTIONS", "/")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Radicale did not answer within {timeout:.0f} s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        """Stop Radicale (its storage stays)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process = None

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[int, bytes]:
        """One authenticated HTTP request; (status, body)."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def ensure_calendar(self, name: str) -> str:
        """Create the user's calendar collection unless it exists; return its URL."""
        path = f"/{self.username}/{name}/"
        status, _ = self.request("PROPFIND", path)
        if status == 404:
            body = _MKCALENDAR.format(name=name).encode()
            status, answer = self.request("MKCALENDAR", path, body, "application/xml")
            if status != 201:
                raise RuntimeError(f"MKCALENDAR {path}: HTTP {status} {answer[:200]!r}")
        return f"http://{self.host}:{self.port}{path}"

    def put_calendar(self, url: str, ics: str) -> None:
        """Replace the collection's events with those of one VCALENDAR (one fast PUT)."""
        path = url.split(f":{self.port}", 1)[1]
        status, answer = self.request("PUT", path, ics.encode(), "text/calendar; charset=utf-8")
        if status not in (201, 204):
            raise RuntimeError(f"PUT {path}: HTTP {status} {answer[:200]!r}")
