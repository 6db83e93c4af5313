"""Bulk UID FETCH over raw imaplib with our own parser (imap-tools' parsing is the slow part)."""

from __future__ import annotations

import imaplib
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from coffeechat.integrations.imap import stream

log = logging.getLogger(__name__)

# The literal is requested last so every other item comes before it on the same line.
HEADER_ITEMS = "(UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER])"
# What a sync needs: FLAGS and INTERNALDATE cost the server and us ~20% more and go unused there.
LEAN_HEADER_ITEMS = "(UID RFC822.SIZE BODY.PEEK[HEADER])"


MAX_UID = 2**32 - 1

_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_USUAL_ORDER = re.compile(rb'UID (\d+) RFC822\.SIZE (\d+) FLAGS \(([^)]*)\) INTERNALDATE "([^"]+)"')
_LEAN_ORDER = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)")
_MONTHS = {
    m.encode(): i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_MONTH_NAMES = {i: m.decode() for m, i in _MONTHS.items()}


@dataclass(frozen=True, slots=True)
class HeaderItem:
    """One message's header block and metadata, as fetched without touching its flags."""

    uid: int
    size: int
    flags: tuple[str, ...]
    header: bytes
    internaldate: datetime | None


@dataclass(frozen=True, slots=True)
class FullItem:
    """One whole message (RFC 822 bytes)."""

    uid: int
    raw: bytes


def full_items(max_bytes: int) -> str:
    """Return the FETCH items for whole messages, capped server-side at max_bytes."""
    # A partial fetch bounds memory even if a caller passes a UID whose size it did not check.
    return f"(UID RFC822.SIZE BODY.PEEK[]<0.{max_bytes}>)"


def normalise_uids(uids: Iterable[int]) -> list[int]:
    """Return the UIDs sorted and de-duplicated; refuse values that are not valid UIDs."""
    unique = sorted(set(uids))
    if unique and (unique[0] < 1 or unique[-1] > MAX_UID):
        raise ValueError("UIDs must be between 1 and 2**32-1")
    return unique


def chunks(uids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    """Yield consecutive slices of at most size UIDs."""
    if size < 1:
        raise ValueError("chunk must be at least 1")
    for start in range(0, len(uids), size):
        yield uids[start : start + size]


def sequence_set(uids: Sequence[int]) -> str:
    """Render sorted UIDs as a compact IMAP sequence set ("1:5,9,12:14")."""
    parts: list[str] = []
    start = prev = uids[0]
    for uid in uids[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev > start else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if prev > start else str(start))
    return ",".join(parts)


def imap_date(day: date) -> str:
    """Format a date as IMAP's d-Mon-yyyy, independent of the process locale."""
    return f"{day.day}-{_MONTH_NAMES[day.month]}-{day.year}"


def parse_search(data: Sequence[object]) -> list[int]:
    """Return the UIDs of a (UID) SEARCH response."""
    found: list[int] = []
    for item in data:
        if isinstance(item, bytes) and item:
            found.extend(map(int, item.split()))
    return found


def records(data: Sequence[object]) -> Iterator[tuple[bytes, bytes]]:
    """Yield (attribute text, literal) per message of a FETCH response with one literal each."""
    pending: tuple[bytes, bytes] | None = None
    for item in data:
        if isinstance(item, tuple):
            if pending is not None:
                yield pending
            pending = (item[0], item[1])
        elif isinstance(item, bytes) and pending is not None:
            # The line after a literal closes the message, possibly with more attributes.
            if item != b")":
                pending = (pending[0] + b" " + item, pending[1])
            yield pending
            pending = None
        # Anything else is an unsolicited FETCH (flag change) without our literal: skip it.
    if pending is not None:
        yield pending


def parse_headers(data: Sequence[object], *, lean: bool = False) -> Iterator[HeaderItem]:
    """Turn a UID FETCH HEADER_ITEMS (or, lean, LEAN_HEADER_ITEMS) response into HeaderItems."""
    if lean:
        yield from _parse_lean(data)
        return
    flag_cache: dict[bytes, tuple[str, ...]] = {}
    for attrs, literal in records(data):
        # One regex for the order Dovecot (and most servers) answer in; else item by item.
        match = _USUAL_ORDER.search(attrs)
        if match is not None:
            uid, size, raw_flags, date = match.groups()
        else:
            uid, size, raw_flags, date = _each_item(attrs)
            if uid is None:
                continue
        flags = flag_cache.get(raw_flags)
        if flags is None:
            flags = flag_cache[raw_flags] = tuple(raw_flags.decode("utf-8", "replace").split())
        yield HeaderItem(
            int(uid),
            int(size) if size else len(literal),
            flags,
            literal,
            parse_internaldate(date) if date else None,
        )


def _parse_lean(data: Sequence[object]) -> Iterator[HeaderItem]:
    for attrs, literal in records(data):
        match = _LEAN_ORDER.search(attrs)
        if match is not None:
            uid, size = match.groups()
        else:
            uid, size, _, _ = _each_item(attrs)
            if uid is None:
                continue
        yield HeaderItem(int(uid), int(size) if size else len(literal), (), literal, None)


def _each_item(attrs: bytes) -> tuple[bytes | None, bytes | None, bytes, bytes | None]:
    uid, size = _UID.search(attrs), _SIZE.search(attrs)
    flags, date = _FLAGS.search(attrs), _DATE.search(attrs)
    return (
        uid.group(1) if uid else None,
        size.group(1) if size else None,
        flags.group(1) if flags else b"",
        date.group(1) if date else None,
    )


def parse_full(data: Sequence[object], max_bytes: int) -> Iterator[FullItem]:
    """Turn a UID FETCH full_items() response into FullItems, skipping oversized messages."""
    for attrs, literal in records(data):
        uid = _UID.search(attrs)
        if uid is None:
            continue
        size = _SIZE.search(attrs)
        if size is not None and int(size.group(1)) > max_bytes:
            # The caller filters by size first; this only guards against a truncated body.
            log.warning(
                "skipped UID %s: %s bytes exceeds max_bytes %s",
                uid.group(1).decode(),
                size.group(1).decode(),
                max_bytes,
            )
            continue
        yield FullItem(uid=int(uid.group(1)), raw=literal)


_zones: dict[bytes, timezone] = {}


def parse_internaldate(text: bytes) -> datetime | None:
    """Parse ' 5-Nov-2024 18:45:00 +0100' quickly (strptime costs ~10x); None if malformed."""
    try:
        # RFC 3501 fixes every field's width (the day is space-padded): slice, don't split.
        if len(text) != 26 or text[2:3] != b"-" or text[20:21] != b" ":
            return _parse_loose_date(text)
        zone = text[21:26]
        return datetime(
            int(text[7:11]),
            _MONTHS[text[3:6]],
            int(text[0:2]),
            int(text[12:14]),
            int(text[15:17]),
            int(text[18:20]),
            tzinfo=_zone(zone),
        )
    except (ValueError, KeyError):
        return None


def _parse_loose_date(text: bytes) -> datetime:
    day, month, rest = text.strip().split(b"-", 2)
    year, clock, zone = rest.split(b" ")
    hour, minute, second = clock.split(b":")
    return datetime(
        int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=_zone(zone)
    )


def _zone(zone: bytes) -> timezone:
    tz = _zones.get(zone)
    if tz is None:
        if len(zone) != 5 or zone[:1] not in (b"+", b"-"):
            raise ValueError("bad zone")
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        tz = _zones[zone] = timezone(-offset if zone[:1] == b"-" else offset)
    return tz


def uid_fetch(client: imaplib.IMAP4, uids: Sequence[int], items: str) -> tuple[str, list[object]]:
    """Run one UID FETCH and return imaplib's (typ, data), read by our faster reader."""
    return stream.read_uid_fetch(client, stream.send_uid_fetch(client, sequence_set(uids), items))
