"""The header-only relevance filter: generous, never blind to contacts, threads or reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.mail_relevance import RelevanceIndex, relevance

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
        (["From: stranger@z.org", "In-Reply-To: <outreach-1@coffeechat.example.net>"],
         "in-our-thread"),
        (["From: stranger@z.org", "References: <a@b>", " <OUTREACH-1@coffeechat.example.net>"],
         "in-our-thread"),
        (["From: MAILER-DAEMON@mx.example.net", "Subject: hm"], "daemon"),
        (["From: x@y.org", "Content-Type: multipart/report; report-type=delivery-status"],
         "report"),
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
    assert relevance(header("From: Deals <deals@shop.example>", "To: me@x.org",
                            "Subject: 50% off", "Message-ID: <n1@shop.example>"), INDEX) is None


def test_a_contact_named_only_in_a_received_line_still_counts() -> None:
    # Generous on purpose: fetching one message too many costs little, missing one is final.
    assert relevance(header("Received: from mx by mx for <ada@example.com>",
                            "From: list@example.org"), INDEX) == "names-a-contact"


# Auto-replies, read receipts and the like matter only from a contact or in our thread,
# which the cases above cover; these kinds must be fetched even from a stranger.
STRANGER_KINDS = ("bounce", "delay_notice", "complaint", "invitation", "cancellation")


@pytest.mark.parametrize(
    "path", sorted(p for p in CORPUS.glob("*/*.eml") if p.parent.name in STRANGER_KINDS),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_non_human_fixture_would_be_fetched(path: Path) -> None:
    """Bounces, reports and invitations from strangers must never be filtered out unseen."""
    head = path.read_bytes().split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n"
    empty = RelevanceIndex.build(set(), set())
    assert relevance(head, empty) is not None
