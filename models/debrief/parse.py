"""Reading a debrief reply: free text in, ``DebriefFields`` out (pure).

A placeholder that reads ``Heading:`` lines only; the tolerant parser replaces it.
"""

from __future__ import annotations

from datetime import date, timedelta

from coffeechat.models.debrief.fields import DebriefFields, PersonMention, PromiseMention

_HEADINGS = {
    "what i learned": "learned",
    "their advice": "advice",
    "people to talk to": "people",
    "what i promised": "promises",
    "what they offered": "offers",
    "next step": "next_step",
}


def parse_debrief(
    text: str, *, html: str | None = None, today: date, promise_days: int = 7
) -> DebriefFields:
    """Parse a debrief reply (plain text, or HTML when that is all there is)."""
    del html
    found: dict[str, list[str]] = {v: [] for v in _HEADINGS.values()}
    found["unplaced"] = []
    current = "unplaced"
    for raw in text.splitlines():
        line = raw.strip().lstrip("-*• ").strip()
        if not line or line.startswith(">"):
            continue
        head, _, rest = line.partition(":")
        if head.strip().lower() in _HEADINGS:
            current = _HEADINGS[head.strip().lower()]
            line = rest.strip()
            if not line:
                continue
        found[current].append(line)
    return DebriefFields(
        learned=tuple(found["learned"]),
        advice=tuple(found["advice"]),
        people=tuple(PersonMention(name=p) for p in found["people"]),
        promises=tuple(
            PromiseMention(p, today + timedelta(days=promise_days)) for p in found["promises"]
        ),
        offers=tuple(found["offers"]),
        next_step=tuple(found["next_step"]),
        unplaced=tuple(found["unplaced"]),
    )
