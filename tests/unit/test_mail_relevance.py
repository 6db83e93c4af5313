"""The header-only relevance filter: generous, never blind to contacts, threads or reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coffeechat.models.inbox.relevance import _SIGNALS, RelevanceIndex, relevance

INDEX = RelevanceIndex.build({"ada@example.com"}, {"<outreach-1@coffeechat.example.net>"})
CORPUS = Path(__file__).parent.parent / "fixtures" / "mail"


def header(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["From: Ada Lovelace <Ada@Example.COM>", "Subject: hi"], "names-a-contact"),
        (["From: me@x.org", "To: ada@example.com"], "names-a-contact"),
        (["From: me@x.org", "Cc: someone@y.org,", " ADA@example.com"], "names-a-contact"),
        (
            ["From: stranger@z.org", "In-Reply-To: <outreach-1@coffeechat.example.net>"],
            "in-our-thread",
        ),
        (
            ["From: stranger@z.org", "References: <a@b>", " <OUTREACH-1@coffeechat.example.net>"],
            "in-our-thread",
        ),
        (["From: MAILER-DAEMON@mx.example.net", "Subject: hm"], "daemon"),
        (
            ["From: x@y.org", "Content-Type: multipart/report; report-type=delivery-status"],
            "report",
        ),
        (["From: x@y.org", "Content-Type: text/calendar; method=REQUEST"], "calendar"),
        (["From: x@y.org", "X-Failed-Recipients: gone@example.org"], "failed"),
        (["Return-Path: <>", "From: x@y.org"], "null"),
        (["From: x@y.org", "Subject: Undeliverable: Coffee?"], "bounce"),
        (["From: Google Calendar <calendar-notification@google.com>"], "calsender"),
    ],
)
def test_relevant(lines: list[str], reason: str) -> None:
    assert relevance(header(*lines), INDEX) == reason


def test_newsletter_is_skipped() -> None:
    assert (
        relevance(
            header(
                "From: Deals <deals@shop.example>",
                "To: me@x.org",
                "Subject: 50% off",
                "Message-ID: <n1@shop.example>",
            ),
            INDEX,
        )
        is None
    )


def test_a_contact_named_only_in_a_received_line_still_counts() -> None:
    # Generous on purpose: fetching one message too many costs little, missing one is final.
    assert (
        relevance(
            header("Received: from mx by mx for <ada@example.com>", "From: list@example.org"), INDEX
        )
        == "names-a-contact"
    )


# Auto-replies, read receipts and the like matter only from a contact or in our thread,
# which the cases above cover; these kinds must be fetched even from a stranger.
STRANGER_KINDS = ("bounce", "delay_notice", "complaint", "invitation", "cancellation")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in CORPUS.glob("*/*.eml") if p.parent.name in STRANGER_KINDS),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_non_human_fixture_would_be_fetched(path: Path) -> None:
    """Bounces, reports and invitations from strangers must never be filtered out unseen."""
    head = path.read_bytes().split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n"
    empty = RelevanceIndex.build(set(), set())
    assert relevance(head, empty) is not None


# The scan as first written (one _ADDR pass, MULTILINE ^ anchors): the faster scan must decide
# exactly as it does, on every fixture and on the awkward shapes below.
_REF_ADDR = re.compile(rb"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9.-]+")
_REF_MSGID = re.compile(rb"<[^<>\s]+>")
# The same alternatives as the module's, with the MULTILINE ^ anchor they were first written with.
assert _SIGNALS.pattern.startswith(rb"\n(?:")
_REF_SIGNALS = re.compile(rb"^" + _SIGNALS.pattern[2:], re.MULTILINE)


def _reference(head: bytes, index: RelevanceIndex) -> str | None:
    lowered = head.lower()
    if not index.addresses.isdisjoint(_REF_ADDR.findall(lowered)):
        return "names-a-contact"
    if not index.message_ids.isdisjoint(_REF_MSGID.findall(lowered)):
        return "in-our-thread"
    signal = _REF_SIGNALS.search(lowered)
    return None if signal is None else signal.lastgroup or "signal"


AWKWARD = [
    header("From: a@b.c_ada@example.com", "Subject: x"),  # a match that starts mid-run
    header("To: ada@example.com.", "Cc: ADA@EXAMPLE.COM"),
    header("To: xada@example.com", "Reply-To: ada@example.comx"),  # near misses only
    header("From: ada@@example.com", "To: @example.com ada@"),
    header("Subject: Undeliverable: hi", "From: x@y"),
    header("X-Note: from: mailer-daemon", "Subject: invitation"),  # not at a line start
    header("Subject: hi", " from: mailer-daemon (folded)"),
    b"From: postmaster@x.org\r\n",  # first line, no blank line after
    b"Content-Type: text/calendar\r\n\r\n",
    header("Received: from a by b", "Return-Path: <>"),
    header("Subject: invitation", "Subject: Cancelled: x"),
    header("Message-ID: <OUTREACH-1@coffeechat.example.net>"),
]


def _heads() -> list[bytes]:
    found = [path.read_bytes() for path in sorted(CORPUS.glob("*/*.eml"))]
    heads = [raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n" for raw in found]
    return heads + AWKWARD


def test_faster_scan_decides_exactly_as_the_reference() -> None:
    heads = _heads()
    tokens = sorted({t.decode() for h in heads for t in _REF_ADDR.findall(h.lower())})
    assert len(tokens) > 50
    indexes = [INDEX, RelevanceIndex.build(set(), set())]
    # Every address that occurs, one at a time, and near misses of each.
    indexes += [RelevanceIndex.build({t}, set()) for t in tokens]
    indexes += [RelevanceIndex.build({t + "x", "x" + t, t.upper()}, set()) for t in tokens]
    decided = 0
    for index in indexes:
        for head in heads:
            assert relevance(head, index) == _reference(head, index), (head, index)
            decided += relevance(head, index) == "names-a-contact"
    assert decided > len(tokens)  # the address rule really fired, for each token at least once
