"""Classifying inbound mail: parse safely, run an ordered chain of named rules, match replies.

>>> v = classify(b"From: <jane@example.com>\\r\\nSubject: Re: coffee\\r\\n\\r\\nSure!")
>>> (v.kind, v.rule)
(<Kind.HUMAN: 'human'>, 'human')
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from coffeechat.models.classify.inspect import inspect_mail, render_text, verdict_dict
from coffeechat.models.classify.mime import parse_mail
from coffeechat.models.classify.model import Kind, ParsedMail, Verdict
from coffeechat.models.classify.reply import Match, Relation, ThreadContext, match_reply
from coffeechat.models.classify.returndate import extract_return_date
from coffeechat.models.classify.rules import RULES, run_chain
from coffeechat.models.classify.safe import classify_bytes, with_reason

__all__ = [
    "RULES",
    "Kind",
    "Match",
    "ParsedMail",
    "Relation",
    "ThreadContext",
    "Verdict",
    "classify",
    "classify_parsed",
    "extract_return_date",
    "inspect_mail",
    "match_reply",
    "parse_mail",
    "render_text",
    "verdict_dict",
]


def classify_parsed(mail: ParsedMail, *, today: date | None = None) -> Verdict:
    """Run the rule chain on an already parsed message; never raises."""
    return with_reason(run_chain(mail, today))


def classify(
    raw: bytes,
    *,
    today: date | None = None,
    max_bytes: int = 25_000_000,
    max_parts: int = 500,
    trusted_authserv: frozenset[str] = frozenset(),
    known_senders: Collection[str] = (),
) -> Verdict:
    """Parse (capped) and classify raw bytes; never raises, unreadable input is UNREADABLE.

    ``trusted_authserv``: the user's provider's authserv-ids (its failing verdict makes the
    message SUSPICIOUS); ``known_senders``: contacts' addresses (their list posts are human).
    """
    return classify_bytes(
        raw,
        today=today,
        max_bytes=max_bytes,
        max_parts=max_parts,
        trusted_authserv=trusted_authserv,
        known_senders=known_senders,
    )
