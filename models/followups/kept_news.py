"""A kept promise or advice acted on, in words for the contact's next update (pure).

Only two texts may reach the contact: the advice as the debrief wrote it (a public field) and
the note the user gave ``coffeechat done`` (written for this), verbatim. The promise's own
text is the user's private note to themselves and is never quoted. Nothing is invented:

- advice in the imperative ("try the community meetups"): "You suggested I try the community
  meetups; NOTE" ("..., and I did." without a note); "don't X" becomes "You advised me not to X";
- advice reported ("She recommended I pin my repos"): "You recommended I pin my repos; NOTE";
- their words in quotes: 'You told me "..."; NOTE' (whole, as quoted);
- anything else ("patience", another language): 'You suggested "patience"; NOTE';
- a kept promise: the NOTE as it is, or "I did what I said I would when we spoke." without one.

Advice is cut at its first ";" (what follows is usually the reason, about the contact in the
third person) and stripped of surrounding quotes. A line the contact already had (a line of an
earlier email) is not told again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from coffeechat.models.followups.promises import Item, ItemKind

KEPT_WITHOUT_NOTE = "I did what I said I would when we spoke."

# English verbs that open advice in the imperative ("learn dbt", "try the meetups").
_VERBS = """
    apply ask attend avoid be brush build bring check consider contact contribute do email
    emphasise emphasize find focus follow get go join keep lead learn let list look make
    meet mention message move network offer pick pin polish post practice practise prepare
    publish put reach read rewrite say see send share show sign specialise specialize speak
    start stay stop study take talk target tell think try update use visit volunteer watch
    work write
"""
IMPERATIVE = frozenset(_VERBS.split())
_NEGATIVE = re.compile(r"^(?:don'?t|don’t|do not|never)\s+(?P<rest>.+)$", re.IGNORECASE)
# "She recommended I pin my repos", "He advised me to target scale-ups", "they suggested ...".
_REPORTED = re.compile(
    r"^(?:she|he|they)\s+(?P<verb>suggested|recommended|advised|said|told me)\b\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
_QUOTES = "\"'“”‘’«»„ "


def advice_words(advice: str) -> tuple[str, str]:
    """The advice as a clause said back to the contact, and how it ends without a note."""
    said = advice.strip()
    if said[:1] in _QUOTES.strip():  # their own words, quoted: said back as a quote, whole
        words = " ".join(said.split()).strip(_QUOTES)
        if words:
            return f"You told me “{words}”", ", and I took it to heart."
    text = " ".join(said.split(";", 1)[0].split()).strip(_QUOTES).rstrip(".!,: ")
    if not text:
        return "You gave me some advice", ", and I took it."
    reported = _REPORTED.match(text)
    if reported:
        verb = reported["verb"].lower()
        rest = reported["rest"]
        return f"You {verb} {rest}", ", and I took your advice."
    negative = _NEGATIVE.match(text)
    first = text.split()[0].lower()
    if negative:
        return f"You advised me not to {_lower_first(negative['rest'])}", ", and I didn't."
    if first in IMPERATIVE:
        return f"You suggested I {_lower_first(text)}", ", and I did."
    return f"You suggested “{text}”", ", and I took your advice."


def news_line(kind: ItemKind, text: str, note: str) -> str:
    """One item of news: a kept promise (``text`` unused) or advice acted on, with the note."""
    note = note.strip()
    if kind == ItemKind.PROMISE:
        return _sentence(note) if note else KEPT_WITHOUT_NOTE
    clause, without = advice_words(text)
    return f"{clause}; {_sentence(note)}" if note else f"{clause}{without}"


def news_lines(items: Sequence[Item], told: Iterable[str] = ()) -> list[str]:
    """The lines for ``items``, each once, leaving out any already in ``told`` (earlier mail)."""
    # Compared line by line (a bullet's "- " aside): a short note is not "told" merely because
    # its words occur inside some longer sentence.
    seen = {_same(line.strip().removeprefix("- ")) for text in told for line in text.splitlines()}
    lines = []
    for item in items:
        line = news_line(item.kind, item.text, item.note)
        if _same(line) not in seen:
            seen.add(_same(line))
            lines.append(line)
    return lines


def _sentence(note: str) -> str:
    """The note verbatim, with a full stop when it has no closing punctuation (nor ends in an
    address or link, which a full stop would break)."""
    last = note.split()[-1]
    if note[-1:] in ".!?…)\"”'’" or "/" in last or "@" in last:
        return note
    return f"{note}."


def _lower_first(text: str) -> str:
    """Lower the first letter unless the word looks like a name or acronym ("AWS", "SQL")."""
    word = text.split()[0]
    if len(word) > 1 and word[1:].islower():
        return text[:1].lower() + text[1:]
    return text


def _same(text: str) -> str:
    return " ".join(text.split()).casefold()
