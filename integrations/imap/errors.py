"""Our IMAP error types, and the one place where imaplib/socket errors are translated into them.

Messages name the host, folder or command, never a secret. Translation keeps no reference to the
imaplib client: its ``_cmd_log`` may hold the LOGIN line (docs/imap.md, "Connecting").
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from imap_tools.errors import UnexpectedCommandStatusError


class MailboxError(Exception):
    """Base of every IMAP edge error; ``transient`` says whether a retry may help."""

    transient: bool = False


class AuthenticationFailed(MailboxError):
    """The server refused the credentials (or the mechanism)."""


class CredentialUnavailable(MailboxError):
    """Our own login secret could not be read (env, keyring, token command): no login was tried."""


class TlsFailure(MailboxError):
    """TLS could not be set up: bad certificate, handshake failure, STARTTLS not offered."""


class HostUnreachable(MailboxError):
    """No IMAP session could be opened: DNS failure, connection refused, or connect timeout."""


class ConnectionDropped(MailboxError):
    """An open session broke (socket error, timeout, EOF, BYE); the only retryable error."""

    transient = True


class FolderNotFound(MailboxError):
    """The named folder does not exist on the server."""


class PlaintextRefused(MailboxError):
    """Plaintext IMAP was configured where it is not allowed."""


class CommandRejected(MailboxError):
    """The server answered a command with NO or BAD (not a missing folder)."""


# Server texts are echoed into messages for diagnosis; cap them and drop control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def server_text(data: object, limit: int = 200) -> str:
    """Return a short, single-line rendering of a server response for error messages."""
    if isinstance(data, list | tuple):
        data = b" ".join(item for item in data if isinstance(item, bytes))
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit] + "..."


def rejected(command: str, typ: str, data: object, folder: str | None = None) -> MailboxError:
    """Build the error for a NO/BAD answer: FolderNotFound when the server says it is missing."""
    text = server_text(data)
    if folder is not None and typ == "NO" and _says_missing(text):
        return FolderNotFound(f"folder {folder!r} does not exist ({text})")
    where = f" on folder {folder!r}" if folder is not None else ""
    return CommandRejected(f"IMAP {command}{where} refused: {typ} {text}")


def _says_missing(text: str) -> bool:
    upper = text.upper()
    return "NONEXISTENT" in upper or "TRYCREATE" in upper or "EXIST" in upper


@contextmanager
def translated(command: str, host: str, folder: str | None = None) -> Iterator[None]:
    """Translate errors raised inside an open session into MailboxError subclasses."""
    try:
        yield
    except MailboxError:
        raise
    except imaplib.IMAP4.abort as err:
        raise ConnectionDropped(
            f"connection to {host} dropped during {command}: {_abort_text(err)}"
        ) from err
    except (OSError, EOFError) as err:  # socket errors, timeouts, ssl.SSLError mid-session
        raise ConnectionDropped(
            f"connection to {host} dropped during {command}: {type(err).__name__}: {err}"
        ) from err
    except imaplib.IMAP4.error as err:  # BAD answers, which imaplib raises
        raise rejected(command, "BAD", str(err), folder) from err
    except UnexpectedCommandStatusError as err:
        typ, data = err.command_result[0], err.command_result[1]
        raise rejected(command, str(typ), data, folder) from err


def _abort_text(err: imaplib.IMAP4.abort) -> str:
    text = str(err)
    # imaplib quotes the broken line, which may be a piece of someone's mail: keep it out of logs.
    for marker in ("unterminated line", "unexpected response", "unexpected tagged response"):
        if marker in text:
            return marker
    return server_text(text)


def connect_error(err: BaseException, host: str, port: int) -> MailboxError:
    """Classify an exception raised while opening a connection (before login)."""
    where = f"{host}:{port}"
    if isinstance(err, ssl.SSLCertVerificationError):
        return TlsFailure(f"TLS certificate of {where} not trusted: {err.verify_message}")
    if isinstance(err, ssl.SSLError):
        return TlsFailure(f"TLS handshake with {where} failed: {err.reason or err}")
    if isinstance(err, TimeoutError):
        return HostUnreachable(f"IMAP server {where} did not answer in time")
    if isinstance(err, OSError):
        return HostUnreachable(f"cannot reach IMAP server {where}: {err.strerror or err}")
    if isinstance(err, imaplib.IMAP4.error):
        return HostUnreachable(
            f"IMAP server {where} did not greet properly: {server_text(str(err))}"
        )
    return MailboxError(f"cannot connect to {where}: {type(err).__name__}")
