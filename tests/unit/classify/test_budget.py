"""The classifier's contract under its budget: a Verdict for any bytes, UNREADABLE says why."""

from __future__ import annotations

import pytest

import coffeechat.models.classify.safe as safe
from coffeechat.models.classify import Kind, classify, classify_parsed, parse_mail
from coffeechat.models.classify.budget import BODY_PARSE_CAP, HEADER_BLOCK_CAP, MAX_LINE_BREAKS
from tests.unit.classify.mailkit import make_mail

BASE = {"From": "Jane <jane@example.com>", "Subject": "Re: Coffee?", "Message-ID": "<m@x>"}


def test_a_crash_anywhere_is_unreadable_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise MemoryError

    monkeypatch.setattr(safe, "run_chain", boom)
    verdict = classify(make_mail(BASE))
    assert verdict.kind is Kind.UNREADABLE
    assert verdict.rule == "classify_failed"
    assert verdict.reason == "classification failed (MemoryError)"


def test_a_header_block_over_the_cap_is_not_read() -> None:
    raw = make_mail({**BASE, "X-Filler": "x" * HEADER_BLOCK_CAP})
    verdict = classify(raw)
    assert verdict.kind is Kind.UNREADABLE
    assert verdict.reason == f"over budget: header block over {HEADER_BLOCK_CAP:,} bytes"
    assert verdict.mail.from_addrs == ()


def test_a_header_block_under_the_cap_is_read() -> None:
    raw = make_mail({**BASE, "X-Filler": "x" * (HEADER_BLOCK_CAP - 1000)})
    verdict = classify(raw)
    assert verdict.kind is Kind.HUMAN and verdict.reason == ""


def test_headerless_bytes_say_no_header_was_read() -> None:
    assert classify(b"\x00\xff" * 10).reason == "no mail header could be read"
    assert classify(b"").reason == "empty message"
    assert classify_parsed(parse_mail(b"")).reason == "empty message"


def test_a_body_past_the_parse_cap_is_cut_and_flagged() -> None:
    raw = make_mail(BASE, "Sure, Tuesday.\n" + "filler line\n" * (BODY_PARSE_CAP // 10))
    verdict = classify(raw)
    assert verdict.kind is Kind.HUMAN
    assert "body-truncated" in verdict.mail.parse_defects
    assert verdict.mail.text_excerpt.startswith("Sure, Tuesday.")


def test_a_parameter_heavy_content_type_is_unreadable() -> None:
    raw = make_mail({**BASE, "Content-Type": "text/plain" + ";" * 5000}, "Hi")
    verdict = classify(raw)
    assert verdict.kind is Kind.UNREADABLE
    assert verdict.reason.startswith("over budget: a Content-Type field of")


def test_line_breaks_past_the_cap_are_not_parsed() -> None:
    raw = make_mail(BASE, "Sure.\n" + "\n" * (MAX_LINE_BREAKS + 10) + "tail")
    verdict = classify(raw)
    assert verdict.kind is Kind.HUMAN
    assert "body-truncated" in verdict.mail.parse_defects
    assert "tail" not in verdict.mail.text_body
