"""Sender authority and the accuracy gaps: Authentication-Results, per-recipient DSNs,
out-of-office bodies, contacts' list posts, coffeechat's own mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coffeechat.models.classify import Kind, classify, inspect_mail, parse_mail
from coffeechat.models.classify.auth import header_values, judge, learnt_authserv, parse
from coffeechat.models.classify.bounce import parse_dsn
from tests.unit.classify.mailkit import CORPUS, OUR_ID, TODAY, make_mail

PROVIDER = frozenset({"mx.example.net"})


def _mail(ar: list[str], **extra: str) -> bytes:
    headers = [("Authentication-Results", v) for v in ar] + [
        ("From", "Jane <jane.doe@example.com>"),
        ("To", "sam@example.net"),
        ("Subject", "Re: Coffee chat?"),
        ("Message-ID", "<m1@example.com>"),
        ("In-Reply-To", OUR_ID),
        *extra.items(),
    ]
    return make_mail(headers, "Sure, Tuesday works. Also talk to bob@example.org.")


# --- Authentication-Results -------------------------------------------------------------


def test_parse_strips_comments_and_reads_methods() -> None:
    got = parse(
        "mx.example.net 1; spf=fail (domain of x (nested) designates; no) smtp.mailfrom=x;"
        ' dkim=pass header.d="a;b"; dmarc/1=fail header.from=example.com'
    )
    assert got.authserv_id == "mx.example.net"
    assert got.results == (("spf", "fail"), ("dkim", "pass"), ("dmarc", "fail"))


def test_parse_microsoft_form_without_authserv_id() -> None:
    got = parse("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=x.com; dkim=none; dmarc=fail")
    assert got.authserv_id == ""
    assert got.result("dmarc") == "fail"


def test_parse_garbage_never_raises() -> None:
    for value in ("", ";;;", "(((((", "=", "a" * 10_000, '"unterminated'):
        parse(value)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("mx.example.net; dmarc=fail header.from=example.com", "fail"),
        ("mx.example.net; spf=fail; dkim=fail", "fail"),
        ("mx.example.net; spf=fail; dkim=none", "fail"),
        ("mx.example.net; spf=fail; dkim=pass", "pass"),  # a forwarded, still signed message
        ("mx.example.net; spf=softfail; dkim=none", "neutral"),
        ("mx.example.net; dmarc=pass", "pass"),
    ],
)
def test_judge(value: str, status: str) -> None:
    assert judge([value], PROVIDER).status == status


def test_header_of_another_authserv_is_ignored() -> None:
    # anyone can write "dmarc=fail" (or "pass") into their own message
    assert judge(["evil.example; dmarc=fail"], PROVIDER).status == "unknown"
    assert judge(["evil.example; dmarc=fail"], frozenset()).status == "unknown"


def test_topmost_trusted_header_wins_over_a_forged_one_below() -> None:
    values = ["mx.example.net; dmarc=pass", "mx.example.net; dmarc=fail"]
    assert judge(values, PROVIDER).status == "pass"


def test_header_values_reads_only_the_header_block_and_unfolds() -> None:
    raw = (
        b"Authentication-Results: mx.example.net;\r\n\tdmarc=fail\r\n"
        b"From: a@b.c\r\n\r\nAuthentication-Results: body.example; dmarc=pass\r\n"
    )
    assert header_values(raw) == ("mx.example.net; dmarc=fail",)


def test_header_values_is_bounded() -> None:
    raw = b"".join(b"Authentication-Results: x; spf=pass\r\n" for _ in range(5000))
    raw += b"Authentication-Results: y;" + b" a" * 1_000_000 + b"\r\n\r\nbody"
    values = header_values(raw)
    assert len(values) == 10
    assert all(len(v) <= 4000 for v in values)


def test_learnt_authserv_needs_a_sample_and_a_majority() -> None:
    assert learnt_authserv({"mx.example.net": 9}, 9) == frozenset()
    assert learnt_authserv({"mx.example.net": 18, "evil": 2}, 20) == PROVIDER
    assert learnt_authserv({"a": 10, "b": 10}, 20) == frozenset()


def test_failing_authentication_from_the_provider_is_suspicious() -> None:
    raw = _mail(["mx.example.net; spf=fail; dkim=fail; dmarc=fail"])
    verdict = classify(raw, today=TODAY, trusted_authserv=PROVIDER)
    assert verdict.kind is Kind.SUSPICIOUS
    assert verdict.auth == "fail"
    assert "dmarc=fail according to mx.example.net" in verdict.notes
    assert not verdict.suggested_addresses  # nothing in it is proposed as a referral


def test_failing_results_not_from_the_provider_change_nothing() -> None:
    raw = _mail(["evil.example; dmarc=fail"])
    assert classify(raw, today=TODAY, trusted_authserv=PROVIDER).kind is Kind.HUMAN
    # with no provider learnt yet, nothing is suspicious
    assert classify(_mail(["mx.example.net; dmarc=fail"]), today=TODAY).kind is Kind.HUMAN


def test_inspect_trusts_the_topmost_header_and_says_why() -> None:
    summary = inspect_mail(_mail(["mx.example.net; dmarc=fail"]), today=TODAY)
    assert summary["kind"] == "suspicious"
    assert summary["authentication"] == "fail"
    assert summary["suspicious_because"] == [
        "dmarc=fail according to mx.example.net",
        "would otherwise be human (human)",
    ]


# --- per-recipient delivery reports -----------------------------------------------------


def test_recipients_run_together_in_one_block_are_read_one_by_one() -> None:
    report = parse_dsn(
        "Final-Recipient: rfc822; a@x.com\nAction: delivered\nStatus: 2.0.0\n"
        "Final-Recipient: rfc822; b@y.com\nAction: failed\nStatus: 5.1.1\n"
    )
    assert report.failed == ("b@y.com",)
    assert report.delivered == ("a@x.com",)


def test_status_class_stands_in_for_a_missing_action() -> None:
    report = parse_dsn("Final-Recipient: rfc822; b@y.com\nStatus: 5.1.1\n")
    assert report.failed == ("b@y.com",)


# --- out-of-office bodies and list posts --------------------------------------------------


def test_ooo_body_with_re_subject_and_auto_submitted_no_is_an_auto_reply() -> None:
    raw = make_mail(
        {
            "From": "p@example.org",
            "Subject": "Re: Coffee chat?",
            "In-Reply-To": OUR_ID,
            "Auto-Submitted": "no",
            "Date": "Fri, 20 Nov 2026 09:00:00 +0000",
        },
        "I am currently out of the office and will return on 4 January 2027.",
    )
    verdict = classify(raw, today=TODAY)
    assert (verdict.kind, verdict.rule) == (Kind.AUTO_REPLY, "out_of_office_body")
    assert str(verdict.return_date) == "2027-01-04"


@pytest.mark.parametrize(
    "text",
    [
        "I'm out of office next week, but happy to meet the week after I'm back on the 30th.",
        "I'm on vacation until Monday. Could we talk on Wednesday when I'm back?",
        "I am away until the 3rd; how about a call on the 4th? I will be back by then.",
    ],
)
def test_a_person_in_our_thread_who_mentions_leave_is_human(text: str) -> None:
    raw = make_mail({"From": "p@example.org", "Subject": "Re: Coffee", "In-Reply-To": OUR_ID}, text)
    assert classify(raw, today=TODAY).kind is Kind.HUMAN


def test_sieve_auto_re_subject_is_an_auto_reply() -> None:
    raw = make_mail({"From": "e@example.se", "Subject": "Auto: Re: Coffee chat?"}, "Hej.")
    assert classify(raw, today=TODAY).kind is Kind.AUTO_REPLY


def test_a_contacts_list_post_is_human_other_list_posts_are_not() -> None:
    raw = (CORPUS / "auto_reply" / "mailman_list_post.eml").read_bytes()
    assert classify(raw, today=TODAY).kind is Kind.AUTO_REPLY
    verdict = classify(raw, today=TODAY, known_senders={"morgan@example.com"})
    assert verdict.kind is Kind.HUMAN


def test_a_contacts_bulk_newsletter_stays_automatic() -> None:
    raw = make_mail({"From": "m@example.com", "Precedence": "bulk", "List-Id": "<n.example>"})
    assert classify(raw, today=TODAY, known_senders={"m@example.com"}).kind is Kind.AUTO_REPLY


# --- the new corpus fixtures ----------------------------------------------------------------

EXPECTED: dict[str, dict[str, object]] = {
    "suspicious/contact_reply_dmarc_spf_dkim_fail": {
        "rule": "authentication_failed",
        "authentication": "fail",
        "suggested_addresses": [],
    },
    "suspicious/spf_fail_no_dkim_signature": {"authentication": "fail"},
    "human/forged_failing_results_below_provider_pass": {"authentication": "pass"},
    "auto_reply/sieve_vacation_auto_re_subject_no_auto_headers": {"return_date": "2026-12-01"},
    "auto_reply/ooo_re_subject_lying_auto_submitted_no": {
        "rule": "out_of_office_body",
        "return_date": "2027-01-04",
    },
    "human/out_of_office_next_week_but_happy_to_meet": {"rule": "human"},
    "bounce/dsn_failed_and_delivered_run_together": {
        "failed_recipients": ["jane.doe@example.com"],
        "notes": ["partial"],
    },
    "auto_reply/coffeechat_prep_sheet_to_user": {
        "rule": "coffeechat_own",
        "sent_by_coffeechat": True,
    },
    "cancellation/stranger_cancel_with_contact_uid": {"organizer": "jane.doe@example.com"},
    "complaint/stranger_arf_naming_contact": {"complainants": ["jane.doe@example.com"]},
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_new_fixture(key: str) -> None:
    path = CORPUS / f"{key}.eml"
    summary = inspect_mail(path.read_bytes(), today=TODAY)
    assert summary["kind"] == Path(key).parent.name, summary
    for field, value in EXPECTED[key].items():
        assert summary[field] == value, (field, summary)


def test_parse_mail_alone_leaves_auth_results_empty() -> None:
    # the parser is shared; Authentication-Results are added by classify/inspect only
    assert parse_mail(_mail(["mx.example.net; dmarc=fail"])).auth_results == ()


# --- any header at all ---------------------------------------------------------------------

_PIECES = st.sampled_from(
    ["mx.example.net", ";", " ", "(", ")", '"', "\\", "=", "spf", "dkim", "dmarc", "fail",
     "pass", "none", "/1", "\r\n\t", "é", "header.d=x"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=40).map("".join), max_size=12))
def test_any_authentication_results_never_raise(values: list[str]) -> None:
    raw = "".join(f"Authentication-Results: {v}\r\n" for v in values).encode() + b"\r\nbody"
    found = header_values(raw)
    assert len(found) <= 10
    verdict = judge(found, PROVIDER)
    assert verdict.status in ("pass", "fail", "neutral", "unknown")
    assert classify(raw, trusted_authserv=PROVIDER).kind in Kind
