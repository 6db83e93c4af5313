"""Opening an IMAP session: endpoint and credential types, TLS policy, login."""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from imap_tools import BaseMailBox
from imap_tools.errors import UnexpectedCommandStatusError

from coffeechat.integrations.imap.errors import (
    AuthenticationFailed,
    ConnectionDropped,
    CredentialUnavailable,
    MailboxError,
    PlaintextRefused,
    TlsFailure,
    connect_error,
    server_text,
    translated,
)
from coffeechat.integrations.secrets import SecretUnavailable
from coffeechat.integrations.tls import verifying_context

Security = Literal["ssl", "starttls", "plain"]
_DEFAULT_PORTS: dict[str, int] = {"ssl": 993, "starttls": 143, "plain": 143}


@dataclass(frozen=True)
class ImapEndpoint:
    """Where and how to connect; holds no secret."""

    host: str
    port: int | None
    security: Security
    username: str
    allow_plaintext: bool = False
    ca_file: Path | None = None
    timeout: float = 30.0

    @property
    def effective_port(self) -> int:
        """Return the configured port, or the standard one for the security mode."""
        return self.port if self.port is not None else _DEFAULT_PORTS[self.security]


@dataclass(frozen=True)
class Credential:
    """A password or an OAuth2 access token; never shown by repr() or str()."""

    kind: Literal["password", "xoauth2"]
    secret: str = field(repr=False)

    def __str__(self) -> str:
        return repr(self)


class _Session(BaseMailBox):
    """imap-tools mailbox around a client we connected (and secured) ourselves."""

    def __init__(self, client: imaplib.IMAP4) -> None:
        self._prepared = client
        super().__init__()

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        return self._prepared


def is_loopback(host: str) -> bool:
    """Return True for 'localhost' and loopback IP literals (no DNS lookup)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_policy(endpoint: ImapEndpoint) -> None:
    """Raise PlaintextRefused unless the endpoint encrypts, or is an allowed loopback plaintext."""
    if endpoint.security != "plain":
        return
    if not endpoint.allow_plaintext:
        raise PlaintextRefused(
            f"refusing plaintext IMAP to {endpoint.host}: set allow_plaintext for a loopback "
            'test server, or use security "ssl" or "starttls"'
        )
    if not is_loopback(endpoint.host):
        raise PlaintextRefused(
            f"refusing plaintext IMAP to {endpoint.host}: it is not a loopback address, and the "
            'password would cross the network unencrypted; use security "ssl" or "starttls"'
        )


def tls_context(endpoint: ImapEndpoint) -> ssl.SSLContext:
    """Return a verifying client context, trusting endpoint.ca_file when given."""
    try:
        return verifying_context(endpoint.ca_file)
    except (OSError, ssl.SSLError) as err:
        raise TlsFailure(f"cannot load CA file {endpoint.ca_file}: {err}") from err


def open_session(endpoint: ImapEndpoint) -> _Session:
    """Connect and secure the channel (not yet logged in); errors become MailboxError."""
    check_policy(endpoint)
    host, port = endpoint.host, endpoint.effective_port
    context = None if endpoint.security == "plain" else tls_context(endpoint)
    try:
        client = _raw_client(endpoint, port, context)
    except MailboxError:
        raise
    except (OSError, imaplib.IMAP4.error, EOFError) as err:
        raise connect_error(err, host, port) from err
    # Small commands (IDLE's DONE, APPEND's literal) should not wait for Nagle.
    with contextlib.suppress(OSError):
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return _Session(client)


def _raw_client(endpoint: ImapEndpoint, port: int, context: ssl.SSLContext | None) -> imaplib.IMAP4:
    if endpoint.security == "ssl":
        assert context is not None
        return imaplib.IMAP4_SSL(endpoint.host, port, ssl_context=context, timeout=endpoint.timeout)
    client = imaplib.IMAP4(endpoint.host, port, timeout=endpoint.timeout)
    if endpoint.security == "starttls":
        if "STARTTLS" not in client.capabilities:
            _discard(client)
            raise TlsFailure(
                f"{endpoint.host}:{port} does not offer STARTTLS; refusing to continue unencrypted"
            )
        try:
            client.starttls(context)  # re-reads capabilities over TLS
        except imaplib.IMAP4.error as err:
            _discard(client)
            raise TlsFailure(f"STARTTLS with {endpoint.host}:{port} failed: {err}") from err
        except ssl.SSLError:
            _discard(client)
            raise
    return client


def login(session: _Session, endpoint: ImapEndpoint, credential: Callable[[], Credential]) -> None:
    """Resolve the credential and log in; on failure close the session and raise."""
    failure = _authenticate(session, endpoint, credential)
    forget_commands(session.client)
    if failure is not None:
        _discard(session.client)
        # Raised here, outside any except block, so no imaplib exception (whose frames hold
        # the secret) is chained as __context__.
        raise failure


def _authenticate(
    session: _Session, endpoint: ImapEndpoint, credential: Callable[[], Credential]
) -> MailboxError | None:
    client = session.client
    secret = ""
    try:
        resolved = credential()
        secret = resolved.secret
        if resolved.kind == "xoauth2":
            auth = f"user={endpoint.username}\x01auth=Bearer {secret}\x01\x01"
            client.authenticate("XOAUTH2", _once(auth))
        elif (endpoint.username + secret).isascii():
            session.login(endpoint.username, secret, initial_folder=None)
        else:
            # LOGIN is ASCII-only in imaplib; SASL PLAIN carries UTF-8.
            auth = f"\x00{endpoint.username}\x00{secret}"
            client.authenticate("PLAIN", _once(auth))
        return None
    except SecretUnavailable as err:  # its message names the reference, never the value
        return CredentialUnavailable(
            f"cannot read the login secret of {endpoint.username!r} for {endpoint.host}: {err}"
        )
    except imaplib.IMAP4.abort as err:
        return ConnectionDropped(f"{endpoint.host} closed the connection during login: {err}")
    except (imaplib.IMAP4.error, UnexpectedCommandStatusError) as err:
        return _refused(endpoint, _login_text(err), secret)
    except OSError as err:
        return ConnectionDropped(
            f"connection to {endpoint.host} dropped during login: {type(err).__name__}"
        )
    finally:
        client.literal = None  # imaplib leaves the authenticator (and its secret) here on abort


def _login_text(err: Exception) -> str:
    if isinstance(err, UnexpectedCommandStatusError):
        return server_text(err.command_result[1])
    return server_text(str(err))


def _refused(endpoint: ImapEndpoint, text: str, secret: str) -> AuthenticationFailed:
    if secret and secret in text:  # a server echoing the secret must not make us leak it
        text = text.replace(secret, "***")
    return AuthenticationFailed(
        f"{endpoint.host} refused the login of {endpoint.username!r}: {text}"
    )


def _once(response: str) -> Callable[[bytes], bytes]:
    """SASL callback answering the first challenge; later ones (error details) get an empty line."""
    sent = False

    def answer(_challenge: bytes) -> bytes:
        nonlocal sent
        if sent:
            return b""
        sent = True
        return response.encode()

    return answer


def read_capabilities(session: _Session, endpoint: ImapEndpoint) -> frozenset[str]:
    """Ask for CAPABILITY again: servers announce more (or other) ones once logged in."""
    with translated("CAPABILITY", endpoint.host):
        typ, data = session.client.capability()
    if typ != "OK":
        return frozenset(str(word).upper() for word in session.client.capabilities)
    words = b" ".join(item for item in data if isinstance(item, bytes)).split()
    return frozenset(word.decode("ascii", "replace").upper() for word in words)


def forget_commands(client: imaplib.IMAP4) -> None:
    """Drop imaplib's debug log of recent commands, which includes the LOGIN line."""
    command_log = getattr(client, "_cmd_log", None)
    if isinstance(command_log, dict):
        command_log.clear()


def _discard(client: imaplib.IMAP4) -> None:
    forget_commands(client)
    with contextlib.suppress(OSError, imaplib.IMAP4.error, AttributeError):
        client.shutdown()


def discard(session: _Session) -> None:
    """Close the socket without a LOGOUT round trip."""
    _discard(session.client)
