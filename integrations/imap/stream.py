"""Reading a bulk UID FETCH answer faster than imaplib does, and sending it ahead of reading.

imaplib handles every response line in Python with several regular expressions and a debug-log
entry; over 10,000 headers that is most of the client's CPU time. Here the shape of a bulk answer
(an untagged FETCH whose line ends in a literal, then a closing line) is cut out of the bytes
already in the read buffer, a bufferful at a time, or with plain buffered reads when one straddles
the buffer's end. Any other line (the tagged completion, EXISTS, BYE, a FETCH without a literal)
goes through imaplib's own ``_get_response``, so it is handled exactly as imaplib would, and the
data comes back in imaplib's own shape: the test suite compares the two byte for byte.
"""

from __future__ import annotations

import imaplib
import io
import re
from typing import cast

# imaplib's cap on one line (imaplib._MAXLINE) and its test for a line ending in a literal.
_MAXLINE = 1_000_000
_LITERAL = re.compile(rb".*{(?P<size>\d+)}$", re.ASCII)


def send_uid_fetch(client: imaplib.IMAP4, sequence: str, items: str) -> bytes:
    """Send ``UID FETCH sequence items`` without waiting for the answer; return its tag."""
    tag: bytes = client._command("UID", "FETCH", sequence, items)
    return tag


def read_uid_fetch(client: imaplib.IMAP4, tag: bytes) -> tuple[str, list[object]]:
    """Read the answer to the UID FETCH sent as tag; return (typ, data) as imaplib.uid() would."""
    file = client.file if isinstance(client.file, io.BufferedReader) else None
    data: list[object] = []
    client._check_bye()
    while client.tagged_commands[tag] is None:
        if file is not None:
            used = _take_buffered(file.peek(1), data)
            if used:
                file.read(used)  # consumed: already filed in data
                continue
            head = _literal_fetch_line(file)
            if head is not None:
                _read_literals(client, file, head, data)
                continue
        client._get_response()
        # imaplib files FETCH data under untagged_responses; move it here, in order.
        data += client.untagged_responses.pop("FETCH", [])
        client._check_bye()
    # imaplib stores (typ, [text]) here although typeshed declares a list.
    typ, text = cast(tuple[str, list[bytes]], client.tagged_commands.pop(tag))
    if typ == "BAD":
        raise client.error(f"UID FETCH command error: {typ} {text!r}")
    return typ, data


def _take_buffered(buf: bytes, data: list[object]) -> int:
    """File the whole FETCH-with-one-literal answers at the start of buf; return bytes used."""
    pos = 0
    while True:
        head = _fetch_head(buf, pos)
        if head is None:
            return pos
        dat, size, start = head
        stop = start + size
        # imaplib reads the closing line up to "\n" and insists on "\r\n" before it.
        close = buf.find(b"\n", stop)
        if close <= stop or buf[close - 1] != 13:
            return pos
        trailer = buf[stop : close - 1]
        if trailer.endswith(b"}") and _LITERAL.match(trailer):
            return pos  # another literal follows: left to _read_literals
        data.append((dat, buf[start:stop]))
        data.append(trailer)
        pos = close + 1


def _fetch_head(buf: bytes, pos: int) -> tuple[bytes, int, int] | None:
    """For a ``* n FETCH (...{size}`` line at pos: (what imaplib files, size, literal start)."""
    end = buf.find(b"\n", pos)
    # Like imaplib's readline, a line ends at the first "\n"; it must be "\r\n" and a literal.
    if end < pos + 3 or buf[end - 1] != 13 or buf[end - 2] != 125 or buf[pos : pos + 2] != b"* ":
        return None
    space = buf.find(b" ", pos + 2, end)
    if space < 0 or not buf[pos + 2 : space].isdigit() or buf[space + 1 : space + 7] != b"FETCH ":
        return None
    brace = buf.rfind(b"{", pos, end)
    size = buf[brace + 1 : end - 2]
    if brace < 0 or not size.isdigit():
        return None
    # imaplib drops the word FETCH: "* 12 FETCH (UID 5 ... {200}" is filed as "12 (UID 5 ... {200}".
    return buf[pos + 2 : space + 1] + buf[space + 7 : end - 1], int(size), end + 1


def _literal_fetch_line(file: io.BufferedReader) -> bytes | None:
    """The next line, if it is ``* n FETCH (...{size}`` and wholly buffered; else None.

    Only looks (peek): nothing is consumed, so None leaves the line for imaplib.
    """
    buffered = file.peek(1)
    head = _fetch_head(buffered, 0)
    return None if head is None else head[0]


def _read_literals(
    client: imaplib.IMAP4, file: io.BufferedReader, head: bytes, data: list[object]
) -> None:
    """Consume one untagged FETCH whose first line filed as head (dat), as imaplib would."""
    file.readline(_MAXLINE + 1)  # the line _literal_fetch_line saw, CRLF included
    dat = head
    while True:
        size = int(dat[dat.rfind(b"{") + 1 : -1])
        literal = file.read(size)
        if len(literal) != size:
            raise client.abort("socket error: EOF")
        data.append((dat, literal))
        dat = _line(client, file)
        if not (dat.endswith(b"}") and _LITERAL.match(dat)):
            break
    data.append(dat)


def _line(client: imaplib.IMAP4, file: io.BufferedReader) -> bytes:
    """One response line without its CRLF, checked the way imaplib checks it."""
    line = file.readline(_MAXLINE + 1)
    if not line:
        raise client.abort("socket error: EOF")
    if len(line) > _MAXLINE:
        raise client.error(f"got more than {_MAXLINE} bytes")
    if not line.endswith(b"\r\n"):
        raise client.abort("socket error: unterminated line")
    return line[:-2]
