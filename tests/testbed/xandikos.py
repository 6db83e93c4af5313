"""Xandikos on loopback: a second CalDAV server, laid out unlike Radicale.

`xandikos serve --defaults` makes one principal, /user/, whose calendar home is
/user/calendars/ holding one calendar, /user/calendars/calendar/. Neither the root nor the
principal nor the home is a calendar collection, which is what discovery is tested against.
It runs without authentication (its Basic auth needs its own TLS certificate): on loopback only.
"""

from __future__ import annotations

import http.client
import re
import shutil
import sys
import uuid
from pathlib import Path

from tests.testbed.ports import (
    LOOPBACK,
    ManagedProcess,
    free_port,
    remove_dir,
    scratch_dir,
    wait_until,
)

_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set>
</C:mkcalendar>
"""
_UID = re.compile(r"^UID:(.+?)\r?$", re.MULTILINE)


def xandikos_argv() -> list[str] | None:
    """The command that runs Xandikos from this interpreter's environment, or None."""
    script = Path(sys.executable).with_name("xandikos")
    if script.exists():
        return [str(script)]
    found = shutil.which("xandikos")
    return [found] if found else None


class XandikosServer:
    """A running Xandikos with its default principal, home and calendar in a scratch dir."""

    principal_path = "/user/"
    home_path = "/user/calendars/"
    default_calendar_path = "/user/calendars/calendar/"

    def __init__(self, argv: list[str]) -> None:
        """Prepare the storage; start() runs it."""
        self.host = LOOPBACK
        self.port = free_port()
        self.root = scratch_dir("xandikos")
        self.url = f"http://{self.host}:{self.port}/"
        self.log_path = self.root / "xandikos.log"
        command = [*argv, "serve", "--defaults", "-d", str(self.root / "data")]
        command += ["--state-dir", str(self.root / "state")]
        command += ["-l", self.host, "-p", str(self.port), "--no-detect-systemd"]
        self.process = ManagedProcess(command, self.log_path, self.root)

    def start(self) -> None:
        """Start Xandikos and wait until its default calendar answers."""
        self.process.start()
        wait_until(self._ready, "xandikos", timeout=30.0, log=self.log_path)

    def _ready(self) -> bool:
        if not self.process.running:
            raise RuntimeError(f"xandikos exited early; see {self.log_path}")
        try:
            status, _ = self.request("PROPFIND", self.default_calendar_path, headers={"Depth": "0"})
        except OSError:
            return False
        return status == 207

    def close(self) -> None:
        """Stop Xandikos and delete its storage."""
        self.process.stop()
        remove_dir(self.root)

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send one HTTP request; return (status, body)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def new_calendar(self, name: str | None = None) -> str:
        """Create a calendar collection in the home; return its path."""
        name = name or f"cal-{uuid.uuid4().hex[:12]}"
        path = f"{self.home_path}{name}/"
        status, body = self.request(
            "MKCALENDAR",
            path,
            _MKCALENDAR.format(name=name),
            {"Content-Type": "application/xml; charset=utf-8"},
        )
        if status != 201:
            raise RuntimeError(f"MKCALENDAR {path} -> {status}: {body[:300]!r}")
        return path

    def put_event(self, collection: str, ics_text: str) -> None:
        """PUT one VCALENDAR holding one event into a collection (replacing it)."""
        match = _UID.search(ics_text)
        if match is None:
            raise ValueError("event has no UID line")
        href = f"{collection}{uuid.uuid5(uuid.NAMESPACE_URL, match.group(1).strip())}.ics"
        status, body = self.request(
            "PUT", href, ics_text.encode(), {"Content-Type": "text/calendar; charset=utf-8"}
        )
        if status not in (201, 204):
            raise RuntimeError(f"PUT {href} -> {status}: {body[:300]!r}")
