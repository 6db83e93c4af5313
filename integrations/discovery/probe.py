"""Trying a found server before any password is typed: connect, secure the channel, greet.

No login happens here; the full check (with the secret) is connect's. A failure carries a
hint naming the flag that would change what was tried, e.g. a TLS handshake answered in
plain text (WRONG_VERSION_NUMBER) means the port wants STARTTLS.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path

from coffeechat.integrations.discovery.servers import Server
from coffeechat.integrations.tls import verifying_context


@dataclass(frozen=True)
class Tried:
    """One server tried: whether it answered as it should, and if not why and what to try."""

    server: Server
    ok: bool
    detail: str = ""
    hint: str = ""


def security_hint(protocol: str, err: BaseException | str) -> str:
    """The flag to try when a TLS handshake met a server speaking plain text, or the reverse."""
    text = str(err)
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text.lower():
        return f"this port answers in plain text: try --{protocol}-security starttls"
    if "STARTTLS" in text and "not supported" in text.lower():
        return f"no STARTTLS offered here: try --{protocol}-security ssl (usually port " + (
            "993)" if protocol == "imap" else "465)"
        )
    return ""


def probe(server: Server, ca_file: Path | None, timeout: float) -> Tried:
    """Connect to server, secure it as it says, and read its capabilities."""
    try:
        context = verifying_context(ca_file)
        if server.protocol == "imap":
            _imap(server, context, timeout)
        else:
            _smtp(server, context, timeout)
    except ssl.SSLCertVerificationError as err:
        detail = f"certificate not trusted: {err.verify_message}"
        return Tried(server, False, detail, "give the server's CA with --ca-file")
    except (OSError, imaplib.IMAP4.error, smtplib.SMTPException, EOFError) as err:
        detail = _describe(err)
        return Tried(server, False, detail, security_hint(server.protocol, detail))
    return Tried(server, True)


def _describe(err: BaseException) -> str:
    if isinstance(err, ssl.SSLError):
        return f"TLS handshake failed: {err.reason or err}"
    if isinstance(err, TimeoutError):
        return "no answer in time"
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    return f"{type(err).__name__}: {str(err)[:200]}"


def _imap(server: Server, context: ssl.SSLContext, timeout: float) -> None:
    client: imaplib.IMAP4
    if server.security == "ssl":
        client = imaplib.IMAP4_SSL(server.host, server.port, ssl_context=context, timeout=timeout)
    else:
        client = imaplib.IMAP4(server.host, server.port, timeout=timeout)
        if server.security == "starttls":
            if "STARTTLS" not in client.capabilities:
                client.shutdown()
                raise imaplib.IMAP4.error("STARTTLS not supported by the server")
            client.starttls(context)
    try:
        client.capability()
    finally:
        client.shutdown()


def _smtp(server: Server, context: ssl.SSLContext, timeout: float) -> None:
    client: smtplib.SMTP
    if server.security == "ssl":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        client.ehlo()
        if server.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
    finally:
        client.close()


def probe_first(
    servers: tuple[Server, ...], ca_file: Path | None, timeout: float
) -> tuple[Server | None, list[Tried]]:
    """The first server that answers properly, and every try that failed before it."""
    failed: list[Tried] = []
    for server in servers:
        tried = probe(server, ca_file, timeout)
        if tried.ok:
            return server, failed
        failed.append(tried)
    return None, failed
