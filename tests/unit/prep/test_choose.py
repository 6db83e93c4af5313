"""Choosing a sheet's questions: table tests of the pure selection (same inputs, same questions)."""

from __future__ import annotations

import pytest

from coffeechat.models.prep.choose import (
    PINNED,
    Wants,
    choose_questions,
    question_count,
    seniority,
)
from tests.unit.prep.sample import bank


@pytest.mark.parametrize(
    ("minutes", "count"),
    [(0, 3), (10, 3), (15, 3), (20, 4), (30, 6), (45, 9), (60, 10), (240, 10)],
)
def test_the_number_follows_the_length(minutes: int, count: int) -> None:
    assert question_count(minutes) == count
    assert len(choose_questions(bank(), Wants(minutes))) == count


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("Founder & CEO", "founder"),
        ("Co-founder", "founder"),
        ("VP Engineering", "senior"),
        ("Director of Data", "senior"),
        ("Head of Data", "senior"),
        ("Tech Lead", "senior"),
        ("Senior Software Engineer", "senior"),
        ("Junior Developer", "junior"),
        ("PhD student", "junior"),
        ("Graduate analyst", "junior"),
        ("Data Scientist", "mid"),
        ("", "mid"),
    ],
)
def test_seniority_from_the_title(title: str, level: str) -> None:
    assert seniority(title) == level


def _themes(wants: Wants) -> list[str]:
    return [c.theme for c in choose_questions(bank(), wants)]


@pytest.mark.parametrize(
    ("wants", "first", "absent"),
    [
        # a founder is asked about building the company, never about starting out
        (Wants(30, title="Founder"), ["founding"], {"leading", "starting"}),
        # a senior person about their team; a junior one about their first steps
        (Wants(30, title="VP Product"), ["leading"], {"founding", "starting"}),
        (Wants(30, title="Junior analyst"), ["starting"], {"founding", "leading"}),
        # goals lead: hiring first when the user wants to know how people get in
        (Wants(30, goals=["how do they hire and recruit"]), ["hiring"], set()),
        (Wants(30, goals=["where the industry and market are going"]), ["outlook"], set()),
        # the contact's goal counts as much as the global one
        (Wants(30, goals=["", "what skills and courses to take"]), ["skills"], set()),
    ],
)
def test_role_seniority_and_goals_decide_the_themes(
    wants: Wants, first: list[str], absent: set[str]
) -> None:
    themes = _themes(wants)
    assert themes[: len(first)] == first
    assert not absent & set(themes)
    assert len(set(themes)) == len(themes)  # one question per theme before any second one


def test_pinned_come_first_count_toward_the_number_and_are_not_doubled() -> None:
    wants = Wants(15, pinned=["Can I see  your team's stack?", "can i see your team's stack", "B?"])
    chosen = choose_questions(bank(), wants)
    assert [c.text for c in chosen[:2]] == ["Can I see your team's stack?", "B?"]
    assert [c.theme for c in chosen] == [PINNED, PINNED, "starting"]


def test_many_pins_are_all_kept() -> None:
    pins = [f"Question {i}?" for i in range(5)]
    assert [c.text for c in choose_questions(bank(), Wants(15, pinned=pins))] == pins


def test_questions_asked_on_an_earlier_sheet_are_not_repeated() -> None:
    first = choose_questions(bank(), Wants(30, company="Acme"))
    second = choose_questions(bank(), Wants(30, company="Acme", asked=[c.text for c in first]))
    assert len(second) == 6
    assert not {c.text for c in first} & {c.text for c in second}


def test_a_theme_the_thread_already_covered_is_left_out() -> None:
    thread = ["Happy to chat! My career path was odd: a switch from physics to data."]
    assert "path" in _themes(Wants(30))
    assert "path" not in _themes(Wants(30, thread=thread))


def test_a_question_a_note_quotes_is_answered_and_left_out() -> None:
    note = "She said: what does a typical week look like for you? Mostly meetings."
    texts = [c.text for c in choose_questions(bank(), Wants(30, answered=[note]))]
    assert "What does a typical week look like for you?" not in texts


def test_company_is_filled_and_the_choice_is_deterministic() -> None:
    wants = Wants(45, goals=["hiring"], title="Staff engineer", company="Acme {x}")
    one, two = choose_questions(bank(), wants), choose_questions(bank(), wants)
    assert one == two
    assert any("Acme {x}" in c.text for c in one)
    assert not any("{company}" in c.text for c in one)
