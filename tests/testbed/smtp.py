"""aiosmtpd on loopback: AUTH, STARTTLS, implicit TLS, a record of mail and scripted faults.

AUTH takes the test user's password (PLAIN, LOGIN) or, with XOAUTH2, any token the shared
token authority (tests.testbed.oauth) holds for the user named in the XOAUTH2 string.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.testbed.dovecot import Mailbox
from tests.testbed.oauth import TokenAuthority, shared_authority
from tests.testbed.ports import LOOPBACK, free_port
from tests.testbed.tls import TlsFiles


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message_id: str | None
    auth_user: str | None
    tls: bool
    auth_kind: str | None = None  # "password" or "xoauth2"; None when not logged in


@dataclass(frozen=True)
class OAuthLogin:
    """What an XOAUTH2 client sent: the user and the bearer token (never shown by repr)."""

    user: str
    token: str = field(repr=False)


@dataclass
class _Fault:
    command: str | None  # None: whatever command comes next (QUIT excepted)
    code: int
    text: str
    times: int
    drop_in_data: bool = False


class SmtpServer:
    """Two aiosmtpd listeners (plain+STARTTLS on port, implicit TLS on ssl_port) sharing state."""

    username = "testbed"
    password = "testbed-secret"

    def __init__(self, tls: TlsFiles, log_path: Path, oauth: TokenAuthority | None = None) -> None:
        """Prepare both listeners; start() binds them."""
        self.host = LOOPBACK
        self.oauth = oauth if oauth is not None else shared_authority()
        self.tls = tls
        self.ca_path = tls.ca_path
        self.log_path = log_path
        self.require_auth = False
        self.auth_attempts = 0
        self.require_starttls = False
        # A slow server: every DATA is held this long, so concurrent sessions overlap visibly.
        self.data_delay = 0.0
        self.in_data = 0
        self.max_in_data = 0
        # What clients answered to the JSON error of a refused XOAUTH2 (Gmail expects b"").
        self.xoauth2_error_replies: list[bytes] = []
        self._lock = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        self._faults: list[_Fault] = []
        self._hooks: list[Callable[[ReceivedMessage], None]] = []
        self._log_handler = logging.FileHandler(log_path)
        handler = _Recorder(self)
        self._plain = _Listener(self, handler, port=free_port(), starttls=True)
        self._implicit = _Listener(self, handler, port=free_port(), starttls=False)
        self.port = self._plain.port
        self.ssl_port = self._implicit.port

    def start(self) -> None:
        """Start both listener threads."""
        logging.getLogger("mail.log").addHandler(self._log_handler)
        self._plain.start()
        self._implicit.start()

    def stop(self) -> None:
        """Stop both listener threads."""
        for listener in (self._plain, self._implicit):
            if listener._thread is not None:
                listener.stop()
        logging.getLogger("mail.log").removeHandler(self._log_handler)
        self._log_handler.close()

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Check a login against the test user (or a token with the authority), counting each."""
        self.auth_attempts += 1
        if isinstance(auth_data, OAuthLogin):
            user = self.oauth.check(auth_data.token, "smtp")
            ok = user is not None and user == auth_data.user
            return AuthResult(success=ok, handled=False, auth_data=auth_data)
        return _authenticate(server, session, envelope, mechanism, auth_data)

    def reset(self) -> None:
        """Forget received mail, faults, hooks and auth/TLS requirements (between tests)."""
        with self._lock:
            self._messages.clear()
            self._faults.clear()
            self._hooks.clear()
        self.require_auth = False
        self.auth_attempts = 0
        self.require_starttls = False
        self.data_delay = 0.0
        self.in_data = 0
        self.max_in_data = 0
        self.xoauth2_error_replies = []

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Return a snapshot of the mail received so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least count messages arrived; return them, or raise on timeout."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"expected {count} messages, got {len(self._messages)}")
            return list(self._messages)

    def fail_next(
        self, code: int, times: int = 1, command: str | None = None, text: str | None = None
    ) -> None:
        """Answer the next `times` commands (or only `command`s) with code; 421 hangs up."""
        default = {421: "4.3.2 Service shutting down", 451: "4.3.0 Try again later"}
        message = text or default.get(code, "5.7.1 Rejected by test")
        with self._lock:
            self._faults.append(_Fault(command and command.upper(), code, message, times))

    def drop_during_data(self, times: int = 1) -> None:
        """Close the connection after reading the first line of the next DATA (no final reply)."""
        with self._lock:
            self._faults.append(_Fault("DATA", 0, "", times, drop_in_data=True))

    def on_message(self, hook: Callable[[ReceivedMessage], None]) -> None:
        """Call hook (in the server thread) for every message received from now on."""
        with self._lock:
            self._hooks.append(hook)

    def deliver_to(self, mailbox: Mailbox, folder: str = "INBOX") -> None:
        """APPEND every received message into a Dovecot mailbox, as a real MTA would deliver."""
        self.on_message(lambda message: _append(mailbox, message, folder))

    def _take_fault(self, command: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.command == command or (fault.command is None and command != "QUIT"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, message: ReceivedMessage) -> list[Callable[[ReceivedMessage], None]]:
        with self._lock:
            self._messages.append(message)
            self._lock.notify_all()
            return list(self._hooks)


def _append(mailbox: Mailbox, message: ReceivedMessage, folder: str) -> None:
    mailbox.append(message.raw, folder)


class _Recorder:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        auth = session.auth_data
        message = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            message_id=headers.get("Message-ID"),
            auth_user=_auth_user(auth),
            # session.ssl is only filled in by STARTTLS; implicit TLS shows on the transport.
            tls=session.ssl is not None or _is_tls(smtp),
            auth_kind=_auth_kind(auth),
        )
        await self._hold()
        for hook in self.server._record(message):
            hook(message)
        return "250 2.0.0 OK"

    async def _hold(self) -> None:
        """Wait data_delay seconds, counting how many sessions are inside DATA at once."""
        server = self.server
        if server.data_delay <= 0:
            return
        with server._lock:
            server.in_data += 1
            server.max_in_data = max(server.max_in_data, server.in_data)
        try:
            await asyncio.sleep(server.data_delay)
        finally:
            with server._lock:
                server.in_data -= 1


def _auth_user(auth: object) -> str | None:
    if isinstance(auth, OAuthLogin):
        return auth.user
    return auth.login.decode() if isinstance(auth, LoginPassword) else None


def _auth_kind(auth: object) -> str | None:
    if isinstance(auth, OAuthLogin):
        return "xoauth2"
    return "password" if isinstance(auth, LoginPassword) else None


def _is_tls(smtp: SMTP) -> bool:
    transport = smtp.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (
        SmtpServer.username.encode(),
        SmtpServer.password.encode(),
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


_GMAIL_ERROR = json.dumps(
    {"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"},
    separators=(",", ":"),
)
_GMAIL_REFUSAL = "535 5.7.8 Username and Password not accepted (testbed)"


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _parse_xoauth2(blob: bytes) -> OAuthLogin | None:
    """Split 'user=U^Aauth=Bearer T^A^A' into user and token; None when malformed."""
    fields = dict(
        part.split("=", 1) for part in blob.decode("utf-8", "replace").split("\x01") if "=" in part
    )
    scheme, _, token = fields.get("auth", "").partition(" ")
    if "user" not in fields or scheme.lower() != "bearer" or not token:
        return None
    return OAuthLogin(fields["user"], token)


class _FaultySMTP(SMTP):
    """aiosmtpd's SMTP with every command first checked against the scripted faults."""

    def __init__(self, server: SmtpServer, handler: _Recorder, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._testbed = server
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._guard(name, method)

    def _guard(self, name: str, method: Callable[[str], Any]) -> Callable[[str], Any]:
        async def guarded(arg: str) -> None:
            fault = self._testbed._take_fault(name)
            if fault is None and self._needs_auth(name):
                await self.push("530 5.7.0 Authentication required")
            elif fault is None:
                await method(arg)
            elif fault.drop_in_data:
                await self.push("354 End data with <CR><LF>.<CR><LF>")
                await self._reader.readuntil(b"\r\n")
                await self._hang_up()
            else:
                await self.push(f"{fault.code} {fault.text}")
                if fault.code == 421:
                    await self._hang_up()

        return guarded

    async def _hang_up(self) -> None:
        if self.transport is not None:
            self.transport.close()
        # Yield so connection_lost runs before aiosmtpd reads buffered lines as commands.
        await asyncio.sleep(0.01)

    def _needs_auth(self, command: str) -> bool:
        # Enforced here rather than with aiosmtpd's auth_required, which warns on every
        # connection when AUTH is allowed without TLS (as the testbed does, for simple tests).
        return (
            self._testbed.require_auth
            and not (self.session is not None and self.session.authenticated)
            and command in {"MAIL", "RCPT", "DATA"}
        )

    async def auth_XOAUTH2(self, _: SMTP, args: list[str]) -> AuthResult:
        """XOAUTH2 as Gmail speaks it; a refused token gets a 334 JSON error, then 535."""
        # Usually the initial response (AUTH XOAUTH2 <base64>); else asked for with "334 ".
        blob = _b64(args[1]) if len(args) > 1 else await self.challenge_auth("")
        login = _parse_xoauth2(blob) if isinstance(blob, bytes) else None
        if login is None:
            if isinstance(blob, bytes) or len(args) > 1:  # MISSING: "501 ..." was already sent
                await self.push("501 5.5.2 Cannot decode the XOAUTH2 response")
            return AuthResult(success=False, handled=True)
        result = self._authenticate("XOAUTH2", login)
        if result.success:
            return result
        # Gmail's error details; the client must answer with an empty line before the verdict.
        reply = await self.challenge_auth(_GMAIL_ERROR)
        if not isinstance(reply, bytes):  # "*" or bad base64: "501 ..." was already sent
            return AuthResult(success=False, handled=True)
        self._testbed.xoauth2_error_replies.append(reply)
        return AuthResult(success=False, handled=False, message=_GMAIL_REFUSAL)


class _Listener(Controller):
    def __init__(self, server: SmtpServer, handler: _Recorder, port: int, starttls: bool) -> None:
        self._testbed = server
        self._starttls = starttls
        ssl_context = None if starttls else server.tls.server_context()
        super().__init__(handler, hostname=LOOPBACK, port=port, ssl_context=ssl_context)

    def factory(self) -> SMTP:
        # Read the switches per connection, so a test can flip them without a restart.
        return _FaultySMTP(
            self._testbed,
            self.handler,
            hostname="testbed.localhost",
            authenticator=self._testbed.authenticate,
            auth_require_tls=False,
            tls_context=self._testbed.tls.server_context() if self._starttls else None,
            require_starttls=self._starttls and self._testbed.require_starttls,
        )
