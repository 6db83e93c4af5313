"""IMAP IDLE (RFC 2177) with our own loop: whole lines only, keep-alives ignored, DONE always sent.

imap-tools' idle.wait() returns on keep-alives and reads from a non-blocking socket, which broke
lines apart on some servers (docs/imap.md, "Push"); this reads a response only once it starts
to arrive.
"""

from __future__ import annotations

import imaplib
import io
import select
import ssl
import time
from collections.abc import Callable
from typing import cast

from coffeechat.integrations.imap.errors import CommandRejected, ConnectionDropped, server_text

MAX_IDLE_SECONDS = 29 * 60
_NEWS = ("EXISTS", "RECENT")

imaplib.Commands.setdefault("IDLE", ("AUTH", "SELECTED"))


def has_news(client: imaplib.IMAP4) -> bool:
    """Return True when the server has announced new messages since untagged data was cleared."""
    return any(client.untagged_responses.get(name) for name in _NEWS)


def check_timeout(timeout: float) -> None:
    """Refuse timeouts beyond RFC 2177's advice to re-issue IDLE within 29 minutes."""
    if not 0 <= timeout <= MAX_IDLE_SECONDS:
        raise ValueError(f"IDLE timeout must be between 0 and {MAX_IDLE_SECONDS} s")


# How often an IDLE that waits long looks at interrupted(): locally, without a server command.
CHECK_SECONDS = 1.0


def idle(
    client: imaplib.IMAP4,
    host: str,
    timeout: float,
    interrupted: Callable[[], bool] | None = None,
) -> bool:
    """IDLE until EXISTS/RECENT arrives (True) or timeout passes (False); leave IDLE cleanly.

    interrupted() is asked about once a second: True ends the IDLE early (a stop request).
    """
    check_timeout(timeout)
    tag = client._command("IDLE")
    while client._get_response() is not None:  # None is the "+ idling" continuation
        refused = _completion(client, tag)
        if refused is not None:
            raise CommandRejected(f"IDLE refused by {host}: {refused[0]} {server_text(refused[1])}")
    deadline = time.monotonic() + timeout
    ended = False
    while not has_news(client):
        _check_bye(client, host)
        if interrupted is not None and interrupted():
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not _wait_readable(client, min(left, CHECK_SECONDS)):
            continue
        client._get_response()
        if client.tagged_commands.get(tag):
            ended = True  # the server ended IDLE itself
            break
    _check_bye(client, host)
    if not ended:
        client.send(b"DONE\r\n")
        while not client.tagged_commands.get(tag):
            client._get_response()
    completion = _completion(client, tag)
    if completion is None or completion[0] != "OK":
        text = server_text(completion[1]) if completion else ""
        raise CommandRejected(f"IDLE ended badly on {host}: {text}")
    return has_news(client)


def _completion(client: imaplib.IMAP4, tag: bytes) -> tuple[str, list[bytes]] | None:
    """Pop and return (typ, data) once the tagged answer to tag has arrived."""
    if not client.tagged_commands.get(tag):
        return None
    # imaplib stores (typ, [data]) here although typeshed declares a plain list.
    done = cast(tuple[str, list[bytes]], client.tagged_commands.pop(tag))
    return done


def _check_bye(client: imaplib.IMAP4, host: str) -> None:
    if "BYE" in client.untagged_responses:
        text = server_text(client.untagged_responses["BYE"])
        raise ConnectionDropped(f"{host} closed the session: {text}")


def _wait_readable(client: imaplib.IMAP4, timeout: float) -> bool:
    """True once response bytes (or EOF) can be read, False when timeout passes first."""
    deadline = time.monotonic() + timeout
    while True:
        buffered = _peek(client)
        if buffered is None or buffered:
            return True  # data waiting, or EOF: the reader will raise for EOF
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        readable, _, _ = select.select([client.sock], [], [], remaining)
        if not readable:
            return False
        if not isinstance(client.sock, ssl.SSLSocket):
            return True
        # TLS: readable may mean half a record or a session ticket, not yet a line: peek again.


def _peek(client: imaplib.IMAP4) -> bytes | None:
    """Return bytes ready without blocking (b"" for none yet), or None at end of stream (TLS)."""
    sock = client.sock
    # imaplib reads through a buffered file: bytes already in it are invisible to select().
    previous = sock.gettimeout()
    sock.settimeout(0)
    try:
        data: bytes = cast(io.BufferedReader, client.file).peek(1)
    except (BlockingIOError, ssl.SSLWantReadError):
        return b""
    except OSError:
        return None
    finally:
        sock.settimeout(previous)
    if not data and isinstance(sock, ssl.SSLSocket):
        return None  # a non-blocking TLS read that returns nothing means the peer closed
    return data
