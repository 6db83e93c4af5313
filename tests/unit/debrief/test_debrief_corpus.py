"""Every reply of the corpus parsed: no public field ever holds an unexpected item, and the
field-level figure (see bench/check_debrief.py for the scoring) stays high."""

from __future__ import annotations

import pytest

from bench.check_debrief import Score, fixtures, parse_fixture, score_corpus, score_one

CORPUS = fixtures()


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CORPUS) >= 40
    assert any(body.suffix == ".html" for _, body, _ in CORPUS)


@pytest.mark.parametrize(("name", "body", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_reply(name: str, body: object, expected: dict[str, object]) -> None:
    score = Score()
    score_one(parse_fixture(body, expected), expected, name, score)  # type: ignore[arg-type]
    assert score.false_public == []
    assert score.missed == [], "\n".join(score.missed)


def test_corpus_figure() -> None:
    score, _ = score_corpus()
    assert score.false_public == []
    assert score.right / score.expected >= 0.95
