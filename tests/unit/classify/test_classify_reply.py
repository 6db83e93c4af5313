"""match_reply: only the exact address we wrote to can reply; spoofs are suspicious."""

from __future__ import annotations

import pytest

from coffeechat.models.classify import Relation, ThreadContext, match_reply, parse_mail
from tests.unit.classify.mailkit import CORPUS, OUR_ID, make_mail

CTX = ThreadContext(
    our_message_ids=frozenset({OUR_ID, "<other@coffeechat.example.net>"}),
    contact_addresses={
        "jane.doe@example.com": 1,
        "jane@personal.example.org": 1,
        "mark.chen@example.com": 2,
    },
    outreach_recipients={1: frozenset({"jane.doe@example.com"}), 2: frozenset()},
)


def _mail(from_: str, **extra: str) -> bytes:
    headers = {"From": from_, "To": "sam@example.net", "Subject": "Re: Coffee", **extra}
    return make_mail(headers, "Sure, Tuesday works.")


@pytest.mark.parametrize(
    ("raw", "relation", "contact"),
    [
        (_mail("Jane <jane.doe@example.com>", **{"In-Reply-To": OUR_ID}), Relation.REPLY, 1),
        (_mail("Jane <JANE.DOE@Example.COM>", References=f"<x@y> {OUR_ID}"), Relation.REPLY, 1),
        (_mail("jane.doe@example.com"), Relation.REPLY, 1),  # from the contact, no thread ids
        (
            _mail("Jane <jane@personal.example.org>", **{"In-Reply-To": OUR_ID}),
            Relation.CORRESPONDENCE,
            1,
        ),
        (_mail("Mark <mark.chen@example.com>"), Relation.CORRESPONDENCE, 2),
        (_mail("EA <ea@example.com>", **{"In-Reply-To": OUR_ID}), Relation.CORRESPONDENCE, None),
        (_mail("Someone <someone@example.biz>"), Relation.UNRELATED, None),
        (
            _mail(
                "Jane <jane.doe@example.com>, M <mallory@example.net>", **{"In-Reply-To": OUR_ID}
            ),
            Relation.SUSPICIOUS,
            None,
        ),
        (
            _mail("jane.doe@example.com)<mallory@example.net>", **{"In-Reply-To": OUR_ID}),
            Relation.SUSPICIOUS,
            None,
        ),
        (
            _mail('"jane.doe@example.com" <mallory@example.net>', **{"In-Reply-To": OUR_ID}),
            Relation.SUSPICIOUS,
            1,
        ),
        (
            _mail('"Jane Doe" <mallory@example.net>', **{"In-Reply-To": OUR_ID}),
            Relation.CORRESPONDENCE,
            None,
        ),
        (
            make_mail({"To": "sam@example.net", "Subject": "Re: x", "In-Reply-To": OUR_ID}),
            Relation.SUSPICIOUS,
            None,
        ),
        # Through a list or group: a reply only when it answers our own thread.
        (
            _mail("jane.doe@example.com", **{"In-Reply-To": OUR_ID, "List-Id": "<t.example>"}),
            Relation.REPLY,
            1,
        ),
        (
            _mail("jane.doe@example.com", **{"In-Reply-To": "<x@list>", "List-Id": "<t.ex>"}),
            Relation.CORRESPONDENCE,
            1,
        ),
        (
            _mail("jane.doe@example.com", **{"In-Reply-To": "<x@list>", "Precedence": "list"}),
            Relation.CORRESPONDENCE,
            1,
        ),
    ],
)
def test_match_reply(raw: bytes, relation: Relation, contact: int | None) -> None:
    found = match_reply(parse_mail(raw), CTX)
    assert (found.relation, found.contact_id) == (relation, contact), found.reason


def test_two_from_headers_are_suspicious() -> None:
    raw = make_mail(
        [("From", "jane.doe@example.com"), ("From", "mallory@example.net"), ("Subject", "Re")]
    )
    assert match_reply(parse_mail(raw), CTX).relation is Relation.SUSPICIOUS


def test_message_ids_without_brackets_in_context_still_match() -> None:
    ctx = ThreadContext(
        our_message_ids=frozenset({OUR_ID.strip("<>")}),
        contact_addresses={"jane.doe@example.com": 1},
        outreach_recipients={1: frozenset({"jane.doe@example.com"})},
    )
    raw = _mail("jane.doe@example.com", **{"In-Reply-To": OUR_ID})
    assert match_reply(parse_mail(raw), ctx).reason == "answers a message we sent"


@pytest.mark.parametrize(
    "name",
    [
        "spoofed_two_from_addresses",
        "spoofed_cve_2023_27043_from",
        "spoofed_display_name_address",
        "spoofed_two_from_headers",
    ],
)
def test_spoof_fixtures_never_reply(name: str) -> None:
    mail = parse_mail((CORPUS / "human" / f"{name}.eml").read_bytes())
    assert match_reply(mail, CTX).relation is Relation.SUSPICIOUS


def test_genuine_fixture_reply() -> None:
    mail = parse_mail((CORPUS / "human" / "gmail_reply_with_quote_and_referral.eml").read_bytes())
    assert match_reply(mail, CTX).relation is Relation.REPLY
