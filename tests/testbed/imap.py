"""Small imaplib helpers shared by the Dovecot fixture."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredMessage:
    """One message as the server holds it."""

    uid: int
    flags: tuple[str, ...]
    raw: bytes


def quote_folder(folder: str) -> str:
    """Return folder as an IMAP quoted string."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_ok(typ: str, data: Sequence[object], what: str) -> None:
    """Raise RuntimeError unless an imaplib call answered OK."""
    if typ != "OK":
        raise RuntimeError(f"IMAP {what} failed: {typ} {data!r}")


def parse_fetch(data: list[object]) -> list[StoredMessage]:
    """Turn a UID FETCH (UID FLAGS BODY[]) answer into messages sorted by UID."""
    found: list[StoredMessage] = []
    for item in data:
        # Literal responses come as (b'1 (UID 5 FLAGS (\\Seen) BODY[] {123}', b'raw...').
        if not isinstance(item, tuple):
            continue
        head, raw = item[0].decode(), item[1]
        uid = int(head.split("UID ", 1)[1].split()[0])
        # \Recent depends on which session looked first: leave it out of comparisons.
        flags = tuple(
            flag
            for flag in head.split("FLAGS (", 1)[1].split(")", 1)[0].split()
            if flag != "\\Recent"
        )
        found.append(StoredMessage(uid, flags, raw))
    return sorted(found, key=lambda message: message.uid)
