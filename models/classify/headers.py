"""Cheap, defensive decoding of the few header fields the rules need."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from email.header import Header, decode_header
from email.utils import getaddresses, parsedate_to_datetime

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.classify.budget import (
    ADDRESSES_PER_FIELD,
    ENCODED_WORDS_PER_FIELD,
    FIELD_CAP,
    text_codec,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_MSGID = re.compile(r"<([^<>\s]{1,500})>")
_ADDR_SPEC = re.compile(r"^[^@\s<>()\[\]\\,;:\"]{1,200}@[A-Za-z0-9.\-\[\]:_]{1,255}$")
# The insides of a quoted string and of a comment; possessive, and matched once per opener (see
# _strip), as ``"(?:[^"\\]|\\.)*"`` would find them by sub() but without its quadratic restarts.
_QUOTED_BODY = re.compile(r'(?:[^"\\]|\\.)*+')
_COMMENT_BODY = re.compile(r"(?:[^()\\]|\\.)*+")
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
    # an allowed codec only: punycode & co. are quadratic, bz2 & co. are no text encodings
    for candidate in (text_codec(charset), "utf-8"):
        if not candidate:
            continue
        try:
            return chunk.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    # latin-1 maps every byte, so an unknown charset degrades to mojibake rather than an error
    return chunk.decode(_LATIN_FALLBACK)


def _within_budget(text: str, limit: int) -> str:
    """The head of a raw value that can yield ``limit`` characters: bounded bytes and words."""
    text = text[: max(4 * limit, 4096)]
    start = 0
    for _ in range(ENCODED_WORDS_PER_FIELD):
        start = text.find("=?", start) + 2
        if start < 2:
            return text
    return text[: start - 2]  # decode_header's cost grows faster than its word count


def decode_value(raw: object, limit: int = 998) -> str:
    """Decode an RFC 2047 header value of any charset into clean text; never raises."""
    if raw is None:
        return ""
    if isinstance(raw, Header):
        # compat32 wraps raw 8-bit header bytes (RFC 6532 UTF-8, common in practice) in a
        # Header whose str() is U+FFFD soup; its chunks keep the original bytes.
        with contextlib.suppress(Exception):  # malformed chunks: the lossy text below
            chunks = decode_header(raw)[:ENCODED_WORDS_PER_FIELD]
            text = "".join(_decode_chunk(c[: 4 * limit], cs) for c, cs in chunks)
            return clean(text[: 4 * limit], limit)
    text = _within_budget(str(raw), limit)
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


_SIMPLE_PIECE = 400
# The display name may hold an '@' ("jane@example.com <mallory@evil.example>", invalid but sent):
# it stays the name, never becomes an address (the '@' count then marks the field ambiguous).
_SIMPLE_ONE = re.compile(
    r'^\s*(?:"([^"\\]*)"|([^"<>,()\\;:]*?))?\s*<([^<>\s"(),;:@\\]+@[^<>\s"(),;:@\\]+)>\s*$'
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
            # the lazy name and \s* overlap: a long piece would make _SIMPLE_ONE quadratic
            found = _SIMPLE_ONE.match(piece) if len(piece) <= _SIMPLE_PIECE else None
            if found is None:
                return None
            quoted, bare, addr, alone = found.groups()
            pairs.append(((quoted or bare or "").strip(), addr or alone))
    return pairs


def _strip(text: str, opener: str, closer: str) -> str:
    """Text without its closed quoted strings (or comments), each opener tried at most once.

    A start that fails stops at a character its body cannot hold; every opener before that
    point was read as escaped by this start, so it would fail the same way and is skipped.
    """
    body = _QUOTED_BODY if opener == '"' else _COMMENT_BODY
    out: list[str] = []
    pos = 0
    while (start := text.find(opener, pos)) >= 0:
        found = body.match(text, start + 1)
        end = found.end() if found else start + 1
        if end < len(text) and text[end] == closer:
            out.append(text[pos:start])
            pos = end + 1
        else:
            out.append(text[pos:end])
            pos = max(end, start + 1)
    out.append(text[pos:])
    return "".join(out)


def _bounded_values(values: list[str], defects: list[str]) -> list[str]:
    """The values cut to FIELD_CAP characters in all, at an address boundary where possible."""
    kept: list[str] = []
    room = FIELD_CAP
    for value in values:
        if len(value) > room:
            cut = value.rfind(",", 0, room)
            kept.append(value[: max(cut, 0)])
            # what was not read could hold anything: the field is not to be trusted
            defects.extend(("too-long", "address-ambiguous"))
            break
        kept.append(value)
        room -= len(value)
    return kept


def parse_addresses(values: list[str]) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """Addresses (normalised), the first display name and defects for a list of header values.

    getaddresses in Python 3.11 can split ``a@x)<b@y>`` in two (CVE-2023-27043), so every
    '@' outside quoted strings and comments is counted too: more than the parsed addresses
    means the header is ambiguous and must not be trusted. At most FIELD_CAP characters and
    ADDRESSES_PER_FIELD addresses are read; more is a defect.
    """
    found: dict[str, None] = {}
    name = ""
    defects: list[str] = []
    values = _bounded_values(values, defects)
    try:
        pairs = _simple_pairs(values) or getaddresses(values)
    except Exception:  # malformed input can trip the stdlib parser
        pairs = []
        defects.append("address-unparseable")
    for display, addr in pairs:
        if not addr:
            continue
        if len(found) >= ADDRESSES_PER_FIELD:
            defects.append("too-many-addresses")
            break
        cleaned = clean(addr)
        normalised = normalise_address(cleaned)
        if not is_addr_spec(cleaned):
            defects.append("address-invalid")
        found.setdefault(normalised, None)
        if not name and display:
            name = decode_value(display, 200)
    at_signs = sum(_strip(_strip(v, '"', '"'), "(", ")").count("@") for v in values)
    if at_signs > sum(1 for _, addr in pairs if addr):
        defects.append("address-ambiguous")
    return tuple(found), name, tuple(dict.fromkeys(defects))


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
