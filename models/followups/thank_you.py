"""What a thank-you says: the user's own words from the debrief, and thanks for an introduction.

Pure: the planner hands in the stored debrief fields, the people this contact suggested and the
days involved; this module returns the template's context. Only the fields meant for the contact
are ever read (``PUBLIC_FIELDS``: advice and people); what the user learned, promised, was
offered, plans next, or wrote under no heading stays private, whatever it says. Nothing is
invented: advice is quoted as the user wrote it (so what they will do with it appears exactly
when they wrote that on the same line), and a person is thanked for only when named. At most
two specifics: two pieces of advice, or one and the first person suggested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from coffeechat.models.debrief.fields import PUBLIC_FIELDS
from coffeechat.models.text import clean_line

# A piece of advice longer than this is not quoted (a thank-you is a few lines): the next one is.
MAX_ADVICE_CHARS = 600
MAX_SPECIFICS = 2
_TRAILING = re.compile(r"[\s.!;,:]+$")
_FIRST_WORD = re.compile(r"^([A-Z][a-z]*(?:'[a-z]+)?)\b")
# Words that start a sentence only because they start it: lowercased after "...: ". Anything
# else (a name, "I", an acronym) keeps its capital.
_OPENERS = """a an the this that these those it its there your you you're you'd you'll if when
    always never maybe perhaps just don't do try talk look go apply start get keep focus reach
    read build consider ask be join make find take use learn write avoid stop think spend check
    contact follow attend skip put send show practise practice prepare update email call meet
    reach network speak share tailor aim move stay work pick choose see give let lean spend
    not no more less most some any every each one two three"""
_PLAIN_OPENERS = frozenset(_OPENERS.split())


@dataclass(frozen=True)
class Suggested:
    """Someone the contact suggested talking to: a name, an address, or both."""

    name: str
    address: str | None = None


def has_content(fields: Mapping[str, Any] | None) -> bool:
    """Whether a stored debrief says anything at all (an empty answer is no answer)."""
    return bool(fields) and any(bool(v) for v in (fields or {}).values())


def public_advice(fields: Mapping[str, Any] | None) -> list[str]:
    """The advice lines of a stored debrief, cleaned, without duplicates, in the user's order."""
    assert "advice" in PUBLIC_FIELDS
    seen: set[str] = set()
    out = []
    for item in _strings((fields or {}).get("advice")):
        text = _TRAILING.sub("", clean_line(item))
        key = text.casefold()
        if text and key not in seen and len(text) <= MAX_ADVICE_CHARS:
            seen.add(key)
            out.append(text)
    return out


def public_people(fields: Mapping[str, Any] | None) -> list[Suggested]:
    """The people a stored debrief names (name and address only, never the user's note)."""
    assert "people" in PUBLIC_FIELDS
    raw = (fields or {}).get("people")
    out = []
    for person in raw if isinstance(raw, list) else []:
        if isinstance(person, Mapping):
            name, address = person.get("name"), person.get("address")
            out.append(Suggested(name if isinstance(name, str) else "",
                                 address if isinstance(address, str) else None))  # fmt: skip
    return out


def when_said(meeting_day: date, send_day: date) -> str:
    """The meeting's day as the reader sees it on ``send_day``: today, yesterday, on Friday."""
    days = (send_day - meeting_day).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    weekday = meeting_day.strftime("%A")
    return f"on {weekday}" if days < 7 else f"on {weekday} {meeting_day.day} {meeting_day:%B}"


def thank_you_context(
    fields: Mapping[str, Any] | None,
    suggested: Sequence[Suggested] = (),
    *,
    meeting_day: date,
    send_day: date,
) -> dict[str, object]:
    """The thank-you's own context: when, the advice to quote, the person to thank for.

    ``fields``: the meeting's stored debrief (None without one); ``suggested``: referrals this
    contact made before now (the debrief's people come first, duplicates dropped).
    """
    person = _first_person([*public_people(fields), *suggested])
    advice = public_advice(fields)[: MAX_SPECIFICS - (person is not None)]
    return {
        "when": when_said(meeting_day, send_day),
        "debrief": has_content(fields),
        "advice": [{"inline": _inline(a), "item": _item(a)} for a in advice],
        "person": person,
    }


def _first_person(people: Iterable[Suggested]) -> dict[str, object] | None:
    for person in people:
        name = clean_line(person.name)
        address = clean_line(person.address or "")
        if name or address:
            # Named by address alone, the address is the name: no "and how to reach them".
            return {"name": name or address, "has_address": bool(name and address)}
    return None


def _inline(text: str) -> str:
    """Advice to follow "...: " inside a sentence, ending the sentence."""
    match = _FIRST_WORD.match(text)
    if match and match.group(1).casefold() in _PLAIN_OPENERS:
        text = text[0].lower() + text[1:]
    return _end(text)


def _item(text: str) -> str:
    """Advice as a list item: a capital first letter and a full stop."""
    return _end(text[0].upper() + text[1:])


def _end(text: str) -> str:
    return text if text.endswith("?") else f"{text}."


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
