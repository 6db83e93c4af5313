"""Recognising a review-mode draft the user sent from their own mail client.

Mail clients (Outlook, many webmails) give a draft a new Message-ID when they send it, so the
copy in Sent cannot always be found by ours. A message in Sent to the draft's recipient, with
the draft's subject, dated after the draft was placed, is that draft: counting it as sent is
what keeps ``approve`` (or the next cycle) from sending the same email a second time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

_SPACE = re.compile(r"\s+")
# Clocks differ between our host and the mail server: a little slack before the placing time.
CLOCK_SLACK = timedelta(minutes=5)


def subject_key(subject: str) -> str:
    """The subject as compared: case and runs of white space do not matter, prefixes do."""
    return _SPACE.sub(" ", subject).strip().casefold()


def is_sent_draft(
    *,
    draft_to: str,
    draft_subject: str,
    placed_at: datetime | None,
    sent_to: Iterable[str],
    sent_subject: str,
    sent_at: datetime | None,
) -> bool:
    """True when a message in Sent is this draft, sent by hand (see the module docstring)."""
    if draft_to.casefold() not in {a.casefold() for a in sent_to}:
        return False
    if subject_key(draft_subject) != subject_key(sent_subject):
        return False
    if placed_at is None or sent_at is None:
        return False  # without both times an older mail could pass for the draft
    return sent_at >= placed_at - CLOCK_SLACK
