"""Every hostile mail shape classifies, within its caps, without raising; lookalikes stay apart.

Costs are measured in ``bench/bench_hostile.py`` (under a resource limit); here each shape must
simply come back with a Kind. Before the budget, several of these never came back at all.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from coffeechat.deployments.cli import app
from coffeechat.models.classify import (
    Kind,
    Relation,
    ThreadContext,
    classify,
    inspect_mail,
    match_reply,
)
from coffeechat.models.classify.budget import ADDRESSES_PER_FIELD, HEADER_BLOCK_CAP
from coffeechat.models.inbox.relevance import RelevanceIndex, relevance
from tests.hostile.mail_shapes import names, shape

TODAY = date(2026, 11, 20)
OURS = "<outreach.20261110.4f2a@coffeechat.example.net>"


@pytest.mark.parametrize("name", names())
def test_every_shape_yields_a_kind(name: str) -> None:
    raw = shape(name)
    verdict = classify(raw, today=TODAY)
    assert verdict.kind in Kind
    assert verdict.mail.size == len(raw)
    summary = inspect_mail(raw, today=TODAY)
    json.dumps(summary)
    assert summary["kind"] == str(verdict.kind)
    if verdict.kind is Kind.UNREADABLE:
        assert verdict.reason, "an unreadable message always says why"


_INDEX = RelevanceIndex.build({"jane@example.com", "p5@example.org"}, {OURS})


@pytest.mark.parametrize("name", names())
def test_every_shape_header_goes_through_the_relevance_scan(name: str) -> None:
    raw = shape(name)
    head = raw.split(b"\r\n\r\n", 1)[0]
    found = relevance(head, _INDEX)
    if len(head) <= HEADER_BLOCK_CAP and (b"jane@example.com" in head or OURS.encode() in head):
        assert found is not None


def test_there_are_enough_shapes() -> None:
    assert len(names()) >= 35


def test_a_header_block_over_the_cap_is_unreadable_with_its_reason() -> None:
    verdict = classify(shape("from_6mb_250k_addresses"), today=TODAY)
    assert verdict.kind is Kind.UNREADABLE
    assert "header block over" in verdict.reason


def test_unreadable_reason_reaches_inspect_mail_cli(tmp_path: Path) -> None:
    path = tmp_path / "big.eml"
    path.write_bytes(shape("cc_1_5mb"))
    result = CliRunner().invoke(app, ["inspect", "mail", str(path), "--json"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["kind"] == "unreadable"
    assert "header block over" in summary["reason"]
    text = CliRunner().invoke(app, ["inspect", "mail", str(path)])
    assert "reason: over budget" in text.stdout


def test_address_fields_are_capped_and_say_so() -> None:
    mail = classify(shape("cc_900k_under_cap"), today=TODAY).mail
    assert len(mail.cc_addrs) <= ADDRESSES_PER_FIELD
    assert {"cc-too-long", "cc-too-many-addresses"} <= set(mail.parse_defects)
    many_from = classify(shape("from_900k_under_cap"), today=TODAY).mail
    assert match_reply(many_from, _ctx("p0@example.org")).relation is Relation.SUSPICIOUS


def test_a_from_field_cut_at_the_cap_is_never_trusted() -> None:
    raw = _head("text/plain", "Kate <kate@example.com>, " + "x" * 40_000) + b"Yes!"
    mail = classify(raw, today=TODAY).mail
    assert mail.from_addrs == ("kate@example.com",)
    assert "from-too-long" in mail.parse_defects
    assert match_reply(mail, _ctx("kate@example.com")).relation is Relation.SUSPICIOUS


def test_exotic_charsets_are_refused_not_decoded() -> None:
    mail = classify(shape("parts_punycode_3x512k"), today=TODAY).mail
    assert "unknown-charset:punycode" in mail.parse_defects
    assert mail.text_body.startswith("-9a9a")  # read as UTF-8, not run through punycode
    subject = classify(shape("subject_punycode_under_cap"), today=TODAY).mail.subject
    assert subject.startswith("=?punycode?q?-9a9a")


def test_closed_mailto_anchors_survive_among_unclosed_ones() -> None:
    body = '<p>Ask <a href="mailto:bo@example.org">Bo</a></p>' + '<a href="mailto:x@y.z">' * 5000
    raw = _head("text/html; charset=utf-8") + body.encode()
    assert "Bo (bo@example.org)" in classify(raw, today=TODAY).mail.text_new


def _head(ctype: str, sender: str = "Jane <jane@example.com>") -> bytes:
    return (
        f"From: {sender}\r\nTo: jo@example.net\r\nSubject: Re: Coffee?\r\n"
        f"Message-ID: <m1@example.com>\r\nIn-Reply-To: {OURS}\r\n"
        f"Content-Type: {ctype}\r\n\r\n"
    ).encode()


def _ctx(address: str) -> ThreadContext:
    return ThreadContext(
        our_message_ids=frozenset({OURS}),
        contact_addresses={address: 7},
        outreach_recipients={7: frozenset({address})},
    )


def test_a_lookalike_local_part_is_not_the_contact() -> None:
    mail = classify(shape("from_kelvin_sign_lookalike"), today=TODAY).mail
    assert mail.from_addrs == ("\u212aate@example.com",)
    found = match_reply(mail, _ctx("kate@example.com"))
    assert found.relation is not Relation.REPLY and found.contact_id is None


def test_ascii_case_still_matches_the_contact() -> None:
    mail = classify(_head("text/plain", "Kate <KATE@Example.COM>") + b"Yes!", today=TODAY).mail
    assert match_reply(mail, _ctx("kate@example.com")).relation is Relation.REPLY


def test_an_idna_sender_on_the_wire_is_valid_and_matches() -> None:
    raw = _head("text/plain", "Jo <jo@XN--BCHER-KVA.example>") + b"Yes!"
    mail = classify(raw, today=TODAY).mail
    assert mail.from_addrs == ("jo@xn--bcher-kva.example",)
    assert not any(d.startswith("from-") for d in mail.parse_defects)
    assert match_reply(mail, _ctx("jo@xn--bcher-kva.example")).relation is Relation.REPLY


def test_a_display_name_holding_an_address_is_never_matched_on_it() -> None:
    mail = classify(shape("from_display_name_holds_address"), today=TODAY).mail
    assert mail.from_addrs == ("mallory@evil.example",)
    assert match_reply(mail, _ctx("jane@example.com")).relation is not Relation.REPLY
    unquoted = _head("text/plain", "jane@example.com <mallory@evil.example>") + b"Yes"
    assert classify(unquoted, today=TODAY).mail.from_addrs == ("mallory@evil.example",)


# Hypothesis: pathological headers and MIME trees built from the pieces attackers combine.
_CHARSETS = st.sampled_from(
    ["utf-8", "iso-8859-1", "punycode", "idna", "raw_unicode_escape", "unicode_escape", "bz2",
     "rot13", "x-unknown", "utf-7", "utf-16", "shift_jis", "", "\x00", "utf-8'en'"]
)  # fmt: skip
_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
_JUNK = st.sampled_from(["<", ">", '"', "(", ")", "\\", "@", ",", ";", ":", "=?", "?=", " ", "\t"])


@st.composite
def _encoded_word(draw: st.DrawFn) -> str:
    charset = draw(_CHARSETS)
    payload = draw(st.binary(max_size=40))
    if draw(st.booleans()):
        return f"=?{charset}?b?{base64.b64encode(payload).decode()}?="
    return f"=?{charset}?q?{payload.hex()}?="


@st.composite
def _header_value(draw: st.DrawFn) -> str:
    pieces = st.one_of(_TEXT, _encoded_word(), _JUNK, st.just("a@b.example"), st.just("\r\n "))
    repeat = draw(st.integers(min_value=1, max_value=300))
    return "".join(draw(st.lists(pieces, max_size=12))) * repeat


_UNITS = [
    b"<a href=mailto:", b"<script>", b"\r\n", b"=?", b"\x00", b"\xff", b"On x wrote:", b"> ",
    b"Action: failed\r\n", b"METHOD:CANCEL\r\n", b"<div ", b"=\r\n", b"Message-ID: ",
]  # fmt: skip


@st.composite
def _mime(draw: st.DrawFn, depth: int = 0) -> bytes:
    ctype = draw(
        st.sampled_from(["text/plain", "text/html", "text/calendar", "message/rfc822",
                         "message/delivery-status", "text/rfc822-headers", "multipart/mixed",
                         "multipart/report", "application/octet-stream"])
    )  # fmt: skip
    cte = draw(st.sampled_from(["", "base64", "quoted-printable", "8bit", "x-uuencode"]))
    head = f"Content-Type: {ctype}; charset={draw(_CHARSETS)}; boundary=b{depth}\r\n"
    head += f"Content-Transfer-Encoding: {cte}\r\n" if cte else ""
    if ctype.startswith("multipart/") and depth < 4:
        children = draw(st.lists(_mime(depth + 1), max_size=3))
        body = b"".join(f"--b{depth}\r\n".encode() + c + b"\r\n" for c in children)
        body += f"--b{depth}--\r\n".encode() if draw(st.booleans()) else b""
    else:
        unit = draw(st.sampled_from(_UNITS))
        body = unit * draw(st.integers(min_value=0, max_value=2000)) + draw(st.binary(max_size=50))
    return head.encode() + b"\r\n" + body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    from_=_header_value(),
    to=_header_value(),
    subject=_header_value(),
    body=_mime(),
)
def test_pathological_headers_and_mime_always_yield_a_kind(
    from_: str, to: str, subject: str, body: bytes
) -> None:
    head = f"From: {from_}\r\nTo: {to}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
    raw = head.encode("utf-8", "surrogatepass") + body
    verdict = classify(raw, today=TODAY)
    assert verdict.kind in Kind
    mail = verdict.mail
    assert len(mail.from_addrs) <= ADDRESSES_PER_FIELD and len(mail.to_addrs) <= ADDRESSES_PER_FIELD
    for addr in (*mail.from_addrs, *mail.to_addrs):
        assert "\n" not in addr and "\r" not in addr
        assert not any("A" <= c <= "Z" for c in addr)
    assert "\n" not in mail.subject and len(mail.subject) <= 500
    json.dumps(inspect_mail(raw, today=TODAY))
