"""The user's own words in a reply: quoted history, client headers and signatures removed (pure).

Top-posted replies end where the quoted request begins ("On ... wrote:", "Am ... schrieb",
"Le ... a écrit", Outlook's "From:/Sent:" block, "-----Original Message-----", a line of
underscores). A reply written *between* the quoted lines keeps its answers, and a quoted heading
still tells which section the answers below it belong to. Signatures end the text at "-- ",
"Sent from my iPhone" and the like, or at a sign-off ("Thanks,", "Best") among the last lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION_END = re.compile(r"(wrote|schrieb|a écrit|escribió|ha scritto|schreef)\s*:?\s*$", re.I)
_ATTRIBUTION_WORD = re.compile(r"\b(wrote|schrieb|a écrit|escribió|ha scritto|schreef)\b", re.I)
_ATTRIBUTION_START = re.compile(r"^(on|am|le|el|il|op)\s", re.I)
_SEPARATORS = re.compile(
    r"^(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|forwarded message"
    r"|weitergeleitete nachricht|message transféré)\s*-{2,}|_{10,}|begin forwarded message:?)$",
    re.I,
)
_FORWARDED = re.compile(
    r"^(-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré)\s*-{2,}"
    r"|begin forwarded message:?)$",
    re.I,
)
_HEADER_FROM = re.compile(r"^\*?(from|von|de)\s?\*?:", re.I)
_HEADER_NEXT = re.compile(
    r"^\*?(sent|date|gesendet|datum|envoyé|to|an|à|subject|betreff|objet)\s?\*?:", re.I
)
_DEVICE = re.compile(
    r"^(sent from (my )?\S.{0,40}|sent with \S.{0,40}|get outlook for \S.{0,20}|"
    r"envoyé de mon \S.{0,30}|von meinem \S.{0,30} gesendet|gesendet von meinem \S.{0,30}|"
    r"sent from mail for windows.{0,20}|download outlook for \S.{0,20})$",
    re.I,
)
_SIGNOFFS = frozenset({
    "thanks", "thank you", "thx", "ta", "best", "best wishes", "cheers", "regards",
    "best regards", "kind regards", "warm regards", "all the best", "talk soon", "speak soon",
    "many thanks", "love", "xx", "x",
    "viele grüße", "viele grüsse", "liebe grüße", "beste grüße", "grüße", "gruß", "lg", "vg",
    "mit freundlichen grüßen", "danke", "bis bald",
    "merci", "cordialement", "bien à vous", "bien à toi", "à bientôt", "bises", "bisous",
    "amitiés", "bonne journée", "merci beaucoup",
})
_POSTSCRIPT = re.compile(r"^p\.\s?s\.?:?\s+|^ps:\s*", re.I)
_SIGNATURE_TAIL = 6  # a sign-off counts only among this many last lines


@dataclass(frozen=True)
class Line:
    """One line of the reply: its text without quote marks, and whether it was quoted."""

    text: str
    quoted: bool


def _unquote(raw: str) -> Line:
    stripped = raw.strip()
    if not stripped.startswith(">"):
        return Line(stripped, False)
    return Line(stripped.lstrip("> ").strip(), True)


def _is_attribution(lines: list[Line], i: int) -> bool:
    text = lines[i].text
    if len(text) > 400:
        return False
    dated = "@" in text or any(ch.isdigit() for ch in text)  # not "On the call she wrote:"
    if _ATTRIBUTION_END.search(text):
        return dated and (bool(_ATTRIBUTION_START.match(text)) or "@" in text)
    if _ATTRIBUTION_START.match(text) and text.endswith(":") and _ATTRIBUTION_WORD.search(text):
        return dated
    nxt = lines[i + 1].text if i + 1 < len(lines) else ""
    return (
        bool(_ATTRIBUTION_START.match(text))
        and len(nxt) < 200
        and bool(_ATTRIBUTION_END.search(nxt))
        and ("@" in text + nxt or any(ch.isdigit() for ch in text))
    )


def _is_header_block(lines: list[Line], i: int) -> bool:
    if not _HEADER_FROM.match(lines[i].text):
        return False
    return any(_HEADER_NEXT.match(line.text) for line in lines[i + 1 : i + 5])


def _answers_inline(lines: list[Line], start: int) -> bool:
    """True when the user wrote between the quoted lines after ``start`` (an inline reply)."""
    seen_quote = False
    for line in lines[start:]:
        if line.quoted:
            seen_quote = True
        elif seen_quote and line.text and not _DEVICE.match(line.text) and line.text != "--":
            return True
    return False


def _forwarded_body(lines: list[Line], i: int) -> list[Line] | None:
    """A reply that is only a forwarded debrief: the forwarded text after its header block."""
    if not _FORWARDED.match(lines[i].text) or any(line.text for line in lines[:i]):
        return None
    j = i + 1
    while j < min(len(lines), i + 12) and (
        not lines[j].text or _HEADER_FROM.match(lines[j].text) or _HEADER_NEXT.match(lines[j].text)
    ):
        j += 1
    return _cut_history(lines[j:], forwarded=False)


def _cut_history(lines: list[Line], *, forwarded: bool = True) -> list[Line]:
    for i, line in enumerate(lines):
        if line.quoted:
            continue
        if forwarded and (body := _forwarded_body(lines, i)) is not None:
            return body
        if _SEPARATORS.match(line.text) or _is_header_block(lines, i):
            return lines[:i]
        if _is_attribution(lines, i):
            if _answers_inline(lines, i + 1):
                skip = 2 if not _ATTRIBUTION_END.search(line.text) else 1
                return lines[:i] + lines[i + skip :]
            return lines[:i]
    return lines


def _is_signoff(words: str) -> bool:
    """ "Cheers", "Best regards", or one followed by a name on the same line ("LG Jo")."""
    if words.lower() in _SIGNOFFS:  # lower(), not casefold(): "Grüße" keeps its ß
        return True
    parts = words.replace(",", " ").split()
    return any(
        " ".join(parts[:n]).lower() in _SIGNOFFS
        and 1 <= len(parts) - n <= 2
        and all(word[:1].isupper() for word in parts[n:])
        for n in (1, 2, 3)
    )


def _cut_signature(lines: list[Line]) -> list[Line]:
    for i, line in enumerate(lines):
        if not line.quoted and (found := _POSTSCRIPT.match(line.text)):
            # "Thanks, Jo" then "P.S. she offered...": the sign-off goes, the P.S. stays
            rest = Line(line.text[found.end() :].strip(), False)
            return [*_cut_tail(lines[:i]), rest, *_cut_tail(lines[i + 1 :])]
    return _cut_tail(lines)


def _cut_tail(lines: list[Line]) -> list[Line]:
    for i, line in enumerate(lines):
        if not line.quoted and (line.text in ("--", "-- ", "__") or _DEVICE.match(line.text)):
            lines = lines[:i]
            break
    filled = [i for i, line in enumerate(lines) if line.text and not line.quoted]
    for i in filled[-_SIGNATURE_TAIL:]:
        short_tail = all(len(line.text.split()) <= 4 for line in lines[i:] if not line.quoted)
        if short_tail and _is_signoff(lines[i].text.strip(" ,.!-–—")):
            return lines[:i]
    if filled and re.match(r"^[-–—~]\s?\w+$", lines[filled[-1]].text):
        return lines[: filled[-1]]  # "-Sam"
    return lines


def reply_lines(text: str, *, max_lines: int) -> list[Line]:
    """The lines the user wrote (quoted ones kept, marked), history and signature removed."""
    lines = [_unquote(raw[:2000]) for raw in text.splitlines()[:max_lines]]
    return _cut_signature(_cut_history(lines))
