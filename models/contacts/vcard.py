"""A small vCard 2.1/3.0/4.0 reader: just the properties a contact needs.

Handles folded lines, property groups (``item1.EMAIL``), parameters in either style
(``TYPE=work`` and 2.1's bare ``;INTERNET``), quoted-printable and backslash escapes.
"""

from __future__ import annotations

import quopri
import re

from coffeechat.models.contacts.importing import ContactRow, ParseResult, RowError, split_emails
from coffeechat.models.text import clean_line

_UNESCAPE = re.compile(r"\\(.)")
# The properties a contact is made of; others (PHOTO, KEY, SOUND: often megabytes) are skipped
# before their value is decoded.
_WANTED = frozenset(
    {"FN", "N", "EMAIL", "ORG", "URL", "X-SOCIALPROFILE", "CATEGORIES", "TITLE", "ROLE"}
    | {"NOTE", "TZ"}
)


def _unescape(value: str) -> str:
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _unfold(text: str) -> list[tuple[int, str]]:
    """Join continuation lines; keep each logical line's first physical line number.

    Linear in the input: each logical line collects its pieces in a list joined once, since
    repeated string concatenation made a 20 MB folded PHOTO quadratic.
    """
    out: list[tuple[int, str]] = []
    pieces: list[str] = []
    start, quoted_printable = 0, False

    def close() -> None:
        if pieces:
            out.append((start, "".join(pieces)))

    for number, raw in enumerate(text.splitlines(), start=1):
        if pieces and raw[:1] in (" ", "\t"):
            pieces.append(raw[1:])
        elif pieces and quoted_printable and pieces[-1].endswith("="):
            pieces[-1] = pieces[-1][:-1]  # 2.1 soft line break
            pieces.append(raw)
        else:
            close()
            pieces, start = [raw], number
            head = raw.partition(":")[0].upper()
            quoted_printable = "QUOTED-PRINTABLE" in head or "ENCODING=QP" in head
    close()
    return out


def _property_name(line: str) -> str:
    head = line[: line.find(":")]
    return head.split(";", 1)[0].rsplit(".", 1)[-1].upper()


def _split_property(line: str) -> tuple[str, dict[str, str], str]:
    head, _, value = line.partition(":")
    name, *params = head.split(";")
    name = name.rsplit(".", 1)[-1].upper()  # drop the group prefix
    parsed: dict[str, str] = {}
    for param in params:
        key, eq, val = param.partition("=")
        parsed[key.upper() if eq else "TYPE"] = val if eq else key
    if parsed.get("ENCODING", "").upper() in ("QUOTED-PRINTABLE", "QP"):
        charset = parsed.get("CHARSET", "utf-8")
        try:
            value = quopri.decodestring(value.encode("latin-1", "replace")).decode(
                charset, "replace"
            )
        except LookupError:
            value = quopri.decodestring(value.encode("latin-1", "replace")).decode(
                "utf-8", "replace"
            )
    return name, parsed, value


def parse_vcards(text: str) -> ParseResult:
    """Parse every VCARD in ``text``; cards without name or valid email become errors."""
    result = ParseResult()
    card: dict[str, list[str]] | None = None
    start = 0
    for number, line in _unfold(text):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            card, start = {}, number
        elif upper == "END:VCARD" and card is not None:
            row = _card_to_row(card, start)
            (result.errors if isinstance(row, RowError) else result.rows).append(row)  # type: ignore[arg-type]
            card = None
        elif card is not None and ":" in line:
            if _property_name(line) not in _WANTED:
                continue
            name, _params, value = _split_property(line)
            card.setdefault(name, []).append(value)
    if card is not None:
        result.errors.append(RowError(start, "card has no END:VCARD"))
    return result


def _card_to_row(card: dict[str, list[str]], line: int) -> ContactRow | RowError:
    def first(key: str) -> str:
        return clean_line(_unescape(card[key][0])) if card.get(key) else ""

    name = first("FN")
    if not name and card.get("N"):
        parts = [_unescape(p) for p in re.split(r"(?<!\\);", card["N"][0])]
        name = clean_line(" ".join(p for p in (parts[1:2] + parts[:1]) if p))
    emails: list[str] = []
    for value in card.get("EMAIL", []):
        good, bad = split_emails(_unescape(value).removeprefix("mailto:"))
        if bad:
            return RowError(line, f"invalid email address {bad[0]!r}")
        emails.extend(good)
    if not name and not emails:
        return RowError(line, "card has neither FN/N nor EMAIL")
    org = re.split(r"(?<!\\);", card["ORG"][0])[0] if card.get("ORG") else ""
    urls = [_unescape(u) for u in card.get("URL", []) + card.get("X-SOCIALPROFILE", [])]
    linkedin = next((u for u in urls if "linkedin.com" in u.lower()), "")
    tags = (
        tuple(t.strip() for t in _unescape(card["CATEGORIES"][0]).split(",") if t.strip())
        if (card.get("CATEGORIES"))
        else ()
    )
    return ContactRow(
        line=line,
        name=name or emails[0],
        emails=tuple(dict.fromkeys(emails)),
        company=clean_line(_unescape(org)),
        role=first("TITLE") or first("ROLE"),
        linkedin_url=linkedin if linkedin.lower().startswith(("https://", "http://")) else "",
        tags=tags,
        notes=_unescape(card["NOTE"][0]).strip() if card.get("NOTE") else "",
        timezone=first("TZ") if "/" in first("TZ") else "",
    )
