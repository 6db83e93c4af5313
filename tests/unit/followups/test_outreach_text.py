"""The outreach's text: with and without an introducer, a company, and a pitch written as a
fragment or as a sentence, against golden files; the pitch never stands alone as a fragment.

To regenerate the golden files after a deliberate change of the template, run
    COFFEECHAT_GOLDEN_UPDATE=1 python -m pytest tests/unit/followups/test_outreach_text.py
and read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coffeechat.integrations.render import render
from coffeechat.models.followups.outreach import outreach_context, pitch_sentence
from coffeechat.models.store.tables import Account, Contact

GOLDEN = Path(__file__).parent.parent.parent / "golden" / "outreach"
UPDATE = os.environ.get("COFFEECHAT_GOLDEN_UPDATE") == "1"
FRAGMENT = "Backend developer moving into developer tools."
SENTENCE = "I'm a backend developer moving into developer tools"
ADA = Contact(id=1, account_id=1, name="Ada Lovelace", company="Analytical Engines", role="")


def body(pitch: str, *, introduced: bool, company: str = "Analytical Engines") -> str:
    """The outreach to Charles as create_outreach renders it."""
    me = Account(id=1, name="Jo Seeker", email="jo@example.com", signature="Jo",
                 elevator_pitch=pitch, meeting_minutes=20)  # fmt: skip
    charles = Contact(id=2, account_id=1, name="Charles Babbage", company=company,
                      role="Engineer")  # fmt: skip
    context = outreach_context(me, charles, ADA if introduced else None)
    return render("mail/outreach", context, fmt="txt")


CASES = {
    "introduced-fragment": (FRAGMENT, True, "Analytical Engines"),
    "introduced-sentence": (SENTENCE, True, "Analytical Engines"),
    "introduced-no-pitch": ("", True, "Analytical Engines"),
    "introduced-fragment-no-company": ("UX researcher", True, ""),
    "plain-fragment": (FRAGMENT, False, "Analytical Engines"),
    "plain-sentence-no-company": ("My background is ten years of logistics.", False, ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_outreach_golden(case: str) -> None:
    pitch, introduced, company = CASES[case]
    text = body(pitch, introduced=introduced, company=company)
    path = GOLDEN / f"{case}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: regenerate (see this module's docstring)"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("introduced", [True, False])
@pytest.mark.parametrize("pitch", [FRAGMENT, "UX researcher", "Five years of analytics;"])
def test_a_fragment_is_introduced_never_left_standing_alone(pitch: str, introduced: bool) -> None:
    paragraphs = body(pitch, introduced=introduced).split("\n\n")
    first = paragraphs[1]
    assert "A little about me: " + pitch.rstrip(";. ") in first
    assert first.endswith(".") and first.count("\n") == 0
    assert not any(p.strip().startswith(pitch.rstrip(";. ")) for p in paragraphs)
    if introduced:
        assert first.startswith("Ada Lovelace suggested I get in touch with you about your work")


@pytest.mark.parametrize(
    ("pitch", "sentence"),
    [
        (SENTENCE, "I'm a backend developer moving into developer tools."),
        ("I am  a teacher\nlearning to code!", "I am a teacher learning to code!"),
        ("My background is logistics.", "My background is logistics."),
        ("Improving compilers", "A little about me: Improving compilers."),
        ("Python developer", "A little about me: Python developer."),  # never lower-cased
        ("   ", ""),
    ],
)
def test_pitch_sentence(pitch: str, sentence: str) -> None:
    assert pitch_sentence(pitch) == sentence


def test_no_pitch_leaves_the_first_paragraph_alone() -> None:
    assert body("", introduced=True).split("\n\n")[1] == (
        "Ada Lovelace suggested I get in touch with you about your work at Analytical Engines."
    )
