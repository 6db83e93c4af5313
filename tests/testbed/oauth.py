"""A loopback OAuth2 authority: hands out access tokens and answers token introspection.

Dovecot's oauth2 passdb POSTs ``token=...`` to /introspect (RFC 7662) and gets
``{"active": true, "username": ...}`` back; the test bed's aiosmtpd asks check() directly.
GET /token?user=NAME issues a fresh token, as a real OAuth helper's refresh would, so a token
command (see token_command()) prints a new one every time it runs. One authority is shared
by the whole test session (shared_authority()), so one token is good for IMAP and SMTP alike.
"""

from __future__ import annotations

import base64
import json
import secrets
import shlex
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.testbed.ports import LOOPBACK

# A token command as a user would configure one: ask the authority for a token, print it.
_FETCH = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())"


@dataclass
class _Grant:
    user: str
    active: bool = True


@dataclass(frozen=True)
class Check:
    """One token the authority was asked about, by "imap" (Dovecot, over HTTP) or "smtp"."""

    token: str
    client: str
    user: str | None  # None: unknown, revoked or expired


class TokenAuthority:
    """Valid tokens -> usernames, an introspection endpoint, and a record of every check."""

    def __init__(self) -> None:
        """Bind a free loopback port; start() serves it."""
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}
        self._checks: list[Check] = []
        self._issued: list[str] = []
        self._http = ThreadingHTTPServer((LOOPBACK, 0), _Handler)
        self._http.daemon_threads = True
        self._http.authority = self  # type: ignore[attr-defined]
        self.host = LOOPBACK
        self.port = int(self._http.server_address[1])
        self.introspection_url = f"http://{LOOPBACK}:{self.port}/introspect"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._http.serve_forever, name="testbed-oauth", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join()
            self._thread = None
        self._http.server_close()

    def issue(self, user: str) -> str:
        """Return a new valid access token for user."""
        token = f"ya29.testbed-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._grants[token] = _Grant(user)
            self._issued.append(token)
        return token

    def expire(self, token: str) -> None:
        """Make a token inactive, as its expiry or revocation would."""
        with self._lock:
            self._grants[token].active = False

    def refused_token(self, kind: str, user: str, other: str) -> str:
        """A token the servers refuse for user: never issued ("unknown"), "expired", or other's."""
        if kind == "unknown":
            return f"ya29.never-issued-{secrets.token_urlsafe(6)}"
        if kind == "expired":
            token = self.issue(user)
            self.expire(token)
            return token
        return self.issue(other)

    def check(self, token: str, client: str) -> str | None:
        """Return the user of an active token (None otherwise), recording the question."""
        with self._lock:
            grant = self._grants.get(token)
            user = grant.user if grant is not None and grant.active else None
            self._checks.append(Check(token, client, user))
            return user

    def checks(self, client: str | None = None) -> list[Check]:
        """Return the checks so far (only client's, when given), oldest first."""
        with self._lock:
            return [c for c in self._checks if client is None or c.client == client]

    def issued(self, user: str | None = None) -> list[str]:
        """Return the tokens handed out so far (only user's, when given), oldest first."""
        with self._lock:
            return [t for t in self._issued if user is None or self._grants[t].user == user]

    def token_url(self, user: str) -> str:
        """Return the URL that issues a fresh token for user."""
        return f"http://{LOOPBACK}:{self.port}/token?user={user}"

    def token_command(self, user: str) -> str:
        """Return a command line printing a fresh token for user each time it runs."""
        return shlex.join([sys.executable, "-c", _FETCH, self.token_url(user)])


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/introspect":
            self._reply(404, {"error": "not_found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0]
        user = self.server.authority.check(token, "imap")
        # RFC 7662: an unknown, expired or revoked token is simply not active.
        self._reply(200, {"active": True, "username": user} if user else {"active": False})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        user = (parse_qs(url.query).get("user") or [""])[0]
        if url.path != "/token" or not user:
            self._reply(404, {"error": "not_found"})
            return
        body = self.server.authority.issue(user).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the default writes every request to stderr."""


_shared: TokenAuthority | None = None
_shared_lock = threading.Lock()


def shared_authority() -> TokenAuthority:
    """Return the session's one authority, started on first use (Dovecot and aiosmtpd share it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TokenAuthority()
            _shared.start()
        return _shared


def printing_command(token: str, runs: Path) -> str:
    """Return a command line printing token as is, appending a line to runs each time it runs."""
    script = 'echo run >> "$1"; printf %s "$2"'
    return shlex.join(["/bin/sh", "-c", script, "token-command", str(runs), token])


def command_runs(runs: Path) -> int:
    """Return how often the printing_command() noting into runs has run."""
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def token_forms(user: str, token: str) -> list[str]:
    """Return the token and the encodings a protocol library might write it in (base64, SASL)."""
    sasl = f"user={user}\x01auth=Bearer {token}\x01\x01"
    return [token, *(base64.b64encode(s.encode()).decode() for s in (token, sasl))]
