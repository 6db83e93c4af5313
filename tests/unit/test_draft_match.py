"""is_sent_draft: recipient, subject and time must all agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coffeechat.models.inbox.draft_match import is_sent_draft, subject_key

PLACED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("to", "subject", "sent_at", "expected"),
    [
        (["Ada@Example.com"], "Re:  Coffee?", PLACED + timedelta(hours=1), True),
        (["x@example.com", "ada@example.com"], "re: coffee?", PLACED + timedelta(hours=1), True),
        (["ada@example.com"], "Re: Coffee?", PLACED - timedelta(minutes=3), True),  # clock skew
        (["ada@example.com"], "Re: Coffee?", PLACED - timedelta(hours=1), False),  # older mail
        (["ada@example.com"], "Coffee?", PLACED + timedelta(hours=1), False),  # the outreach
        (["bob@example.com"], "Re: Coffee?", PLACED + timedelta(hours=1), False),
        (["ada@example.com"], "Re: Coffee?", None, False),
    ],
)
def test_is_sent_draft(
    to: list[str], subject: str, sent_at: datetime | None, expected: bool
) -> None:
    found = is_sent_draft(
        draft_to="ada@example.com",
        draft_subject="Re: Coffee?",
        placed_at=PLACED,
        sent_to=to,
        sent_subject=subject,
        sent_at=sent_at,
    )
    assert found is expected


def test_subject_key_ignores_case_and_spacing_only() -> None:
    assert subject_key(" Re:\tCoffee  next week ") == "re: coffee next week"
    assert subject_key("Fwd: Coffee") != subject_key("Coffee")
