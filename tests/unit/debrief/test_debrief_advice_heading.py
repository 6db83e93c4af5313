"""Which advice was written under an advice heading (only that is ever said to the contact), and
the request's heading "People they suggested" read like the older "People to talk to"."""

from __future__ import annotations

from datetime import date

import pytest

from coffeechat.integrations.render import render
from coffeechat.models.debrief.fields import PersonMention
from coffeechat.models.debrief.parse import parse_debrief

TODAY = date(2026, 12, 5)


def test_advice_placed_from_prose_is_marked_and_headed_advice_is_not() -> None:
    found = parse_debrief(
        "Great chat. She said I should apply before March and that her manager is a nightmare.\n\n"
        "Their advice:\n- try the community meetups\n- learn dbt\n",
        today=TODAY,
    )
    assert found.advice == (
        "She said I should apply before March and that her manager is a nightmare.",
        "try the community meetups",
        "learn dbt",
    )
    assert found.unheaded_advice == found.advice[:1]


def test_a_cue_sentence_after_an_inline_heading_is_unheaded_and_a_wrapped_line_follows() -> None:
    found = parse_debrief(
        "Advice: aim at small firms.\nShe suggested I look at the Rust\ncommunity too.\n",
        today=TODAY,
    )
    assert found.advice[0] == "aim at small firms."
    assert found.unheaded_advice == found.advice[1:] and len(found.advice) == 2
    headed = parse_debrief("Their advice:\n- look at the Rust\ncommunity\n", today=TODAY)
    assert headed.advice == ("look at the Rust community",) and headed.unheaded_advice == ()


def test_a_people_line_without_a_name_placed_as_advice_is_unheaded() -> None:
    found = parse_debrief("People to talk to: nobody, but she suggested I apply early\n",
                          today=TODAY)  # fmt: skip
    assert found.advice and found.unheaded_advice == found.advice


def _request(name: str) -> str:
    context = {"me": {"first_name": "Jo", "name": "Jo Seeker"},
               "contact": {"name": "Ada Lovelace", "first_name": "Ada"},
               "meeting": {"day": "Friday"}}  # fmt: skip
    return render(f"mail/{name}", context, fmt="txt")


@pytest.mark.parametrize("name", ["debrief_request", "debrief_reminder"])
def test_the_request_asks_for_the_people_they_suggested(name: str) -> None:
    text = _request(name)
    assert "People they suggested:" in text and "People to talk to" not in text
    left_in = parse_debrief(text, today=TODAY)  # the template left in names no one, no advice
    assert left_in.people == () and left_in.advice == () and left_in.learned == ()
    answered = text.replace("People they suggested:", "People they suggested: Grace Hopper")
    assert parse_debrief(answered, today=TODAY).people == (PersonMention("Grace Hopper"),)


@pytest.mark.parametrize("heading", ["People to talk to", "People they suggested"])
def test_old_and_new_headings_both_parse(heading: str) -> None:
    found = parse_debrief(f"{heading}:\n- Charles Babbage <c@engines.example>\n", today=TODAY)
    assert found.people == (PersonMention("Charles Babbage", "c@engines.example"),)
