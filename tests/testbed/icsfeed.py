"""A tiny HTTP server publishing one mutable .ics body, with conditional GET and faults."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.testbed.ports import LOOPBACK


@dataclass(frozen=True)
class FeedRequest:
    """One request the feed server saw, with the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class _FeedState:
    body: bytes = b""
    etag: str = '""'
    last_modified: float = field(default_factory=time.time)
    faults: list[tuple[int, bytes]] = field(default_factory=list)
    requests: list[FeedRequest] = field(default_factory=list)


class IcsFeedServer:
    """Serves `body` at `url` with ETag/Last-Modified, 304s, and scripted 500s or garbage."""

    path = "/calendar.ics"

    def __init__(self, body: str = "") -> None:
        """Bind to a free loopback port; start() serves in a thread."""
        self._lock = threading.Lock()
        self._state = _FeedState(body=b"\0")  # differs from any body, so set_body stamps it
        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.host = LOOPBACK
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://{self.host}:{self.port}{self.path}"
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.set_body(body)

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def set_body(self, body: str | bytes, *, modified: float | None = None) -> None:
        """Publish a new calendar: a new ETag and Last-Modified (whole seconds, as HTTP dates)."""
        raw = body.encode() if isinstance(body, str) else body
        with self._lock:
            if raw == self._state.body:
                return
            # Last-Modified has one-second resolution: move it on by at least a second per
            # change, or a client's If-Modified-Since would hide a change made in the same second.
            now = float(int(time.time()))
            self._state.last_modified = max(now, int(self._state.last_modified) + 1.0)
            if modified is not None:  # a file written earlier: a validator clients may trust
                self._state.last_modified = float(int(modified))
            self._state.body = raw
            self._state.etag = '"' + hashlib.sha256(raw).hexdigest()[:16] + '"'

    @property
    def body(self) -> bytes:
        """Return the body currently published."""
        with self._lock:
            return self._state.body

    @property
    def requests(self) -> list[FeedRequest]:
        """Return every request served so far."""
        with self._lock:
            return list(self._state.requests)

    @property
    def request_count(self) -> int:
        """Return how many requests were served."""
        with self._lock:
            return len(self._state.requests)

    def fail_next(self, status: int = 500, times: int = 1, body: bytes = b"server error") -> None:
        """Answer the next `times` requests with status and body."""
        with self._lock:
            self._state.faults.extend([(status, body)] * times)

    def garbage_next(self, times: int = 1) -> None:
        """Answer the next `times` requests 200 with bytes that are not iCalendar."""
        self.fail_next(200, times, b"\x00\xff<html>not a calendar\x89PNG\r\n")

    def _answer(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            status, extra, payload = self._decide(path, headers)
            self._state.requests.append(FeedRequest(method, path, headers, status))
            return status, extra, payload

    def _decide(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        state = self._state
        if state.faults:
            status, body = state.faults.pop(0)
            return status, {"Content-Type": "text/calendar"}, body
        if path.split("?", 1)[0] != self.path:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        validators = {
            "ETag": state.etag,
            "Last-Modified": formatdate(state.last_modified, usegmt=True),
        }
        if _not_modified(headers, state.etag, state.last_modified):
            return 304, validators, b""
        return 200, {**validators, "Content-Type": "text/calendar; charset=utf-8"}, state.body


def _not_modified(headers: dict[str, str], etag: str, last_modified: float) -> bool:
    # RFC 9110: If-None-Match wins over If-Modified-Since when both are sent.
    match = headers.get("if-none-match")
    if match is not None:
        return match.strip() == "*" or etag in [tag.strip() for tag in match.split(",")]
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(since).timestamp() >= int(last_modified)
    except (TypeError, ValueError):
        return False


def _handler_for(server: IcsFeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, send_body: bool) -> None:
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, extra, payload = server._answer(self.command, self.path, headers)
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if send_body and status != 304:
                self.wfile.write(payload)

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def log_message(self, format: str, *args: object) -> None:
            # Requests are recorded in server.requests; stderr noise would hide test output.
            pass

    return Handler
