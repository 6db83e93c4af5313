"""A second meeting's "last time" section in words: pure, every fact and the day passed in.

It opens with what the debrief of the last meeting holds (what the user learned, the advice
they got), then the promises to this person still open (due dates, overdue said plainly), then
what happened since (mail both ways, notes, people they introduced and what came of it). The
sheet is for the user alone, so private fields are fine here; what it says about coffeechat's
own mail (thank-yous, updates) is what coffeechat does. Whatever the store holds, the section
is bounded: a cap per part, each item shortened, and a character budget for the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from coffeechat.models.prep.context import Recap
from coffeechat.models.text import clean_line

EXCERPT = 160  # characters of one item
LEARNED = 3  # items per part
ADVICE = 3
PROMISES = 4
SINCE = 6
BUDGET = 3000  # characters of the whole section, lines and titles together
CUT = "(more is left out to keep this sheet short)"
_SENT = {
    "thank_you": "your thank-you went",
    "update": "your update went",
    "nudge": "a follow-up went",
    "outreach": "you wrote to them",
    "intro_request": "you asked them for an introduction",
}


@dataclass(frozen=True)
class Happened:
    """One thing since: a note (``note``, ``news``, ``news-told``), mail sent (its kind), reply."""

    at: datetime
    what: str
    text: str = ""


@dataclass(frozen=True)
class OpenPromise:
    """A promise to this person not marked done yet."""

    id: int
    text: str
    due: date | None = None


@dataclass(frozen=True)
class Introduced:
    """Someone this person suggested, accepted by the user: how far it went and when.

    ``stage`` is ``accepted``, ``contacted`` or ``met``; ``told`` says coffeechat's update has
    already told the introducer about the meeting.
    """

    name: str
    stage: str
    at: datetime
    told: bool = False


@dataclass(frozen=True)
class LastTime:
    """The facts the section is written from (history.py reads them from the store)."""

    met: datetime
    title: str = ""
    debriefed: bool = False
    learned: Sequence[str] = ()
    advice: Sequence[str] = ()
    promises: Sequence[OpenPromise] = ()
    open_promises: int = 0  # how many are open in all, when more than ``promises`` holds
    kept: Sequence[str] = ()  # promises from that debrief already marked done
    introduced: Sequence[Introduced] = ()
    happened: Sequence[Happened] = ()
    who: str = ""  # how to name the contact in a command ("Ada Lovelace" or "#7")


def describe_last_time(last: LastTime, zone: tzinfo, today: date) -> tuple[Recap, ...]:
    """The section's parts, in order, within BUDGET characters (``today`` in the user's zone)."""
    opening = f"You last met on {day(last.met, zone)}" + (
        f" ({last.title})." if last.title else "."
    )
    if not last.debriefed:
        opening += (
            f' You recorded no debrief of it (coffeechat debrief "{last.who}" adds one).'
            if last.who
            else " You recorded no debrief of it."
        )
    parts = [
        Recap("", (opening,)),
        Recap("What you learned", _capped(last.learned, LEARNED)),
        Recap("Their advice", _capped(last.advice, ADVICE)),
        Recap(
            "Your open promises to them",
            _promises(last.promises, max(last.open_promises, len(last.promises)), today),
        ),
        Recap("Since then", _since(last, zone)),
    ]
    return _within_budget([p for p in parts if p.lines])


def day(value: datetime | date, zone: tzinfo | None = None) -> str:
    """A day as the sheet writes it: Tue 3 Mar 2026."""
    d = value.astimezone(zone) if isinstance(value, datetime) and zone is not None else value
    return f"{d:%a} {d.day} {d:%b} {d.year}"


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """One clean line of at most ``limit`` characters, an ellipsis when cut."""
    line = clean_line(text, limit=limit + 1)
    return line if len(line) <= limit else line[:limit].rstrip() + "…"


def _capped(items: Sequence[str], cap: int) -> tuple[str, ...]:
    lines = [excerpt(t) for t in items if t.strip()]
    shown = lines[:cap]
    if len(lines) > cap:
        shown.append(f"(and {len(lines) - cap} more)")
    return tuple(shown)


def _promises(promises: Sequence[OpenPromise], total: int, today: date) -> tuple[str, ...]:
    # Overdue first, then by due date; undated last: what needs doing soonest leads.
    ordered = sorted(promises, key=lambda p: (p.due is None, p.due or today, p.id))
    lines = []
    for p in ordered[:PROMISES]:
        if p.due is None:
            when = "no date set"
        elif p.due < today:
            late = (today - p.due).days
            when = f"OVERDUE: it was due {day(p.due)}, {late} day{'s' if late > 1 else ''} ago"
        elif p.due == today:
            when = "due today"
        else:
            when = f"due {day(p.due)}"
        lines.append(f"{excerpt(p.text)} ({when}; when done: coffeechat done P{p.id})")
    shown = min(len(ordered), PROMISES)
    if total > shown:
        lines.append(f"(and {total - shown} more open: coffeechat status lists them)")
    return tuple(lines)


def _since(last: LastTime, zone: tzinfo) -> tuple[str, ...]:
    dated = [(h.at, _happened(h, zone)) for h in last.happened]
    dated += [(i.at, _introduced(i, zone)) for i in last.introduced]
    dated.sort(key=lambda pair: pair[0])
    # The same thing on the same day is one line ("They wrote to you on ... (3 times).").
    merged: list[list[Any]] = []
    for _, text in dated:
        if merged and merged[-1][0] == text:
            merged[-1][1] += 1
        else:
            merged.append([text, 1])
    lines = [t if n == 1 else f"{t.rstrip('.')} ({n} times)." for t, n in merged]
    kept = [f"You did what you promised: {excerpt(k)}" for k in last.kept if k.strip()][:2]
    # The newest count most: when there are too many, the oldest are the ones left out.
    shown = lines[-SINCE:]
    if len(lines) > SINCE:
        shown.insert(0, "(older ones left out)")
    return (*kept, *shown)


def _happened(h: Happened, zone: tzinfo) -> str:
    when = day(h.at, zone)
    if h.what == "note":
        return f"You noted on {when}: {excerpt(h.text)}"
    if h.what == "news-told":
        return f"News your update told them ({when}): {excerpt(h.text)}"
    if h.what == "news":
        return f"News for your next update ({when}): {excerpt(h.text)}"
    if h.what == "reply":
        return f"They wrote to you on {when}."
    return f"On {when} {_SENT.get(h.what, 'you wrote to them')}."


def _introduced(i: Introduced, zone: tzinfo) -> str:
    name, when = excerpt(i.name, 80) or "someone", day(i.at, zone)
    if i.stage == "met":
        told = (
            "your update told them" if i.told else "coffeechat's next update to them tells them so"
        )
        return f"You met {name}, whom they introduced, on {when}; {told}."
    if i.stage == "contacted":
        return f"You wrote to {name}, whom they suggested, on {when}."
    return f"You accepted their suggestion of {name} on {when}; not written to yet."


def _within_budget(parts: Sequence[Recap]) -> tuple[Recap, ...]:
    out: list[Recap] = []
    used = 0
    for part in parts:
        used += len(part.title)
        lines = []
        for line in part.lines:
            if used + len(line) > BUDGET:
                break
            lines.append(line)
            used += len(line)
        if lines:
            out.append(Recap(part.title, tuple(lines)))
        if len(lines) < len(part.lines):
            out.append(Recap("", (CUT,)))
            break
    return tuple(out)
