"""Heading detection: languages, synonyms, list markers, emphasis; lines that are not headings."""

from __future__ import annotations

import pytest

from coffeechat.models.debrief.headings import is_empty_answer, split_heading, strip_marker


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("What I learned:", ("learned", "")),
        ("what i learned", ("learned", "")),
        ("Learned — a lot", ("learned", "a lot")),
        ("Advice: go to meetups", ("advice", "go to meetups")),
        ("2) Their advice - go", ("advice", "go")),
        ("**Tips**", ("advice", "")),
        ("## People to talk to", ("people", "")),  # the request's heading before round 4
        ("People they suggested:", ("people", "")),
        ("People they suggested: Grace Hopper", ("people", "Grace Hopper")),
        ("**People they suggested**", ("people", "")),
        ("- Intros: Grace", ("people", "Grace")),
        ("I promised: the deck", ("promises", "the deck")),
        ("Offered:", ("offers", "")),
        ("Next steps", ("next_step", "")),
        ("FOLLOW UP: ping Greg", ("next_step", "ping Greg")),
        ("What's next?", ("next_step", "")),
        ("Gelernt:", ("learned", "")),
        ("Ratschläge: mehr Zahlen", ("advice", "mehr Zahlen")),
        ("Kontakte: Jonas", ("people", "Jonas")),
        ("Versprochen", ("promises", "")),
        ("Angeboten: Feedback", ("offers", "Feedback")),
        ("NÄCHSTER SCHRITT -", ("next_step", "")),
        ("Appris :", ("learned", "")),
        ("Conseils : postuler tôt", ("advice", "postuler tôt")),
        ("Personnes à contacter : Julie", ("people", "Julie")),
        ("Promis :", ("promises", "")),
        ("Proposé : relire", ("offers", "relire")),
        ("Prochaine étape", ("next_step", "")),
        ("Ce que j’ai appris :", ("learned", "")),
        ("- learned their QA is automated", ("learned", "their QA is automated")),
    ],
)
def test_headings_are_recognised(line: str, expected: tuple[str, str]) -> None:
    assert split_heading(line) == expected


def test_prose_starting_with_a_field_word_is_not_a_heading() -> None:
    assert split_heading("Follow up with Grace about the role") is None
    assert split_heading("Next week I'll apply") is None
    assert split_heading("learned their QA is automated") is None  # only a list item opens
    assert split_heading("People there seem happy") is None
    assert split_heading("") is None
    assert split_heading("-") is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- x", ("x", True)),
        ("1. x", ("x", True)),
        ("(2) x", ("x", True)),
        ("• x", ("x", True)),
        ("x - y", ("x - y", False)),
        ("-5 degrees", ("5 degrees", True)),
        ("✅ put case studies first", ("put case studies first", True)),
        ("👉🏽 x", ("x", True)),
        ("🙋 Linus Berg", ("Linus Berg", True)),
        ("✅done", ("✅done", False)),
    ],
)
def test_list_markers(line: str, expected: tuple[str, bool]) -> None:
    assert strip_marker(line) == expected


@pytest.mark.parametrize(
    "text", ["n/a", "None.", "-", "—", "nothing yet", "rien", "keine", "...", "nada", "nadie"]
)
def test_placeholders_are_empty_answers(text: str) -> None:
    assert is_empty_answer(text)


def test_a_real_answer_is_not_empty() -> None:
    assert not is_empty_answer("none of the roles are remote")


def test_a_dashed_item_that_is_a_field_word_stays_an_item() -> None:
    assert split_heading("- my notes") is None
    assert split_heading("1. Notes") == ("learned", "")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Lo que aprendí: x", ("learned", "x")),
        ("Sus consejos: x", ("advice", "x")),
        ("Lo que prometí: x", ("promises", "x")),
        ("Próximo paso: x", ("next_step", "x")),
        ("Personnes suggérées : x", ("people", "x")),
    ],
)
def test_spanish_and_more_french_headings(line: str, expected: tuple[str, str]) -> None:
    assert split_heading(line) == expected
