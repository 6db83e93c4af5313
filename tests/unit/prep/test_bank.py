"""The question bank: the shipped default parses; broken banks fail with a clear message."""

from __future__ import annotations

import pytest

from coffeechat.models.prep.bank import QuestionBankError, parse_question_bank
from tests.unit.prep.sample import bank


def test_default_bank_has_themes_for_every_level_tiara_the_ask_and_reminders() -> None:
    b = bank()
    assert [t.key for t in b.themes] == [
        "path", "day", "hiring", "organisation", "skills", "outlook",
        "founding", "leading", "starting", "advice",
    ]  # fmt: skip
    assert {lvl for t in b.themes for lvl in t.levels} == {"founder", "senior", "junior", "mid"}
    assert all(t.keywords for t in (*b.themes, *b.tiara))
    assert "".join(t.title[0] for t in b.tiara) == "TIARA"
    assert b.ask and b.reminders
    assert any("{company}" in q for t in b.themes for q in t.questions)


def test_no_default_reminder_asks_the_user_to_do_what_coffeechat_does() -> None:
    assert not any("thank" in r.lower() for r in bank().reminders)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[theme", "not valid TOML"),
        ("", "at least one [[theme]]"),
        ("theme = 3", "array of tables"),
        ('[[theme]]\nquestions = ["a"]', "needs a title"),
        ('[[theme]]\ntitle = "T"\nquestions = "a"', "list of strings"),
        ('[[theme]]\ntitle = "T"\nquestions = [1]', "list of strings"),
        ('[[theme]]\ntitle = "T"\n[ask]\nquestions = [2]', "ask.questions"),
        ('[[theme]]\ntitle = "T"\nfor = ["boss"]', "unknown level 'boss'"),
        ('[[theme]]\ntitle = "T"\nkeywords = "x"', "keywords must be a list"),
    ],
)
def test_broken_banks_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(QuestionBankError, match=r"my\.toml") as caught:
        parse_question_bank(text, origin="my.toml")
    assert message in str(caught.value)


def test_a_minimal_bank() -> None:
    b = parse_question_bank('[[theme]]\ntitle = "Only"\nquestions = ["Why?", "  "]')
    assert b.themes[0].key == "only" and b.themes[0].questions == ("Why?",)
    assert b.tiara == () and b.ask == () and b.reminders == ()
