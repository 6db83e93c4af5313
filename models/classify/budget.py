"""The budget every message is held to: caps on what is read, and the charsets we decode with.

An attacker chooses a message's size, shape and declared charsets. Every cap here bounds the
work one message can cost whatever it holds; past a cap we read less (and say so in a defect),
and past the header cap we read nothing and call the message unreadable, with the reason.
"""

from __future__ import annotations

import codecs
import re

HEADER_BLOCK_CAP = 1_000_000  # bytes up to the first blank line; beyond: unreadable
FIELD_CAP = 32_768  # characters of one address field (From, To, Cc) that are parsed
ADDRESSES_PER_FIELD = 100
PARAM_FIELD_CAP = (
    8_192  # bytes of one Content-Type or Content-Disposition field; beyond: unreadable
)
PARAMS_PER_FIELD = 100
ENCODED_WORDS_PER_FIELD = 64
BODY_PARSE_CAP = 2_000_000  # bytes of a message given to the MIME parser; the rest is not read
MAX_LINE_BREAKS = 200_000  # CR or LF given to the MIME parser (2 MB of base64 holds ~52,000)
TEXT_CAP = 512_000  # bytes of one text part that are decoded
NEW_TEXT_CAP = 100_000  # characters of a text searched for where the quoted history starts
BLANK_LINES_KEPT = 20

# Only codecs that decode text in linear time from a charset a mail client could have meant.
# punycode and idna are quadratic or label-based, the *_escape codecs interpret backslashes,
# and bytes-to-bytes codecs (bz2, zlib, base64, rot13...) are no charsets at all.
_TEXT_CODEC = re.compile(
    r"utf_(?:8|8_sig|16|16_be|16_le|32|32_be|32_le|7)|ascii|latin_1|iso8859_\d{1,2}"
    r"|cp\d{3,5}|mac_\w+|koi8_\w|kz1048|ptcp154|hp_roman8|tis_620|gb2312|gbk|gb18030|hz"
    r"|big5|big5hkscs|euc_(?:jp|jis_2004|jisx0213|kr)|iso2022_\w+|johab|shift_jis\w*"
)


def text_codec(charset: str | None) -> str | None:
    """The codec name to decode a declared charset with, or None when it is not allowed."""
    if not charset or len(charset) > 60:
        return None
    try:
        name = codecs.lookup(charset.strip().strip('"')).name.replace("-", "_")
    except (LookupError, ValueError, TypeError):
        return None
    return name if _TEXT_CODEC.fullmatch(name) else None


def decode_text(data: bytes, charset: str | None) -> str:
    """Text from bytes in a declared charset, only through an allowed codec; never raises."""
    for candidate in (text_codec(charset), "utf-8", "windows-1252"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1")


# A run of more than BLANK_LINES_KEPT blank lines (any Unicode whitespace, as \s reads it: a line
# of U+3000 is as blank to ``^\s*`` as an empty one), anchored on "\n" so each attempt starts at a
# line end and the scan stays linear. Rules that read a line start as ``^\s*`` would otherwise
# cross the whole run from every line in it.
_BLANK_RUN = re.compile(rf"\n(?:[^\S\n]*\n){{{BLANK_LINES_KEPT + 1},}}")


def bound_blank_runs(text: str) -> str:
    """Text whose runs of blank lines are cut to BLANK_LINES_KEPT lines."""
    if text.count("\n") <= BLANK_LINES_KEPT:
        return text
    return _BLANK_RUN.sub("\n" * (BLANK_LINES_KEPT + 1), text)
