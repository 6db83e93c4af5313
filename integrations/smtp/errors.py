"""Our SMTP error types, and the one place where smtplib/socket errors are translated into them.

Messages name the host and the server's (shortened) answer, never a secret. No smtplib object is
kept: after ``login()`` the client holds the password in ``.password``.
"""

from __future__ import annotations

import re
import smtplib
import ssl


class SmtpError(Exception):
    """Base of every SMTP edge error."""


class SmtpTransient(SmtpError):
    """The server said "try later" (4xx) or the connection broke before the message was complete."""


class SmtpOutcomeUnknown(SmtpError):
    """The whole message was handed over but no final answer came: it may or may not have gone."""


class SmtpRejected(SmtpError):
    """The server refused this message for good (5xx); ``stage`` says at which command."""

    def __init__(self, message: str, *, stage: str, code: int) -> None:
        super().__init__(message)
        self.stage = stage
        self.code = code


class SmtpAuthFailed(SmtpError):
    """The server refused our credentials or mechanism: no more sending until the user fixes it."""


class SmtpTlsFailure(SmtpError):
    """TLS could not be set up: untrusted certificate, handshake failure, STARTTLS not offered."""


class SmtpUnreachable(SmtpError):
    """No usable session: DNS, refused connection, timeout, or a server refusing us at greeting."""


class SmtpCredentialUnavailable(SmtpUnreachable):
    """Our own login secret could not be read (env, keyring, token command): no AUTH was tried.

    Unlike a refused login it does not pause sending: the server never saw a bad credential,
    so trying again later (a token helper back online, a variable set) costs nothing.
    """


class SmtpPlaintextRefused(SmtpTlsFailure):
    """Plaintext SMTP was configured where it is not allowed."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def server_text(data: bytes | str, limit: int = 200, *, secret: str = "") -> str:
    """A short single-line rendering of a server answer, with any echoed secret masked."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if secret and secret in text:
        text = text.replace(secret, "***")
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit] + "..."


def connect_error(err: BaseException, where: str) -> SmtpError:
    """Classify an exception raised while opening or securing a connection."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return SmtpTlsFailure(f"TLS certificate of {where} not trusted: {err.verify_message}")
    if isinstance(err, ssl.SSLError):
        return SmtpTlsFailure(f"TLS handshake with {where} failed: {err.reason or err}")
    if isinstance(err, TimeoutError):
        return SmtpUnreachable(f"SMTP server {where} did not answer in time")
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return SmtpUnreachable(f"SMTP server {where} closed the connection at once")
    if isinstance(err, smtplib.SMTPResponseException):
        return reply_error("greeting", err.smtp_code, err.smtp_error, where)
    if isinstance(err, OSError):
        return SmtpUnreachable(f"cannot reach SMTP server {where}: {err.strerror or err}")
    return SmtpUnreachable(f"cannot talk to SMTP server {where}: {type(err).__name__}")


def reply_error(stage: str, code: int, text: bytes | str, where: str) -> SmtpError:
    """The error for a non-success reply at ``stage`` (greeting, ehlo, mail, rcpt, data)."""
    said = f"{code} {server_text(text)}"
    if 400 <= code < 500:
        return SmtpTransient(f"{where} answered {stage.upper()} with {said} (will retry)")
    if stage in ("greeting", "ehlo"):
        return SmtpUnreachable(f"{where} refused the session at {stage.upper()}: {said}")
    return SmtpRejected(
        f"{where} rejected the message at {stage.upper()}: {said}", stage=stage, code=code
    )
