"""Small text helpers shared by the domain: safe one-line values for headers and tables."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean_line(value: str, *, limit: int = 998) -> str:
    """Collapse control characters (CR/LF included) to single spaces, trim, and cap length."""
    value = unicodedata.normalize("NFC", value)
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def slugify(value: str, *, limit: int = 60) -> str:
    """A file-name-safe ASCII slug: letters, digits and dashes only, never empty."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")[:limit].strip("-")
    return slug or "contact"
