"""Radicale 3 on loopback (htpasswd auth, one known user) and per-test calendar collections."""

from __future__ import annotations

import base64
import http.client
import re
import sys
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from tests.testbed.ports import (
    LOOPBACK,
    ManagedProcess,
    free_port,
    remove_dir,
    scratch_dir,
    wait_until,
)

_CONFIG = """\
[server]
hosts = {host}:{port}
[auth]
type = htpasswd
htpasswd_filename = {root}/users
htpasswd_encryption = plain
# No brute-force delay after a bad password: tests of auth failures must be fast.
delay = 0
[rights]
type = from_file
file = {root}/rights
[storage]
filesystem_folder = {root}/collections
[web]
type = none
[logging]
level = warning
"""

# The owner may do anything in their own space; anyone may GET a calendar, which makes its
# collection URL double as a plain, unauthenticated .ics feed URL.
_RIGHTS = """\
[root]
user: .+
collection:
permissions: R
[principal]
user: .+
collection: {user}
permissions: RW
[calendars]
user: .+
collection: {user}/[^/]+
permissions: rw
[public-feeds]
user: .*
collection: [^/]+/[^/]+
permissions: r
"""

_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set>
</C:mkcalendar>
"""


class RadicaleServer:
    """A running Radicale with one user (username/password) and its storage in a scratch dir."""

    username = "testbed"
    password = "testbed-secret"

    def __init__(self) -> None:
        """Write config, users and rights; start() runs it."""
        self.host = LOOPBACK
        self.port = free_port()
        self.root = scratch_dir("radicale")
        self.url = f"http://{self.host}:{self.port}/"
        self.log_path = self.root / "radicale.log"
        config = self.root / "config"
        config.write_text(_CONFIG.format(host=self.host, port=self.port, root=self.root))
        (self.root / "users").write_text(f"{self.username}:{self.password}\n")
        (self.root / "rights").write_text(_RIGHTS)
        self.process = ManagedProcess(
            [sys.executable, "-m", "radicale", "--config", str(config)], self.log_path, self.root
        )

    def start(self) -> None:
        """Start Radicale and wait until it answers HTTP."""
        self.process.start()
        wait_until(self._ready, "radicale", log=self.log_path)

    def _ready(self) -> bool:
        if not self.process.running:
            raise RuntimeError(f"radicale exited early; see {self.log_path}")
        try:
            self.request("OPTIONS", "/")
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """Stop Radicale."""
        self.process.stop()

    def close(self) -> None:
        """Stop Radicale and delete its storage."""
        self.stop()
        remove_dir(self.root)

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> tuple[int, bytes]:
        """Send one HTTP request as the known user; return (status, body)."""
        sent = dict(headers or {})
        if auth:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def new_calendar(self) -> Calendar:
        """Create an empty calendar collection with a unique name."""
        name = f"cal-{uuid.uuid4().hex[:12]}"
        path = f"/{self.username}/{name}/"
        status, body = self.request(
            "MKCALENDAR",
            path,
            _MKCALENDAR.format(name=name),
            {"Content-Type": "application/xml; charset=utf-8"},
        )
        if status != 201:
            raise RuntimeError(f"MKCALENDAR {path} -> {status}: {body[:300]!r}")
        return Calendar(self, path)


_UID = re.compile(r"^UID:(.+?)\r?$", re.MULTILINE)


@dataclass
class Calendar:
    """One test's calendar collection on the session's Radicale."""

    server: RadicaleServer
    path: str

    @property
    def url(self) -> str:
        """Return the CalDAV collection URL (needs username/password)."""
        return f"http://{self.server.host}:{self.server.port}{self.path}"

    @property
    def feed_url(self) -> str:
        """Return a URL serving the whole calendar as one .ics, without auth."""
        return self.url

    @property
    def username(self) -> str:
        """Return the CalDAV user."""
        return self.server.username

    @property
    def password(self) -> str:
        """Return the CalDAV password."""
        return self.server.password

    def put_event(self, ics_text: str) -> str:
        """PUT one VCALENDAR holding one event (any number of overrides); return its URL."""
        match = _UID.search(ics_text)
        if match is None:
            raise ValueError("event has no UID line")
        href = _href(self.path, match.group(1).strip())
        status, body = self.server.request(
            "PUT", href, ics_text.encode(), {"Content-Type": "text/calendar; charset=utf-8"}
        )
        if status not in (201, 204):
            raise RuntimeError(f"PUT {href} -> {status}: {body[:300]!r}")
        return f"http://{self.server.host}:{self.server.port}{href}"

    def put_calendar(self, ics_text: str) -> None:
        """Replace the whole collection with the events of one VCALENDAR, in one fast PUT."""
        status, body = self.server.request(
            "PUT", self.path, ics_text.encode(), {"Content-Type": "text/calendar; charset=utf-8"}
        )
        if status not in (201, 204):
            raise RuntimeError(f"PUT {self.path} -> {status}: {body[:300]!r}")

    def delete_event(self, uid: str) -> None:
        """Delete the event with this UID (stored by put_event or put_calendar)."""
        href = _href(self.path, uid)
        status, body = self.server.request("DELETE", href)
        if status not in (200, 204):
            raise RuntimeError(f"DELETE {href} -> {status}: {body[:300]!r}")

    def feed(self) -> str:
        """Return the whole calendar as the feed serves it."""
        status, body = self.server.request("GET", self.path, auth=False)
        if status != 200:
            raise RuntimeError(f"GET {self.path} -> {status}")
        return body.decode()


def _href(collection: str, uid: str) -> str:
    # The same name Radicale gives each event of a whole-calendar PUT: <quoted UID>.ics.
    return f"{collection}{quote(uid, safe='')}.ics"
