"""Property: any bytes, however malformed, yield a Verdict and a JSON-safe summary."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffeechat.models.classify import Kind, Verdict, classify, inspect_mail
from tests.unit.classify.mailkit import corpus_files

FIXTURES = [p.read_bytes() for p in corpus_files()]
TODAY = date(2026, 11, 20)

# Fragments that stress the parser when spliced into real messages.
NASTY = [
    b"\r\n",
    b"\n\n",
    b"\x00",
    b"\xff\xfe",
    b"=?utf-8?b?",
    b"=?x-unknown?q?=FF?=",
    b"--",
    b"boundary=",
    b'Content-Type: multipart/mixed; boundary=""\r\n',
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"From: a@x)<b@y>\r\n",
    b"METHOD:",
    b"Action: failed",
    b'charset="\xc3\x28"',
    b"\xe2\x80\xa8",
    b"<" * 50,
    b"@" * 50,
]


def _check(verdict: Verdict, raw: bytes) -> None:
    assert isinstance(verdict, Verdict)
    assert verdict.kind in Kind
    assert verdict.mail.size == len(raw)
    assert "\n" not in verdict.mail.subject and "\r" not in verdict.mail.subject
    assert all("\n" not in a and "\r" not in a for a in verdict.mail.from_addrs)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    _check(classify(raw, today=TODAY), raw)
    json.dumps(inspect_mail(raw, today=TODAY))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(FIXTURES),
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=100_000),
            st.integers(min_value=0, max_value=200),
            st.one_of(st.sampled_from(NASTY), st.binary(max_size=40)),
        ),
        max_size=6,
    ),
)
def test_mutated_fixtures_never_raise(raw: bytes, edits: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(raw)
    for position, cut, insert in edits:
        at = position % (len(data) + 1)
        data[at : at + cut] = insert  # delete a slice and splice in junk
    mutated = bytes(data)
    _check(classify(mutated, today=TODAY), mutated)
    _check(classify(mutated, today=TODAY, max_bytes=len(mutated) // 2 + 1, max_parts=3), mutated)
    summary = inspect_mail(mutated, today=TODAY)
    assert summary["rule"] != "inspect_failed", summary
    json.dumps(summary)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_headers_never_raise(text: str) -> None:
    raw = f"From: {text}\r\nSubject: {text}\r\nIn-Reply-To: {text}\r\n\r\n{text}".encode(
        "utf-8", "surrogatepass"
    )
    _check(classify(raw, today=TODAY), raw)
