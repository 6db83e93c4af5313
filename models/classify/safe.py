"""Classifying any bytes without ever raising: what cannot be read is UNREADABLE, with why."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date

from coffeechat.models.classify.auth import with_auth_results
from coffeechat.models.classify.mime import OVER_BUDGET, parse_mail
from coffeechat.models.classify.model import Kind, ParsedMail, Verdict
from coffeechat.models.classify.rules import run_chain


def unreadable_reason(mail: ParsedMail) -> str:
    """Why a message could not be read, in words, from its parse defects."""
    for defect in mail.parse_defects:
        if defect.startswith(OVER_BUDGET):
            return "over budget: " + defect.removeprefix(OVER_BUDGET)
    for defect in mail.parse_defects:
        if defect.startswith(("parse-error:", "unreadable:", "parse-aborted")):
            return f"could not be parsed ({defect})"
    if mail.size == 0:
        return "empty message"
    return "no mail header could be read"


def with_reason(verdict: Verdict) -> Verdict:
    """The verdict, with its reason filled in when it is UNREADABLE."""
    if verdict.kind is not Kind.UNREADABLE or verdict.reason:
        return verdict
    return replace(verdict, reason=unreadable_reason(verdict.mail))


def classify_bytes(
    raw: bytes,
    *,
    today: date | None = None,
    max_bytes: int = 25_000_000,
    max_parts: int = 500,
    trusted_authserv: frozenset[str] | None = frozenset(),
    known_senders: Collection[str] = (),
) -> Verdict:
    """Parse (within the budget) and classify raw bytes; any failure is UNREADABLE with why.

    ``trusted_authserv`` and ``known_senders`` are passed to the rule chain (see run_chain).
    """
    try:
        mail = parse_mail(raw, max_bytes=max_bytes, max_parts=max_parts)
        verdict = run_chain(
            with_auth_results(mail, raw),
            today,
            trusted_authserv=trusted_authserv,
            known_senders=known_senders,
        )
    except Exception as err:  # the contract is a Verdict for every input; the failure is kept
        mail = ParsedMail(size=len(raw), parse_defects=(f"unreadable:{type(err).__name__}",))
        reason = f"classification failed ({type(err).__name__})"
        return Verdict(Kind.UNREADABLE, "classify_failed", mail, reason=reason)
    return with_reason(verdict)
