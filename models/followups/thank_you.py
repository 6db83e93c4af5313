"""What a thank-you says: the user's own words from the debrief, and thanks for an introduction.

Pure: the planner hands in the stored debrief fields, the people this contact suggested and the
days involved; this module returns the template's context. Only the fields meant for the contact
are ever read (``PUBLIC_FIELDS``: advice and people), and of the advice only what the user wrote
under an advice heading (a sentence the parser placed as advice from prose under no heading is
``unheaded_advice``, never quoted). What the user learned, promised, was offered, plans next, or
wrote under no heading stays private, whatever it says. Each line of advice is said back by
``phrasing`` ("you suggested I try the meetups"), or left out when it cannot be said to the
contact; a person is thanked for only when named (an address alone is not a name). At most two
specifics: two pieces of advice, or one and the first person suggested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from coffeechat.models.debrief.fields import PUBLIC_FIELDS
from coffeechat.models.followups.phrasing import Advice, phrase_advice
from coffeechat.models.text import clean_line

MAX_SPECIFICS = 2
_TRAILING = re.compile(r"[\s.!;,:]+$")


@dataclass(frozen=True)
class Suggested:
    """Someone the contact suggested talking to: a name, an address, or both."""

    name: str
    address: str | None = None


def has_content(fields: Mapping[str, Any] | None) -> bool:
    """Whether a stored debrief says anything at all (an empty answer is no answer)."""
    return bool(fields) and any(bool(v) for v in (fields or {}).values())


def public_advice(fields: Mapping[str, Any] | None) -> list[str]:
    """The advice lines written under an advice heading, cleaned, once each, in the user's order."""
    assert "advice" in PUBLIC_FIELDS
    unheaded = {_key(item) for item in _strings((fields or {}).get("unheaded_advice"))}
    seen: set[str] = set()
    out = []
    for item in _strings((fields or {}).get("advice")):
        text = _TRAILING.sub("", clean_line(item))
        key = _key(text)
        if text and key not in seen and key not in unheaded:
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
    contact_name: str = "",
) -> dict[str, object]:
    """The thank-you's own context: when, the advice to say back, the person to thank for.

    ``fields``: the meeting's stored debrief (None without one); ``suggested``: referrals this
    contact made before now (the debrief's people come first, duplicates dropped);
    ``contact_name``: whom it goes to (advice naming them in the third person is left out).
    """
    person = _first_person([*public_people(fields), *suggested])
    said = [phrase_advice(line, contact_name) for line in public_advice(fields)]
    advice = [a for a in said if a is not None][: MAX_SPECIFICS - (person is not None)]
    return {
        "when": when_said(meeting_day, send_day),
        "debrief": has_content(fields),
        "advice": [{"said": a.said, "thanked": a.thanked, "plan": a.plan} for a in advice],
        "thanked_for": thanked_for(advice),
        "plans": " ".join(a.plan for a in advice if a.plan),
        "person": person,
    }


def thanked_for(advice: Sequence[Advice]) -> str:
    """The advice after "thank you for": "suggesting I X and Y", "advising me not to X"."""
    if len(advice) < 2:
        return advice[0].thanked if advice else ""
    first, second = advice[:2]
    if first.negative == second.negative:
        joined = "or to" if first.negative else "and"
        return f"{first.thanked} {joined} {second.action}"
    return f"{first.thanked}, and for {second.thanked}"


def _first_person(people: Iterable[Suggested]) -> dict[str, object] | None:
    for person in people:
        name = clean_line(person.name)
        address = clean_line(person.address or "")
        # An address alone is no name to write in a letter: that person is left out.
        if name and "@" not in name:
            return {"name": name, "has_address": bool(address)}
    return None


def _key(text: str) -> str:
    return " ".join(_TRAILING.sub("", text).split()).casefold()


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
