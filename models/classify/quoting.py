"""Separating what a sender just wrote from the history their client quoted below it."""

from __future__ import annotations

import re

from coffeechat.models.classify.htmltext import html_to_text

__all__ = ["html_to_text", "new_text"]

# Attribution lines that introduce quoted history, in the languages we see most.
_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"On\b.{0,200}\bwrote:"  # Gmail, Apple Mail, Thunderbird
    r"|Am\b.{0,200}\bschrieb\b.{0,200}:"  # German
    r"|Le\b.{0,200}\ba\s+écrit\s*:"  # French
    r"|El\b.{0,200}\bescribió\s*:"  # Spanish
    r"|Den\b.{0,200}\bskrev\b.{0,200}:"  # Swedish
    r"|Op\b.{0,200}\bschreef\b.{0,200}:"  # Dutch
    r"|Il\b.{0,200}\bha\s+scritto\s*:"  # Italian
    r")\s*$",
    re.IGNORECASE,
)
# "On Mon, 5 Jan 2026 at 10:00, Jane Doe <" + "jane@example.com> wrote:" on the next line.
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Am|Le|El|Den|Op|Il)\s.{5,}$")
_WROTE_END = re.compile(r"(?:wrote|schrieb|écrit|escribió|skrev|schreef|scritto)\s*:?\s*$", re.I)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine"
    r"|Mensaje original|Ursprungligt meddelande|Oorspronkelijk bericht|Messaggio originale"
    r"|Forwarded message|Weitergeleitete Nachricht|Message transféré)\s*-{2,}"
    r"|Begin forwarded message:|_{20,})\s*$",
    re.IGNORECASE,
)
# Outlook puts a header block ("From: ... / Sent: ... / To: ... / Subject: ...") above the quote.
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Från|Van|Da)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Date|Enviado(?: el)?|Fecha|Skickat|Datum"
    r"|Verzonden|Inviato|Data|To|An|À|Para|Till|Aan|A|Subject|Betreff|Objet|Asunto|Ämne"
    r"|Onderwerp|Oggetto)\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^-- ?$")

_BLANKS = re.compile(r"\n{3,}")


def _is_outlook_block(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    following = [ln for ln in lines[index + 1 : index + 6] if ln.strip()]
    return sum(1 for ln in following[:4] if _OUTLOOK_NEXT.match(ln)) >= 2


def _starts_quote(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _ATTRIBUTION.match(line) or _SEPARATOR.match(line):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    # the length test first: _WROTE_END backtracks over a long run of spaces
    if len(line) + len(following) < 300 and _ATTRIBUTION_START.match(line):
        return bool(_WROTE_END.search(following))
    return _is_outlook_block(lines, index)


def new_text(plain: str, *, drop_signature: bool = False) -> str:
    """The lines a sender wrote themselves: before the first quote header, without '>' lines."""
    lines = plain.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _starts_quote(lines, index):
            break
        if drop_signature and _SIGNATURE.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return _BLANKS.sub("\n\n", "\n".join(kept)).strip()
