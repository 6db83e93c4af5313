"""Cheap, defensive decoding of the few header fields the rules need."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from email.header import Header, decode_header
from email.utils import getaddresses, parsedate_to_datetime

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_MSGID = re.compile(r"<([^<>\s]{1,500})>")
_ADDR_SPEC = re.compile(r"^[^@\s<>()\[\]\\,;:\"]{1,200}@[A-Za-z0-9.\-\[\]:_]{1,255}$")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")
_LATIN_FALLBACK = "latin-1"


def unsurrogate(text: str) -> str:
    """Text with compat32's surrogate-escaped raw bytes decoded (UTF-8, else Latin-1)."""
    # left as surrogates they would break printing, JSON and every \w regex
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "replace").decode("utf-8")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode(_LATIN_FALLBACK)
    return text


def clean(text: str, limit: int = 998) -> str:
    """Strip control characters (CR/LF too) and squeeze whitespace, so values are safe to echo."""
    text = unsurrogate(text)
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()[:limit]


def _decode_chunk(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return chunk.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    # latin-1 maps every byte, so an unknown charset degrades to mojibake rather than an error
    return chunk.decode(_LATIN_FALLBACK)


def decode_value(raw: object, limit: int = 998) -> str:
    """Decode an RFC 2047 header value of any charset into clean text; never raises."""
    if raw is None:
        return ""
    if isinstance(raw, Header):
        # compat32 wraps raw 8-bit header bytes (RFC 6532 UTF-8, common in practice) in a
        # Header whose str() is U+FFFD soup; its chunks keep the original bytes.
        with contextlib.suppress(Exception):  # malformed chunks: the lossy text below
            return clean("".join(_decode_chunk(c, cs) for c, cs in decode_header(raw)), limit)
    text = str(raw)
    if "=?" not in text:
        return clean(text, limit)
    try:
        pieces = decode_header(text)
    except Exception:  # the stdlib raises several types on malformed encoded-words
        return clean(text, limit)
    out: list[str] = []
    for chunk, charset in pieces:
        out.append(_decode_chunk(chunk, charset))
    # decode_header drops the whitespace between an encoded word and plain text
    joined = "".join(out) if all(isinstance(c, bytes) for c, _ in pieces) else " ".join(out)
    return clean(joined, limit)


def message_ids(raw: object, limit: int = 100) -> tuple[str, ...]:
    """Message-IDs in a header value, as ``<id>`` strings in order, without duplicates."""
    if raw is None:
        return ()
    seen: dict[str, None] = {}
    for found in _MSGID.findall(str(raw)):
        seen.setdefault(f"<{found}>", None)
        if len(seen) >= limit:
            break
    return tuple(seen)


def first_message_id(raw: object) -> str | None:
    """The first Message-ID in a header value, or None."""
    found = message_ids(raw, limit=1)
    return found[0] if found else None


def is_addr_spec(addr: str) -> bool:
    """True for something shaped like local@domain (no spaces, brackets or extra @)."""
    return bool(_ADDR_SPEC.match(addr))


_SIMPLE_ONE = re.compile(
    r'^\s*(?:"([^"\\]*)"|([^"<>,@()\\;:]*?))?\s*<([^<>\s"(),;:@\\]+@[^<>\s"(),;:@\\]+)>\s*$'
    r'|^\s*([^<>\s"(),;:@\\]+@[^<>\s"(),;:@\\]+)\s*$'
)


def _simple_pairs(values: list[str]) -> list[tuple[str, str]] | None:
    """(name, addr) pairs when every address is in a plain form, else None for getaddresses.

    The stdlib parser costs most of a message's parsing time; most headers are this simple.
    """
    pairs: list[tuple[str, str]] = []
    for value in values:
        if '"' in value and value.count('"') != 2:
            return None
        for piece in value.split(","):
            found = _SIMPLE_ONE.match(piece)
            if found is None:
                return None
            quoted, bare, addr, alone = found.groups()
            pairs.append(((quoted or bare or "").strip(), addr or alone))
    return pairs


def parse_addresses(values: list[str]) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """Addresses (lower-cased), the first display name and defects for a list of header values.

    getaddresses in Python 3.11 can split ``a@x)<b@y>`` in two (CVE-2023-27043), so every
    '@' outside quoted strings and comments is counted too: more than the parsed addresses
    means the header is ambiguous and must not be trusted.
    """
    addrs: list[str] = []
    name = ""
    defects: list[str] = []
    try:
        pairs = _simple_pairs(values) or getaddresses(values)
    except Exception:  # malformed input can trip the stdlib parser
        pairs = []
        defects.append("address-unparseable")
    for display, addr in pairs:
        if not addr:
            continue
        lowered = clean(addr).lower()
        if not is_addr_spec(lowered):
            defects.append("address-invalid")
        if lowered not in addrs:
            addrs.append(lowered)
        if not name and display:
            name = decode_value(display, 200)
    at_signs = sum(_COMMENT.sub("", _QUOTED.sub("", v)).count("@") for v in values)
    if at_signs > sum(1 for _, addr in pairs if addr):
        defects.append("address-ambiguous")
    return tuple(addrs), name, tuple(defects)


def parse_date(raw: object) -> datetime | None:
    """An aware datetime from a Date header, or None when absent, invalid or naive."""
    if raw is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is not None:
        return parsed
    # "-0000" is UTC with the sender's zone unknown (RFC 5322 3.3); no zone at all is unknowable
    return parsed.replace(tzinfo=UTC) if "-0000" in str(raw) else None
