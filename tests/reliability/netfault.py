"""A loopback TCP proxy that cuts a connection at a chosen point of the server's answer.

Timers that shut a socket "probably mid-fetch" are flaky; this cuts deterministically: once the
server has sent ``marker`` (say ``BODY[]``), it lets ``extra`` more bytes through and then closes
both sides, exactly as a dropped link would look to the client.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass

from tests.testbed.ports import LOOPBACK


@dataclass
class _Cut:
    marker: bytes
    extra: int


class CuttingProxy:
    """Forward 127.0.0.1:port to 127.0.0.1:target; arm cut() to break the next matching answer."""

    def __init__(self, target_port: int) -> None:
        """Listen on a free loopback port; start() accepts connections in a thread."""
        self.target_port = target_port
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._cut: _Cut | None = None
        self.cuts = 0
        self._closed = False
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        """Accept connections until close()."""
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self, marker: bytes, extra: int) -> None:
        """Break the next connection whose server side sends marker, extra bytes after it."""
        with self._lock:
            self._cut = _Cut(marker, extra)

    def close(self) -> None:
        """Stop accepting and close every open connection."""
        self._closed = True
        self._listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection((LOOPBACK, self.target_port))
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_server: bool) -> None:
        tail = b""
        remaining: int | None = None  # bytes still allowed through once the cut is armed
        try:
            while chunk := src.recv(65536):
                if from_server and remaining is None:
                    window = tail + chunk
                    tail = window[-256:]
                    armed = self._take_cut(window)
                    if armed is not None:
                        marker, extra = armed
                        end = window.find(marker) + len(marker) - (len(window) - len(chunk))
                        remaining = max(end, 0) + extra
                if remaining is not None:
                    chunk = chunk[:remaining]
                    remaining -= len(chunk)
                dst.sendall(chunk)
                if remaining == 0:
                    break
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

    def _take_cut(self, window: bytes) -> tuple[bytes, int] | None:
        with self._lock:
            if self._cut is None or self._cut.marker not in window:
                return None
            cut, self._cut = self._cut, None
            self.cuts += 1
            return cut.marker, cut.extra
