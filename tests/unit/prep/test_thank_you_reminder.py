"""The sheet's word on the thank-you matches what coffeechat does, debrief wait or not."""

from __future__ import annotations

from coffeechat.models.prep import build_prep_context
from tests.unit.prep.sample import inputs


def _line(**kw: object) -> str:
    [line] = [r for r in build_prep_context(inputs(**kw)).reminders if "thank-you" in r]
    return line


def test_without_the_debrief_wait_the_sheet_says_when_and_names_the_debrief() -> None:
    line = _line()
    assert line.startswith("coffeechat sends the thank-you itself, a few hours after the meeting")
    assert 'coffeechat debrief "Ada Lovelace"' in line  # notes stay private: never quoted
    assert "coffeechat note" not in line


def test_waiting_for_the_debrief_the_sheet_says_so_and_gives_the_bound() -> None:
    line = _line(thank_you_wait_hours=20.0)
    assert line == (
        'After the meeting coffeechat emails you a debrief (or run coffeechat debrief "Ada '
        'Lovelace"): answer it and it sends the thank-you itself, quoting their advice and '
        "thanking them for anyone they suggested. Without an answer within about 20 hours of "
        "the meeting, the thank-you goes in a general form."
    )
    review = _line(thank_you_wait_hours=20.0, thank_you_review=True,
                   thank_you_without_review=True)  # fmt: skip
    assert "it drafts the thank-you for you to approve" in review
    assert review.endswith("the thank-you waits in Drafts for you.")
    assert "within 24 hours" not in line + review
