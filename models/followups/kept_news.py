"""A kept promise or advice acted on, in words for the contact's next update (pure).

Only two texts may reach the contact: the advice as the debrief wrote it (a public field), said
back by ``phrasing`` (the one place that words advice for the contact), and the note the user
gave ``coffeechat done`` (written for this), verbatim. The promise's own text is the user's
private note to themselves and is never quoted. Nothing is invented:

- advice acted on: "You suggested I try the community meetups; NOTE" (", and I did." without a
  note); "don't X" becomes "You advised me not to X; NOTE" (", and I didn't.");
- advice ``phrasing`` cannot say back (a question, a remark about someone, "patience"): the
  NOTE alone, or nothing without one;
- a kept promise: the NOTE as it is; nothing without one (a line that cannot say what was done
  would only be vague).

An empty line is no news: ``news_lines`` leaves it out. A line the contact already had (a line
of an earlier email) is not told again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coffeechat.models.followups.phrasing import phrase_advice
from coffeechat.models.followups.promises import Item, ItemKind


def advice_words(advice: str, contact: str = "") -> tuple[str, str] | None:
    """The advice as a sentence opening said to ``contact``, and how it ends without a note."""
    said = phrase_advice(advice, contact)
    if said is None:
        return None
    opening = f"{said.said[0].upper()}{said.said[1:]}"
    return opening, (", and I didn't." if said.negative else ", and I did.")


def news_line(kind: ItemKind, text: str, note: str, contact: str = "") -> str:
    """One item of news (``""`` when there is nothing to say): a kept promise (``text``
    unused) or advice acted on, with the note."""
    note = note.strip()
    words = advice_words(text, contact) if kind == ItemKind.ADVICE else None
    if words is None:
        return _sentence(note) if note else ""
    clause, without = words
    return f"{clause}; {_sentence(note)}" if note else f"{clause}{without}"


def news_lines(items: Sequence[Item], told: Iterable[str] = ()) -> list[str]:
    """The lines for ``items``, each once, leaving out any already in ``told`` (earlier mail)."""
    # Compared line by line (a bullet's "- " aside): a short note is not "told" merely because
    # its words occur inside some longer sentence.
    seen = {_same(line.strip().removeprefix("- ")) for text in told for line in text.splitlines()}
    lines = []
    for item in items:
        line = news_line(item.kind, item.text, item.note, item.contact_name or "")
        if line and _same(line) not in seen:
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


def _same(text: str) -> str:
    return " ".join(text.split()).casefold()
