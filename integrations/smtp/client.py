"""Submitting one message over SMTP: TLS policy, login, and a transaction whose outcome we know.

The DATA phase is driven by hand rather than with ``smtplib.sendmail`` so that a broken connection
can be told apart: before the final ``CRLF.CRLF`` left us the server cannot have accepted the
message (transient); after it, without an answer, nobody knows (:class:`SmtpOutcomeUnknown`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Literal, overload

from coffeechat.integrations.imap import Credential
from coffeechat.integrations.secrets import SecretUnavailable
from coffeechat.integrations.smtp.errors import (
    SmtpAuthFailed,
    SmtpCredentialUnavailable,
    SmtpError,
    SmtpOutcomeUnknown,
    SmtpPlaintextRefused,
    SmtpTlsFailure,
    SmtpTransient,
    SmtpUnreachable,
    connect_error,
    reply_error,
    server_text,
)
from coffeechat.integrations.tls import verifying_context

Security = Literal["ssl", "starttls", "plain"]
_DEFAULT_PORTS: dict[str, int] = {"ssl": 465, "starttls": 587, "plain": 25}
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_EOL = re.compile(rb"\r\n|\n|\r")


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how to submit mail; holds no secret."""

    host: str
    port: int | None
    security: Security
    username: str
    allow_plaintext: bool = False
    ca_file: Path | None = None
    timeout: float = 60.0
    # Sent as EHLO: an address literal, like desktop clients, instead of leaking our host name.
    helo_name: str = "[127.0.0.1]"

    @property
    def effective_port(self) -> int:
        """The configured port, or the submission port for the security mode."""
        return self.port if self.port is not None else _DEFAULT_PORTS[self.security]

    @property
    def where(self) -> str:
        """host:port, for messages."""
        return f"{self.host}:{self.effective_port}"


def is_loopback(host: str) -> bool:
    """True for 'localhost' and loopback IP literals (no DNS lookup)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def send(
    endpoint: SmtpEndpoint,
    credential: Callable[[], Credential] | None,
    message: EmailMessage,
    *,
    envelope_from: str,
    recipients: Sequence[str],
) -> None:
    """Submit message once; return only after the server's final 250, else raise an SmtpError."""
    if not recipients:
        raise ValueError("no recipients")
    data = _wire_bytes(message)
    client = _open(endpoint)
    try:
        if credential is not None:
            _login(client, endpoint, credential)
        _transaction(client, endpoint, data, envelope_from, recipients)
    finally:
        _close(client)


def _wire_bytes(message: EmailMessage) -> bytes:
    raw = message.as_bytes(policy=SMTP_POLICY)
    body = _LEADING_DOT.sub(b"..", _EOL.sub(b"\r\n", raw))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _context(endpoint: SmtpEndpoint) -> ssl.SSLContext:
    try:
        return verifying_context(endpoint.ca_file)
    except (OSError, ssl.SSLError) as err:
        raise SmtpTlsFailure(f"cannot load CA file {endpoint.ca_file}: {err}") from None


def _check_policy(endpoint: SmtpEndpoint) -> None:
    if endpoint.security != "plain":
        return
    if not endpoint.allow_plaintext or not is_loopback(endpoint.host):
        raise SmtpPlaintextRefused(
            f"refusing plaintext SMTP to {endpoint.host}: only a loopback test server with "
            'allow_plaintext may be used unencrypted; use security "ssl" or "starttls"'
        )


def _open(endpoint: SmtpEndpoint) -> smtplib.SMTP:
    """Connect, greet and secure the session (not yet logged in)."""
    _check_policy(endpoint)
    context = None if endpoint.security == "plain" else _context(endpoint)
    host, port, name = endpoint.host, endpoint.effective_port, endpoint.helo_name
    client: smtplib.SMTP | None = None
    try:
        if endpoint.security == "ssl":
            client = smtplib.SMTP_SSL(
                host, port, local_hostname=name, timeout=endpoint.timeout, context=context
            )
        else:
            client = smtplib.SMTP(host, port, local_hostname=name, timeout=endpoint.timeout)
        _ehlo(client, endpoint)
        if endpoint.security == "starttls":
            _starttls(client, endpoint, context)
        return client
    except SmtpError:
        if client is not None:
            _close(client)
        raise
    except (OSError, smtplib.SMTPException) as err:
        if client is not None:
            _close(client)
        raise connect_error(err, endpoint.where) from None


def _ehlo(client: smtplib.SMTP, endpoint: SmtpEndpoint) -> None:
    code, text = client.ehlo()
    if code == -1:
        raise SmtpUnreachable(f"{endpoint.where} closed the connection at EHLO")
    if not 200 <= code < 300:
        raise reply_error("ehlo", code, text, endpoint.where)


def _starttls(client: smtplib.SMTP, endpoint: SmtpEndpoint, context: ssl.SSLContext | None) -> None:
    if not client.has_extn("starttls"):
        raise SmtpTlsFailure(
            f"{endpoint.where} does not offer STARTTLS; refusing to continue unencrypted"
        )
    code, text = client.starttls(context=context)
    if code != 220:
        raise SmtpTlsFailure(f"STARTTLS with {endpoint.where} refused: {code} {server_text(text)}")
    _ehlo(client, endpoint)  # capabilities (AUTH among them) change once encrypted


def _login(
    client: smtplib.SMTP, endpoint: SmtpEndpoint, credential: Callable[[], Credential]
) -> None:
    failure = _authenticate(client, endpoint, credential)
    if failure is not None:
        # Raised outside the except block: smtplib frames (holding the secret) are not chained.
        raise failure


def _authenticate(
    client: smtplib.SMTP, endpoint: SmtpEndpoint, credential: Callable[[], Credential]
) -> SmtpError | None:
    secret = ""
    try:
        resolved = credential()
        secret = resolved.secret
        if resolved.kind == "xoauth2":
            answer = f"user={endpoint.username}\x01auth=Bearer {secret}\x01\x01"
            client.auth("XOAUTH2", _Once(answer), initial_response_ok=True)
        else:
            client.login(endpoint.username, secret)
        return None
    except SecretUnavailable as err:  # the message names the reference, never the value
        return SmtpCredentialUnavailable(
            f"cannot read the login secret of {endpoint.username!r} for {endpoint.where}: {err}"
        )
    except smtplib.SMTPServerDisconnected:
        return SmtpTransient(f"{endpoint.where} closed the connection during login")
    except smtplib.SMTPResponseException as err:
        text = server_text(err.smtp_error, secret=secret)
        if 400 <= err.smtp_code < 500 and err.smtp_code != 454:
            return SmtpTransient(f"{endpoint.where} deferred the login: {err.smtp_code} {text}")
        return SmtpAuthFailed(
            f"{endpoint.where} refused the login of {endpoint.username!r}: {err.smtp_code} {text}"
        )
    except smtplib.SMTPException as err:  # no AUTH offered, no common mechanism
        return SmtpAuthFailed(f"cannot log in to {endpoint.where}: {server_text(str(err))}")
    except OSError as err:
        return SmtpTransient(f"connection to {endpoint.where} broke during login: {err}")
    finally:
        # smtplib keeps user and password on the client after login().
        client.user = client.password = ""


class _Once:
    """SASL answer for the first round; later rounds (error details) get an empty line."""

    def __init__(self, response: str) -> None:
        self._response = response

    def __repr__(self) -> str:
        return "_Once(***)"

    @overload
    def __call__(self, challenge: None = None, /) -> str | None: ...
    @overload
    def __call__(self, challenge: bytes, /) -> str: ...
    def __call__(self, challenge: bytes | None = None, /) -> str | None:
        response, self._response = self._response, ""
        return response


def _transaction(
    client: smtplib.SMTP,
    endpoint: SmtpEndpoint,
    data: bytes,
    envelope_from: str,
    recipients: Sequence[str],
) -> None:
    where = endpoint.where
    try:
        _expect("mail", client.mail(envelope_from), where)
        for rcpt in recipients:
            # All or nothing: one refused recipient fails the message (no partial delivery).
            _expect("rcpt", client.rcpt(rcpt), where)
        _expect("data", client.docmd("DATA"), where, ok=354)
        client.send(data)
    except (smtplib.SMTPServerDisconnected, OSError) as err:
        raise SmtpTransient(
            f"connection to {where} broke before the message was complete: {type(err).__name__}"
        ) from None
    # From here the server holds the whole message; only its answer tells whether it took it.
    try:
        code, text = client.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as err:
        raise SmtpOutcomeUnknown(
            f"{where} received the whole message but gave no answer ({type(err).__name__}): "
            "it may or may not have been sent"
        ) from None
    if code == -1:
        raise SmtpOutcomeUnknown(f"{where} gave no answer after the message: unknown outcome")
    if code != 250:
        raise reply_error("data", code, text, where)


def _expect(stage: str, reply: tuple[int, bytes], where: str, ok: int = 250) -> None:
    code, text = reply
    if code == -1:
        raise smtplib.SMTPServerDisconnected(stage)
    if code != ok and not (stage == "rcpt" and code == 251):
        raise reply_error(stage, code, text, where)


def _close(client: smtplib.SMTP) -> None:
    client.user = client.password = ""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        client.quit()
    with contextlib.suppress(OSError):
        client.close()
