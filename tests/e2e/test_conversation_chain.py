"""The whole conversation over the real servers, from the meeting with Ada to her next update.

Dovecot holds the user's mailbox, aiosmtpd receives everything coffeechat sends (mail to the
user's own address is delivered into that INBOX, as an MTA would), the calendar is an ICS feed
on loopback; time is injected, the command line's clock included. The chain, each step asserted
on what the SMTP server received:

meeting with Ada ends -> the debrief request reaches the user's INBOX -> the user answers from a
phone (top-posted, "Sent from my iPhone"), an HTML-only webmail or a desktop client (quote on top,
answers below, a signature) -> the answer is parsed and kept -> the thank-you to Ada cites her
advice and thanks her for introducing Charles, and carries nothing private -> ``referrals accept``
makes Charles a contact -> the outreach to him names Ada in its subject and first line -> a
meeting with Charles is held -> ``done`` marks the promise kept -> Ada's next update thanks her
for the introduction and tells the kept promise, once; the update after it repeats neither.
"""

from __future__ import annotations

import email
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import runtime
from coffeechat.flows.steps.app import App, build_app, imap_credential, imap_endpoint
from coffeechat.flows.steps.cycle import run_cycle
from coffeechat.flows.steps.inbox import sync_account_mail
from coffeechat.integrations.imap import connect
from coffeechat.models.store.tables import Contact, Debrief, Promise, Referral
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed import world as bed
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.smtp import ReceivedMessage

USER = bed.USER
ADA, BABBAGE = "ada@example.com", "babbage@engines.example"
OUTREACH = "<outreach-ada@example.net>"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris
ADA_START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00-10:30 in Paris
ADA_END = ADA_START + timedelta(minutes=30)
ANSWERED = ADA_END + timedelta(minutes=40)  # the user answers on the way home
CHARLES_START = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)  # Thursday 14:00 in Paris
CHARLES_END = CHARLES_START + timedelta(minutes=30)
ADVICE = "go to the community meetups"
# Private fields, each with a word found nowhere else: none may ever reach a contact.
LEARNED = "their team rewrote the scheduler in zanzibar fashion"
PROMISED = "send my portfolio with the marmalade case study by Friday"
OFFERED = "a lighthouse tour of the office"
NEXT = "pomegranate follow-up with the recruiter"
PRIVATE = ("zanzibar", "marmalade", "lighthouse", "pomegranate")
DONE_NOTE = "I sent you my portfolio; the compiler project now opens it."
MILESTONE = "I was invited to a second-round interview at Engines Ltd."


def event(uid: str, who: str, start: datetime, end: datetime, summary: str) -> str:
    """One confirmed VEVENT the user organises with ``who``."""
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\n"
        f"DTSTAMP:20261120T100000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{end:%Y%m%dT%H%M%SZ}\r\nSUMMARY:{summary}\r\n"
        f"ORGANIZER:mailto:{USER}\r\nATTENDEE:mailto:{who}\r\nEND:VEVENT\r\n"
    )


def calendar(*events: str) -> str:
    """A VCALENDAR of ``events``."""
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
    return head + "".join(events) + "END:VCALENDAR\r\n"


ADA_EVENT = event("coffee-ada", ADA, ADA_START, ADA_END, "Coffee with Ada")
CHARLES_EVENT = event("coffee-charles", BABBAGE, CHARLES_START, CHARLES_END, "Coffee w/ Charles")


# -- the user's answer, as three kinds of mail client write it --------------------------------


@dataclass(frozen=True)
class Request:
    """The debrief request as the user's client shows it."""

    message_id: str
    subject: str
    text: str


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines())


def _headers(request: Request, mid: str, when: datetime, content_type: str) -> str:
    return (
        f"From: Sam Seeker <{USER}>\r\nTo: {USER}\r\nSubject: Re: {request.subject}\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: {mid}\r\n"
        f"In-Reply-To: {request.message_id}\r\nReferences: {request.message_id}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )


def phone(request: Request, when: datetime) -> bytes:
    """iPhone Mail: short labels typed on top, the device line, the whole request quoted."""
    body = (
        f"Learned: {LEARNED}\nAdvice: {ADVICE}\n"
        f"People: Charles Babbage <{BABBAGE}>\nPromised: {PROMISED}\n"
        f"Offered: {OFFERED}\nNext: {NEXT}\n\nSent from my iPhone\n\n"
        f"> On 24 Nov 2026, at 10:40, Sam Seeker <{USER}> wrote:\n>\n{_quoted(request.text)}\n"
    )
    head = _headers(request, "<phone-1@icloud.example>", when, "text/plain; charset=utf-8")
    return (head + body.replace("\n", "\r\n")).encode()


def webmail(request: Request, when: datetime) -> bytes:
    """A webmail that sends HTML only: one div per line, the request in a blockquote."""
    quoted = "<br>".join(line or "" for line in request.text.splitlines())
    html = (
        '<html><body><div dir="ltr">'
        f"<div>What I learned: {LEARNED}</div>"
        f"<div><b>Their advice:</b> {ADVICE}</div>"
        f"<div>People to talk to: Charles Babbage &lt;{BABBAGE}&gt;</div>"
        f"<div>What I promised: {PROMISED}</div>"
        f"<div>What they offered: {OFFERED}</div>"
        f"<div>Next step: {NEXT}</div></div><br>"
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"On Tue, Nov 24, 2026 at 10:40 AM Sam Seeker &lt;{USER}&gt; wrote:<br></div>"
        f'<blockquote class="gmail_quote">{quoted}</blockquote></div>'
        "</body></html>"
    )
    head = _headers(request, "<webmail-1@mail.example>", when, "text/html; charset=utf-8")
    return (head + html + "\r\n").encode()


def desktop(request: Request, when: datetime) -> bytes:
    """Thunderbird, bottom-posting: the quote first, headed answers under it, a signature."""
    body = (
        f"On 24/11/2026 10:40, Sam Seeker wrote:\n{_quoted(request.text)}\n\n"
        f"What I learned:\n- {LEARNED}\n\nTheir advice:\n- {ADVICE}\n"
        "- read the old design notes\n\n"
        f"People to talk to:\n- Charles Babbage <{BABBAGE}>\n\n"
        f"What I promised:\n- {PROMISED}\n\nWhat they offered:\n- {OFFERED}\n\n"
        f"Next step:\n- {NEXT}\n\n-- \nSam Seeker\nBackend developer, Paris\n"
    )
    head = _headers(request, "<tb-1@seeker.example>", when, "text/plain; charset=utf-8")
    return (head + body.replace("\n", "\r\n")).encode()


CLIENTS: dict[str, Callable[[Request, datetime], bytes]] = {
    "phone": phone,
    "webmail": webmail,
    "desktop": desktop,
}


# -- the world ---------------------------------------------------------------------------------


@dataclass
class Chain:
    """The account, its command line, the servers and the injected clock."""

    app: App
    mailbox: BedMailbox
    smtp: SmtpServer
    feed: IcsFeedServer
    clock: list[datetime]

    def at(self, when: datetime) -> None:
        """Move the clock (the command line's too) and run one cycle after reading the mail."""
        self.clock[0] = when
        imap = self.app.settings.imap
        assert imap is not None
        with connect(imap_endpoint(imap), imap_credential(imap)) as box:
            sync_account_mail(self.app, box, when)
        report = run_cycle(self.app, when)
        assert not report.problems, report.problems

    def cli(self, *args: str) -> str:
        """Run ``coffeechat ARGS`` at the clock's time; its output."""
        result = CliRunner().invoke(cli_module.app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    def to(self, address: str) -> list[EmailMessage]:
        """What the SMTP server received for ``address``, oldest first."""
        return [_parsed(m) for m in self.smtp.messages if address in m.rcpt_tos]


def _parsed(message: ReceivedMessage) -> EmailMessage:
    return email.message_from_bytes(message.raw, policy=default_policy)


def text_of(message: EmailMessage) -> str:
    """The plain-text body."""
    part = message.get_body(("plain",))
    assert part is not None
    return cast(str, part.get_content())


def flat(text: str) -> str:
    """Whitespace collapsed and case folded, as T2 compares quoted advice."""
    return " ".join(text.split()).casefold()


@pytest.fixture
def chain(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Chain:
    monkeypatch.setenv("E2E_IMAP_PASSWORD", mailbox.password)
    monkeypatch.setenv("E2E_SMTP_PASSWORD", smtp.password)
    servers = {
        "mailbox": mailbox, "relay": smtp, "feed_url": ics_http_server.url,
        "imap_env": "E2E_IMAP_PASSWORD", "smtp_env": "E2E_SMTP_PASSWORD",
        "modes": {"outreach": "auto"},
    }  # fmt: skip
    app = build_app(bed.settings(tmp_path, **servers))
    monkeypatch.setenv(
        "COFFEECHAT_CONFIG", str(bed.write_config(tmp_path / "c.toml", tmp_path, **servers))
    )
    # Only mail to the user lands in their INBOX; what goes to contacts stays on the wire.
    smtp.on_message(lambda m: _deliver(mailbox, m))
    clock = [NOW]
    for name, module in list(sys.modules.items()):
        if name.startswith("coffeechat.deployments.cli") and getattr(module, "utcnow", None):
            monkeypatch.setattr(module, "utcnow", lambda: clock[0])
    assert runtime.utcnow() == NOW
    bed.seed_outreach(app, "Ada Lovelace", ADA, mid=OUTREACH, sent_at=NOW - timedelta(days=5),
                      company="Engines Ltd", replied_at=NOW - timedelta(days=3))  # fmt: skip
    ics_http_server.set_body(calendar(ADA_EVENT))
    world = Chain(app, mailbox, smtp, ics_http_server, clock)
    world.at(NOW)
    return world


def _deliver(mailbox: BedMailbox, message: ReceivedMessage) -> None:
    if USER in message.rcpt_tos:
        mailbox.append(message.raw)


def in_inbox(mailbox: BedMailbox, message_id: str) -> bool:
    """Whether Dovecot's INBOX holds a message with this Message-ID."""
    client = mailbox.connect()
    try:
        client.select("INBOX", readonly=True)
        typ, data = client.search(None, "HEADER", "Message-ID", message_id)
        return typ == "OK" and bool(data[0] and data[0].split())
    finally:
        client.logout()


# -- the chain ---------------------------------------------------------------------------------


def ask_and_answer(chain: Chain, client: str) -> Request:
    """Ada's meeting ends, the request reaches the INBOX, the user answers from ``client``."""
    chain.at(ADA_END + timedelta(minutes=10))
    asked = [m for m in chain.to(USER) if "How did it go with Ada" in str(m["Subject"])]
    assert len(asked) == 1, [m["Subject"] for m in chain.to(USER)]
    request = Request(str(asked[0]["Message-ID"]), str(asked[0]["Subject"]), text_of(asked[0]))
    assert in_inbox(chain.mailbox, request.message_id)
    assert not chain.to(ADA)  # nothing to Ada yet: neither the request nor an early thank-you
    chain.mailbox.append(CLIENTS[client](request, ANSWERED), date=ANSWERED)
    chain.at(ANSWERED + timedelta(minutes=5))
    with chain.app.factory() as s:
        (debrief,) = s.scalars(select(Debrief)).all()
        assert flat(debrief.fields["advice"][0]) == ADVICE
        assert [p["name"] for p in debrief.fields["people"]] == ["Charles Babbage"]
        assert any("zanzibar" in line for line in debrief.fields["learned"])
        assert [p.text for p in s.scalars(select(Promise))] == [PROMISED]
    return request


def thank_you_cites_the_debrief(chain: Chain) -> EmailMessage:
    """Not before end + 2 h; then the thank-you cites the advice and thanks for Charles."""
    chain.at(ADA_END + timedelta(hours=1, minutes=50))
    assert not chain.to(ADA), "thank-you before the earliest moment (end + 2 h)"
    chain.at(ADA_END + timedelta(hours=2, minutes=5))
    (thanks,) = chain.to(ADA)
    body = flat(text_of(thanks))
    assert "thank" in body
    assert ADVICE in body, body
    # Named, and thanked for: "grateful you suggested I talk to Charles Babbage", "thank you
    # for introducing me to Charles Babbage".
    assert re.search(r"(grateful|thank)[^.]*charles babbage|introduc[^.]*charles", body), body
    return thanks


def accept_and_write_to_charles(chain: Chain) -> EmailMessage:
    """``referrals accept``; the outreach (``coffeechat outreach``) names Ada twice over."""
    chain.clock[0] = ADA_END + timedelta(hours=3)
    with chain.app.factory() as s:
        (referral,) = s.scalars(select(Referral).where(Referral.address == BABBAGE)).all()
        assert referral.status == "proposed"
    said = chain.cli("referrals", "accept", str(referral.id))
    assert "accepted" in said and "Charles Babbage" in said
    chain.cli("outreach", BABBAGE)
    chain.at(ADA_END + timedelta(hours=3, minutes=10))
    (outreach,) = chain.to(BABBAGE)
    assert outreach["Subject"] == "Ada Lovelace suggested I get in touch"
    lines = [line for line in text_of(outreach).splitlines() if line.strip()]
    assert lines[0] == "Hi Charles,"
    assert lines[1].startswith("Ada Lovelace suggested I get in touch with you")
    with chain.app.factory() as s:
        charles = s.scalars(select(Contact).where(Contact.name == "Charles Babbage")).one()
        ada = s.scalars(select(Contact).where(Contact.name == "Ada Lovelace")).one()
        assert charles.introduced_by_id == ada.id
    return outreach


def meet_charles(chain: Chain) -> None:
    """Charles's meeting goes on the calendar and is held; with no debrief answer about it, his
    thank-you goes when the wait ends."""
    chain.feed.set_body(calendar(ADA_EVENT, CHARLES_EVENT))
    chain.at(CHARLES_START - timedelta(hours=20))
    chain.at(CHARLES_END + timedelta(minutes=10))
    chain.at(CHARLES_END + timedelta(hours=4))
    # No answer about Charles: his thank-you waits for one until 20 h after the end (T1).
    assert not [m for m in chain.to(BABBAGE) if m["In-Reply-To"]], "did not wait for a debrief"
    for hours in (21, 30):
        chain.at(CHARLES_END + timedelta(hours=hours))
    thanked = [m for m in chain.to(BABBAGE) if m["In-Reply-To"]]
    assert len(thanked) == 1, [m["Subject"] for m in chain.to(BABBAGE)]


def keep_the_promise(chain: Chain) -> None:
    """``coffeechat done ID NOTE`` on the promise made to Ada."""
    chain.clock[0] = CHARLES_END + timedelta(days=2)
    with chain.app.factory() as s:
        (promise,) = s.scalars(select(Promise)).all()
    chain.cli("done", f"P{promise.id}", DONE_NOTE)
    with chain.app.factory() as s:
        assert s.scalars(select(Promise)).one().status == "done"


def updates_to_ada(chain: Chain, thanked_at: datetime) -> list[EmailMessage]:
    """Ada's update four weeks after her thank-you, then another after a milestone."""
    first = thanked_at + timedelta(days=28, minutes=30)
    chain.at(first)
    chain.clock[0] = first + timedelta(days=7)
    chain.cli("milestone", MILESTONE)
    chain.at(first + timedelta(days=29))
    return chain.to(ADA)[1:]


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_meeting_to_introducers_update(chain: Chain, client: str) -> None:
    """From Ada's meeting to her second update, answered from a phone, a webmail, a desktop."""
    ask_and_answer(chain, client)
    thanks = thank_you_cites_the_debrief(chain)
    thanked_at = ADA_END + timedelta(hours=2, minutes=5)
    accept_and_write_to_charles(chain)
    meet_charles(chain)
    keep_the_promise(chain)
    updates = updates_to_ada(chain, thanked_at)

    assert len(updates) == 2, [m["Subject"] for m in updates]
    first, second = (flat(text_of(m)) for m in updates)
    assert "charles babbage" in first and "thank" in first, first
    assert flat(DONE_NOTE) in first, first
    assert flat(MILESTONE) in second
    assert "charles babbage" not in second and flat(DONE_NOTE) not in second, second
    for message in [thanks, *updates]:
        assert message["In-Reply-To"], "follow-ups stay in Ada's thread"
    for address in (ADA, BABBAGE):
        for message in chain.to(address):
            text = flat(text_of(message))
            leaked = [word for word in PRIVATE if word in text]
            assert not leaked, f"private {leaked} reached {address}: {message['Subject']}"
