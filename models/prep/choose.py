"""Choosing a sheet's questions for this person: pure, deterministic, explained in questions.toml.

The same inputs always give the same questions in the same order: themes are ranked by how
well they match the user's goals (ties keep the bank's order) and visited one question at a
time, so a short meeting gets the best themes and a long one more of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from coffeechat.models.prep.bank import QuestionBank, Theme, fill_company

PER_QUESTION_MINUTES = 5
FEWEST, MOST = 3, 10
PINNED = "pinned"
_WORD = re.compile(r"[^\W\d_]+")
# Title words, most telling first: "Senior Director" is senior, "Founder & CEO" a founder.
_FOUNDER = "founder cofounder owner ceo"
_JUNIOR = "junior jr intern graduate trainee apprentice student entry"
_SENIOR = "senior sr director vp vice head chief cto cfo coo principal partner lead staff manager"
_TITLES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (level, frozenset(words.split()))
    for level, words in (("founder", _FOUNDER), ("junior", _JUNIOR), ("senior", _SENIOR))
)


@dataclass(frozen=True)
class Chosen:
    """One question for the sheet, with the theme it came from (``pinned`` for the user's)."""

    text: str
    theme: str
    title: str


@dataclass(frozen=True)
class Wants:
    """What the choice depends on besides the bank; every field is plain data."""

    minutes: int
    goals: Sequence[str] = ()
    title: str = ""
    company: str = ""
    pinned: Sequence[str] = ()
    asked: Collection[str] = ()  # questions earlier sheets for this person suggested
    thread: Sequence[str] = ()  # what the person wrote (their messages' text)
    answered: Sequence[str] = ()  # the user's notes: a question a note quotes is answered


def question_count(minutes: int) -> int:
    """About one question per five minutes (six for half an hour), never fewer than three."""
    return max(FEWEST, min(MOST, round(max(minutes, 0) / PER_QUESTION_MINUTES)))


def seniority(title: str) -> str:
    """founder, junior, senior or mid, from the words of a job title."""
    words = set(_words(title.replace("-", "")) | _words(title))
    for level, markers in _TITLES:
        if words & markers:
            return level
    return "mid"


def choose_questions(bank: QuestionBank, wants: Wants) -> tuple[Chosen, ...]:
    """The sheet's questions: the pinned ones, then the bank's best for this person and length."""
    count = question_count(wants.minutes)
    chosen: list[Chosen] = []
    seen: set[str] = set()
    for text in wants.pinned:
        key = norm(text)
        if key and key not in seen:
            seen.add(key)
            chosen.append(Chosen(" ".join(text.split()), PINNED, "Your own questions"))
    seen |= {norm(q) for q in wants.asked}
    notes = [norm(n) for n in wants.answered]
    ranked = _ranked(bank, wants)
    queues = [
        [q for q in (fill_company(raw, wants.company) for raw in t.questions)
         if norm(q) not in seen and not any(norm(q) in n for n in notes)]
        for t in ranked
    ]  # fmt: skip
    depth = 0
    while len(chosen) < count and any(len(q) > depth for q in queues):
        for theme, queue in zip(ranked, queues, strict=True):
            if len(chosen) >= count:
                break
            if depth < len(queue) and norm(queue[depth]) not in seen:
                seen.add(norm(queue[depth]))
                chosen.append(Chosen(queue[depth], theme.key, theme.title))
        depth += 1
    return tuple(chosen)


def _ranked(bank: QuestionBank, wants: Wants) -> list[Theme]:
    level = seniority(wants.title)
    goal_words = _words(" ".join(wants.goals))
    their_words = _words(" ".join(wants.thread))
    scored = []
    for order, theme in enumerate((*bank.themes, *bank.tiara)):
        if theme.levels and level not in theme.levels:
            continue
        if len(_hits(theme.keywords, their_words)) >= 2:
            continue  # the person already wrote about this: no need to ask again
        score = 2 * len(_hits(theme.keywords, goal_words)) + (1 if theme.levels else 0)
        scored.append((-score, order, theme))
    return [t for _, _, t in sorted(scored, key=lambda s: (s[0], s[1]))]


def _hits(stems: Sequence[str], words: set[str]) -> set[str]:
    return {s for s in stems if any(w.startswith(s) for w in words)}


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def norm(text: str) -> str:
    """A question's text for comparison: lower case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())
