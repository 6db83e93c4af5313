"""People from a People entry or from a sentence's cue, with any addresses."""

from __future__ import annotations

import pytest

from coffeechat.models.debrief.fields import PersonMention
from coffeechat.models.debrief.people import people_in_item, people_in_sentence


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("cb@x.org", [PersonMention("cb@x.org", "cb@x.org")]),
        ("Charles Babbage <cb@x.org>", [PersonMention("Charles Babbage", "cb@x.org")]),
        ("Charles Babbage (cb@x.org)", [PersonMention("Charles Babbage", "cb@x.org")]),
        ("Charles Babbage - cb@x.org", [PersonMention("Charles Babbage", "cb@x.org")]),
        ("Grace at Compilers Ltd", [PersonMention("Grace", None, "at Compilers Ltd")]),
        ("Ada's old teammate, Edsger", [PersonMention("Edsger", None, "Ada's old teammate")]),
        ("Marie de la Cruz", [PersonMention("Marie de la Cruz")]),
        (
            "Naomi Fischer, staff engineer (naomi@t.dev)",
            [PersonMention("Naomi Fischer", "naomi@t.dev", "staff engineer")],
        ),
        (
            "Charles Babbage, Grace Hopper and Alan Turing",
            [
                PersonMention("Charles Babbage"),
                PersonMention("Grace Hopper"),
                PersonMention("Alan Turing"),
            ],
        ),
        (
            "Charles Babbage <cb@x.org>, Grace at Compilers Ltd",
            [
                PersonMention("Charles Babbage", "cb@x.org"),
                PersonMention("Grace", None, "at Compilers Ltd"),
            ],
        ),
        (
            "her colleague Tom (no email yet)",
            [PersonMention("Tom", None, "her colleague, no email yet")],
        ),
        ("my old manager, Priya", [PersonMention("Priya", None, "my old manager")]),
        ("her colleague from sales", []),
        ("someone on the platform team", []),
        ("", []),
    ],
)
def test_people_entries(item: str, expected: list[PersonMention]) -> None:
    assert people_in_item(item) == expected


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("She said I should talk to Charles Babbage about data roles.", ["Charles Babbage"]),
        ("She'll introduce me to her colleague Grace Hopper (grace@n.mil).", ["Grace Hopper"]),
        ("Reach out to babbage@analytical.org", ["babbage@analytical.org"]),
        ("talk to her old manager, Dan Kowalski", ["Dan Kowalski"]),
        ("she's connecting me with Dev Patel", ["Dev Patel"]),
        ("Elle m'a proposé de me présenter à Hugo Lambert.", ["Hugo Lambert"]),
        ("Talk to their CTO.", []),
        ("talk to someone in sales", []),
        ("I'll email Ada my portfolio on Monday", []),
        ("Ich soll mit Kunden sprechen", []),
    ],
)
def test_people_in_prose_need_a_cue_and_a_name(sentence: str, names: list[str]) -> None:
    assert [p.name for p in people_in_sentence(sentence)] == names


def test_address_after_a_name_in_prose() -> None:
    found = people_in_sentence("talk to Grace Hopper <grace@n.mil> soon")
    assert found == [PersonMention("Grace Hopper", "grace@n.mil")]


def test_the_contacts_own_plans_name_nobody_but_introductions_do() -> None:
    assert people_in_sentence("She'll talk to Priya Raman about my CV.") == []
    assert [p.name for p in people_in_sentence("She'll introduce me to Priya Raman.")] == [
        "Priya Raman"
    ]
    assert people_in_sentence("I'll talk to Ada again in spring.") == []
