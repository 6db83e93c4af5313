"""Hostile inbound mail through the real inbox sync and a whole cycle.

Spoofed replies must never move an interview or make anything go out; CR/LF smuggled into
names and subjects must never reach an outgoing header; oversized mail, mail with thousands of
MIME parts and broken mail must be handled within the caps without stopping the batch.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from coffeechat.models.store.tables import EventLog, Message, Outbox
from tests.reliability.world import (
    LATER,
    NOW,
    USER,
    World,
    add_contact,
    in_thread,
    mail,
    make_world,
    states,
    sync_mail,
    whole_cycle,
)
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox

FAY = "fay@example.com"
FAY_OTHER = "fay.private@example.org"
MALLORY = "mallory@evil.example"


def _events_for(world: World, name: str) -> list[str]:
    with world.app.factory() as s:
        rows = s.execute(select(EventLog.type, EventLog.payload)).all()
    return [t for t, payload in rows if name in str(payload) or t == "ReplyReceived"]


def test_spoofed_replies_never_trigger_a_reply_or_a_send(world: World) -> None:
    """Fay was written to at fay@example.com and has not answered.

    Four forgeries arrive: from her other address outside our thread, with two From addresses,
    with a display name naming her address over Mallory's, and the CVE-2023-27043 shape
    ``mallory@evil.example)<fay@...>``. Must hold: Fay stays 'requested', no ReplyReceived is
    logged for her, every forgery is recorded for the user to see (none is silently dropped),
    and over a week of cycles nothing is sent to Fay or Mallory, nothing is queued for them.
    """
    outreach = add_contact(world.app, "Fay Turing", (FAY, FAY_OTHER))
    forgeries = [
        mail(f"Fay Turing <{FAY_OTHER}>", "Re: Coffee?", "Sure, let's meet!", mid="<f1@evil>"),
        mail(
            f"Fay Turing <{FAY}>, Mallory <{MALLORY}>",
            "Re: Coffee?",
            "Yes!",
            mid="<f2@evil>",
            extra=in_thread("x").replace("<outreach-x@example.net>", outreach),
        ),
        mail(
            f'"{FAY}" <{MALLORY}>',
            "Re: Coffee?",
            "Yes please, reply to me.",
            mid="<f3@evil>",
            extra=f"In-Reply-To: {outreach}\r\nReferences: {outreach}\r\n",
        ),
        mail(
            f"{MALLORY})<{FAY}>",
            "Re: Coffee?",
            "Happy to!",
            mid="<f4@evil>",
            extra=f"In-Reply-To: {outreach}\r\n",
        ),
    ]
    world.mailbox.seed_maildir(forgeries, date=NOW - timedelta(hours=2))
    whole_cycle(world.app, NOW)
    for days in (1, 3, 8, 12):
        whole_cycle(world.app, NOW + timedelta(days=days, hours=1))
    assert states(world.app)["Fay Turing"] == "requested"
    with world.app.factory() as s:
        recorded = {
            m.message_id: (m.relation, m.kind)
            for m in s.scalars(select(Message).where(Message.message_id.like("<f_@evil>")))
        }
        queued = [(r.kind, r.to_addr, r.status) for r in s.scalars(select(Outbox))]
        replies = s.scalars(select(EventLog.payload).where(EventLog.type == "ReplyReceived"))
        fay_replies = [p for p in replies if "<f" in str(p)]
    assert sorted(recorded) == ["<f1@evil>", "<f2@evil>", "<f3@evil>", "<f4@evil>"], recorded
    assert all(relation != "reply" for relation, _ in recorded.values()), recorded
    assert fay_replies == []
    rcpts = {r for m in world.smtp.messages for r in m.rcpt_tos}
    assert rcpts <= {USER, "bob@example.org"}, rcpts
    assert not [q for q in queued if q[1] in (FAY_OTHER, MALLORY)], queued
    # A nudge to Fay (the address we wrote to) may be drafted for review; never sent by itself.
    assert all(q[2] != "sent" for q in queued if q[1] == FAY), queued


_HEADER_NAME = re.compile(rb"^[!-9;-~]+:")


def _header_lines(raw: bytes) -> list[bytes]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def test_cr_lf_in_inbound_data_never_reaches_an_outgoing_header(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> None:
    """CR/LF hidden in a contact's name, the thread subject (RFC 2047-encoded in the outreach
    we find in Sent), the reply's display name, and the meeting's summary.

    Must hold: the thank-you and prep sheet still go (to the right people, once), and in the
    raw bytes aiosmtpd received every header line is a well-formed field or a folded
    continuation; no injected Bcc/field appears and Mallory is never a recipient.
    """
    from tests.reliability.world import calendar_body, event

    world = make_world(tmp_path, mailbox, smtp, ics_http_server)
    evil = f"\r\nBcc: {MALLORY}\r\nX-Injected: yes"
    subject = "=?utf-8?q?Coffee=3F=0D=0ABcc=3A_mallory=40evil=2Eexample?="
    sent_outreach = (
        f"From: Sam Seeker <{USER}>\r\nTo: Zed <zed@example.com>\r\nSubject: {subject}\r\n"
        f"Date: Mon, 16 Nov 2026 10:00:00 +0000\r\nMessage-ID: <zed-outreach@example.net>\r\n"
        "Content-Type: text/plain\r\n\r\nWould you have 20 minutes?\r\n"
    ).encode()
    add_contact(world.app, f"Zed{evil}", ("zed@example.com",), planned=True)
    add_contact(
        world.app, f"Yan{evil}", ("yan@example.com",), replied=True, subject=f"Coffee?{evil}"
    )
    mailbox.seed_maildir([sent_outreach], folder="Sent", date=NOW - timedelta(days=7))
    reply = mail(
        "=?utf-8?q?Zed=0D=0ABcc=3A_mallory=40evil=2Eexample?= <zed@example.com>",
        f"Re: {subject}",
        "Gladly.",
        mid="<zed-1@example.com>",
        extra="In-Reply-To: <zed-outreach@example.net>\r\n",
    )
    mailbox.seed_maildir([reply], date=NOW - timedelta(hours=3))
    extra = event(
        "coffee-zed",
        "20261124T080000Z",
        "20261124T083000Z",
        "zed@example.com",
        "Coffee\\nBcc: mallory@evil.example",
    ) + event(
        "coffee-yan",
        "20261123T060000Z",
        "20261123T063000Z",
        "yan@example.com",
        "Chat\\r\\nBcc: mallory@evil.example",
    )
    ics_http_server.set_body(calendar_body(extra))
    whole_cycle(world.app, NOW)
    whole_cycle(world.app, LATER)
    received = smtp.messages
    rcpts = sorted(r for m in received for r in m.rcpt_tos)
    assert rcpts == sorted([USER, USER, "bob@example.org", "yan@example.com"]), rcpts
    for message in received:
        for line in _header_lines(message.raw):
            assert _HEADER_NAME.match(line) or line[:1] in (b" ", b"\t"), line
            assert not line.lower().startswith((b"bcc:", b"x-injected:")), line
            assert b"\r" not in line and b"\n" not in line
        assert MALLORY not in message.rcpt_tos
    # The hostile text did reach the mail (so this test can see a regression), made harmless.
    assert any(b"Bcc" in m.raw.split(b"\r\n\r\n", 1)[0] for m in received)


def _multipart(sender: str, mid: str, parts: int, part_body: bytes, extra: str = "") -> bytes:
    head = (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: Re: Coffee?\r\nMessage-ID: {mid}\r\n"
        f"Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n{extra}MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=BOUND\r\n\r\n"
    ).encode()
    body = b"".join(
        b"--BOUND\r\nContent-Type: text/plain\r\n\r\n" + part_body + b"\r\n" for _ in range(parts)
    )
    return head + body + b"--BOUND--\r\n"


def test_oversized_and_many_part_mail_is_recorded_within_the_caps(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> None:
    """A 3 MB reply (cap 1 MB) and a 20,000-part message, both from contacts, in one batch.

    Must hold: the sync finishes quickly; the oversized reply is recorded and flagged
    'oversized' (classified from its headers, so Ada's reply still counts); the many-part one
    is recorded; the messages after them in the batch are processed as usual.
    """
    world = make_world(
        tmp_path, mailbox, smtp, ics_http_server, imap={"max_message_bytes": 1_000_000}
    )
    big = _multipart(
        "Ada Lovelace <ada@example.com>",
        "<ada-big@example.com>",
        3,
        b"A" * 1_000_000,
        extra=in_thread("Ada Lovelace"),
    )
    many = _multipart("Cat Hopper <cat@example.com>", "<cat-many@example.com>", 20_000, b"x")
    tail = mail(
        "Bob Babbage <bob@example.org>",
        "Re: Coffee?",
        "See you!",
        mid="<bob-after@example.com>",
        extra=in_thread("Bob Babbage"),
    )
    mailbox.seed_maildir([big, many, tail], date=NOW - timedelta(hours=1))
    started = time.monotonic()
    reports = sync_mail(world.app, NOW)
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"sync took {elapsed:.1f}s"
    with world.app.factory() as s:
        rows = {m.message_id: m for m in s.scalars(select(Message))}
    assert "oversized" in rows["<ada-big@example.com>"].flags
    assert "<cat-many@example.com>" in rows
    assert "<bob-after@example.com>" in rows
    assert states(world.app)["Ada Lovelace"] == "replied"
    assert sum(r.stored for r in reports) >= 7


def test_a_broken_message_in_the_middle_of_a_batch_never_stops_the_sync(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> None:
    """Garbage from contacts sits between good messages in one batch (and one chunk).

    Must hold: the sync completes; every good message before and after the garbage has its
    effect (Ada replied, Eve opted out, as in the reference); each broken one is recorded or
    counted, never a crash; a second sync has nothing new.
    """
    world = make_world(tmp_path, mailbox, smtp, ics_http_server)
    broken = [
        b'From: Cat Hopper <cat@example.com>\r\nContent-Type: multipart/mixed; boundary="\r\n'
        b"Subject: =?utf-8?b?!!!not-base64?=\r\n\r\n--\r\n--\r\n",
        b"From: cat@example.com\r\nSubject: \xff\xfe\x00\x01 bytes\r\nContent-Transfer-Encoding:"
        b" base64\r\n\r\n@@@@ not base64 at all ====\r\n",
        b"From: cat@example.com\r\n" + b"X-Long: " + b"a" * 200_000 + b"\r\n\r\nbody\r\n",
        b"From: <cat@example.com\r\nTo: \r\nDate: yesterday-ish\r\nContent-Type: text/calendar;"
        b" method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n",
        b"From: cat@example.com\r\nContent-Type: message/rfc822\r\n\r\n" + b"\x00" * 1000,
    ]
    # The scenario's own mail is already in INBOX; the garbage and one more good message follow.
    after = mail(
        "Dan Dijkstra <dan@example.com>",
        "Re: Coffee?",
        "Hello again",
        mid="<dan-after@example.com>",
        extra=in_thread("Dan Dijkstra"),
    )
    mailbox.seed_maildir([*broken, after], date=NOW - timedelta(hours=1))
    reports = sync_mail(world.app, NOW)
    inbox = next(r for r in reports if r.folder == "INBOX")
    assert inbox.new == 5 + len(broken) + 1
    assert inbox.stored + inbox.counted == inbox.new
    with world.app.factory() as s:
        ids = set(s.scalars(select(Message.message_id)))
    assert "<dan-after@example.com>" in ids
    got = states(world.app)
    assert (got["Ada Lovelace"], got["Eve Noether"]) == ("replied", "closed")
    assert sync_mail(world.app, NOW + timedelta(minutes=1))[-1].new == 0
