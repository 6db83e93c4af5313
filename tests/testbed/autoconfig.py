"""An HTTPS server on loopback (test bed CA) serving autoconfig files by path."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.testbed.ports import LOOPBACK
from tests.testbed.tls import TlsFiles

CONFIG_PATH = "/mail/config-v1.1.xml"


class AutoconfigServer:
    """Serves .files[path] (bytes) over https://127.0.0.1:PORT; 404 for anything else."""

    def __init__(self, tls: TlsFiles) -> None:
        """Bind a free loopback port with the test bed certificate."""
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.files.get(urlsplit(self.path).path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.end_headers()  # no Content-Length: the client's own cap must hold
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._httpd.socket = tls.server_context().wrap_socket(self._httpd.socket, server_side=True)
        self.port: int = self._httpd.server_address[1]
        self.base = f"https://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str = CONFIG_PATH) -> str:
        """The address of path, with the {address} placeholder discovery fills in."""
        return f"{self.base}{path}?emailaddress={{address}}"

    def start(self) -> None:
        """Serve in a thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()
