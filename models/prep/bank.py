"""The question bank: themes of questions read from TOML text, with the company filled in.

The text comes from the edge (the package's ``prep/questions.toml`` or the user's copy); this
module only parses and checks it, so a broken bank fails with one message naming the problem.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

COMPANY = "{company}"
# What ``{company}`` becomes when the contact's company is unknown: still a sensible question.
NO_COMPANY = "your organisation"
# How senior a person is, read from their title (models/prep/choose.py); a theme may name some.
LEVELS = ("founder", "senior", "mid", "junior")


class QuestionBankError(ValueError):
    """The question bank is not usable; the message says where and why."""


@dataclass(frozen=True)
class Theme:
    """A titled group of questions (``{company}`` not yet filled in)."""

    key: str
    title: str
    questions: tuple[str, ...]
    hint: str = ""
    # Word stems that tie the theme to a goal ("hir" matches "hire", "hiring") and, when the
    # contact's own mail uses two of them, mark the theme as already covered by the thread.
    keywords: tuple[str, ...] = ()
    # The seniorities the theme suits (founder, senior, mid, junior); empty means everyone.
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionBank:
    """Every question the sheet may ask, the alternative TIARA set, the ask and the reminders."""

    themes: tuple[Theme, ...]
    tiara: tuple[Theme, ...]
    ask: tuple[str, ...]
    reminders: tuple[str, ...]


def fill_company(text: str, company: str) -> str:
    """Put the company's name where ``{company}`` stands (plain replacement, never format())."""
    return text.replace(COMPANY, company.strip() or NO_COMPANY)


def parse_question_bank(text: str, *, origin: str = "questions.toml") -> QuestionBank:
    """Parse and check a question bank; raise QuestionBankError naming the file and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise QuestionBankError(f"{origin}: not valid TOML: {err}") from None
    themes = _themes(data.get("theme", []), origin, "theme")
    tiara = _themes(data.get("tiara", []), origin, "tiara")
    if not themes:
        raise QuestionBankError(f"{origin}: at least one [[theme]] with questions is needed")
    return QuestionBank(
        themes=themes,
        tiara=tiara,
        ask=_strings(data.get("ask", {}).get("questions", []), origin, "ask.questions"),
        reminders=_strings(data.get("reminders", {}).get("items", []), origin, "reminders.items"),
    )


def _themes(raw: Any, origin: str, where: str) -> tuple[Theme, ...]:
    if not isinstance(raw, list):
        raise QuestionBankError(f"{origin}: {where} must be an array of tables ([[{where}]])")
    themes = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise QuestionBankError(f"{origin}: {where} #{i} must be a table")
        title = item.get("title")
        if not isinstance(title, str) or not title.strip():
            raise QuestionBankError(f"{origin}: {where} #{i} needs a title")
        hint = item.get("hint", "")
        if not isinstance(hint, str):
            raise QuestionBankError(f"{origin}: {where} #{i}.hint must be text")
        questions = _strings(item.get("questions", []), origin, f"{where} #{i}.questions")
        key = str(item.get("key") or title).strip().lower()
        keywords = _strings(item.get("keywords", []), origin, f"{where} #{i}.keywords")
        levels = _strings(item.get("for", []), origin, f"{where} #{i}.for")
        unknown = sorted(set(levels) - set(LEVELS))
        if unknown:
            known = ", ".join(LEVELS)
            raise QuestionBankError(
                f"{origin}: {where} #{i}.for: unknown level {unknown[0]!r} (use {known})"
            )
        themes.append(
            Theme(
                key=key,
                title=title.strip(),
                questions=questions,
                hint=hint.strip(),
                keywords=tuple(k.lower() for k in keywords),
                levels=levels,
            )
        )
    return tuple(themes)


def _strings(raw: Any, origin: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise QuestionBankError(f"{origin}: {where} must be a list of strings")
    return tuple(s.strip() for s in raw if s.strip())
