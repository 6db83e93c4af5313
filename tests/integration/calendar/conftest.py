"""A recording reverse proxy (optionally TLS) in front of the test bed's real servers.

It lets tests count what a source sent (Radicale logs nothing per request at the test bed's
log level) and put a verified or untrusted certificate in front of a plain-HTTP server.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from tests.testbed.ports import LOOPBACK
from tests.testbed.tls import TestbedCA

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass(frozen=True)
class Seen:
    """One request that passed through the proxy."""

    method: str
    path: str
    status: int


class RecordingProxy:
    """Forwards every request to upstream host:port and records (method, path, status)."""

    def __init__(self, upstream_port: int, tls: ssl.SSLContext | None = None) -> None:
        """Bind a free loopback port; wrap it in TLS when a server context is given."""
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), _handler(self, upstream_port))
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = int(self._httpd.server_address[1])
        self.base = f"{'https' if tls else 'http'}://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url_for(self, upstream_url: str) -> str:
        """Return upstream_url with scheme, host and port replaced by the proxy's."""
        path = upstream_url.split("://", 1)[1].split("/", 1)[1]
        return f"{self.base}/{path}"

    def methods(self) -> list[str]:
        """Return the methods seen so far, in order."""
        with self._lock:
            return [seen.method for seen in self.seen]

    def clear(self) -> None:
        """Forget what was seen."""
        with self._lock:
            self.seen.clear()

    def record(self, seen: Seen) -> None:
        """Remember one forwarded request."""
        with self._lock:
            self.seen.append(seen)

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(proxy: RecordingProxy, upstream_port: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            upstream = http.client.HTTPConnection(LOOPBACK, upstream_port, timeout=10)
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                reply = upstream.getresponse()
                payload = reply.read()
                proxy.record(Seen(self.command, self.path, reply.status))
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            finally:
                upstream.close()

        do_GET = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = _forward
        do_PROPFIND = do_REPORT = do_MKCALENDAR = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


ProxyFactory = Callable[..., RecordingProxy]


@pytest.fixture
def proxy() -> Iterator[ProxyFactory]:
    """Make RecordingProxy(upstream_port, tls=None) instances, closed after the test."""
    made: list[RecordingProxy] = []

    def make(upstream_port: int, tls: ssl.SSLContext | None = None) -> RecordingProxy:
        made.append(RecordingProxy(upstream_port, tls))
        return made[-1]

    yield make
    for each in made:
        each.close()


@pytest.fixture
def server_tls(testbed_ca: TestbedCA) -> ssl.SSLContext:
    """A server context whose cert (127.0.0.1) is signed by the test bed CA."""
    return testbed_ca.issue("calendar-proxy").server_context()


@pytest.fixture
def foreign_ca(tmp_path: Path) -> Path:
    """The PEM of a CA that signed nothing we serve: trusting only it must fail."""
    path = tmp_path / "foreign-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path
