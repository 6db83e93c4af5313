"""End to end over Dovecot: mail that claims an authority it lacks changes no stage, meeting
or send; it is recorded for the user to confirm. The same mail from the right sender acts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.integrations.imap import Mailbox
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.tables import Contact, EventLog, Meeting, Message, Outbox, Referral
from coffeechat.models.store.uow import UnitOfWork
from tests.integration.inbox.conftest import NOW
from tests.integration.inbox.test_inbox_sync import OUTREACH_ID, add_contact, itip, mail, state
from tests.testbed import Mailbox as BedMailbox

PROVIDER_PASS = "Authentication-Results: mx.provider.test; dkim=pass; spf=pass; dmarc=pass\r\n"
PROVIDER_FAIL = (
    "Authentication-Results: mx.provider.test;\r\n\tdkim=fail header.d=example.com;\r\n"
    "\tspf=fail smtp.mailfrom=ada@example.com;\r\n\tdmarc=fail header.from=example.com\r\n"
)


def pending_nudge(app: App, interview_id: int) -> int:
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        row = Outbox(
            account_id=app.account_id,
            interview_id=interview_id,
            kind="nudge",
            occurrence="nudge:1",
            message_id="<cc.0123456789abcdef0123456789abcdef@example.net>",
            status="pending",
            to_addr="ada@example.com",
            subject="Re: Coffee?",
            body_text="Just following up.",
            not_before=NOW + timedelta(days=2),
            created_at=NOW,
        )
        uow.session.add(row)
        uow.commit()
        return row.id


def outbox_status(app: App, row_id: int) -> str:
    with app.factory() as s:
        row = s.get(Outbox, row_id)
        assert row is not None
        return row.status


def suspected(app: App) -> list[dict[str, object]]:
    with app.factory() as s:
        return [
            e.payload
            for e in s.scalars(select(EventLog).where(EventLog.type == "MessageSuspected"))
        ]


def arf(*, original_id: str, mid: str) -> bytes:
    """An abuse report from a stranger naming the contact, quoting original_id."""
    return (
        "From: abuse@attacker.example.org\r\nTo: sam@example.net\r\nSubject: Abuse report\r\n"
        f"Date: Fri, 20 Nov 2026 11:00:00 +0000\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="A"\r\n\r\n'
        "--A\r\nContent-Type: text/plain\r\n\r\nAbuse.\r\n"
        "--A\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nVersion: 1\r\nOriginal-Rcpt-To: ada@example.com\r\n\r\n"
        "--A\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: sam@example.net\r\nTo: ada@example.com\r\nMessage-ID: {original_id}\r\n\r\n"
        "--A--\r\n"
    ).encode()


def test_stranger_cancel_and_update_change_no_meeting(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    interview = add_contact(app, "Ada Lovelace", "ada@example.com")
    mailbox.append(itip("REQUEST", seq=0))
    sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert state(app, interview) == "scheduled"
    with app.factory() as s:
        stored = s.scalars(select(Meeting)).one()
        assert (stored.organizer, stored.invited_by) == ("ada@example.com", "ada@example.com")

    for n, method in enumerate(("CANCEL", "REQUEST")):
        forged = itip(method, seq=5 + n, status="CANCELLED" if method == "CANCEL" else "CONFIRMED")
        forged = forged.replace(b"From: Ada Lovelace <ada@example.com>", b"From: m@evil.example")
        forged = forged.replace(b"T100000\r\n", b"T170000\r\n")  # a new time
        forged = forged.replace(b"T103000\r\n", b"T173000\r\n")
        mailbox.append(forged.replace(b"@example.com>\r\nMIME", f"-{n}@evil>\r\nMIME".encode()))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=5))
    assert "meeting-cancelled" not in report.effects
    assert "meeting-rescheduled" not in report.effects
    assert report.effects.count("calendar-change-refused") == 2
    assert state(app, interview) == "scheduled"
    with app.factory() as s:
        meeting = s.scalars(select(Meeting)).one()
        assert meeting.status == "CONFIRMED" and meeting.version == 1
        assert meeting.start_utc == stored.start_utc
    reasons = [str(p["reason"]) for p in suspected(app)]
    assert len(reasons) == 2 and all("not its organizer" in r for r in reasons), reasons

    # the organizer's own cancellation still counts
    mailbox.append(itip("CANCEL", seq=9, status="CANCELLED"))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=10))
    assert "meeting-cancelled" in report.effects and state(app, interview) == "replied"


def test_stranger_complaint_closes_nothing_ours_does(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    interview = add_contact(app, "Ada Lovelace", "ada@example.com")
    nudge = pending_nudge(app, interview)
    mailbox.append(arf(original_id="<not-ours@example.net>", mid="<arf-1@evil>"))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert "opt-out" not in report.effects and "suspected" in report.effects
    assert state(app, interview) == "requested"
    assert outbox_status(app, nudge) == "pending"
    with app.factory() as s:
        contact = s.scalars(select(Contact)).one()
        assert not contact.do_not_contact
        flagged = s.scalars(select(Message).where(Message.kind == "complaint")).one()
        assert "to_confirm" in flagged.flags
    assert [p["reason"] for p in suspected(app)] == ["complaint that names no mail of ours"]

    # a report quoting the outreach we sent (only its recipients saw that id) is believed
    mailbox.append(arf(original_id=OUTREACH_ID, mid="<arf-2@fbl.example>"))
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=5))
    assert "opt-out" in report.effects and state(app, interview) == "closed"


def test_failing_authentication_is_no_reply(app: App, imap: Mailbox, mailbox: BedMailbox) -> None:
    interview = add_contact(app, "Ada Lovelace", "ada@example.com")
    nudge = pending_nudge(app, interview)
    # ordinary INBOX mail: every message the provider accepted carries its results on top
    for n in range(12):
        mailbox.append(mail(f"n{n}@shop.example", "Sale", mid=f"<n{n}@shop>", extra=PROVIDER_PASS))
    thread = f"In-Reply-To: {OUTREACH_ID}\r\nReferences: {OUTREACH_ID}\r\n"
    mailbox.append(
        mail(
            "Ada Lovelace <ada@example.com>",
            "Re: Coffee?",
            "Too busy, but talk to mallory.recruiter@example.org instead.",
            mid="<forged-1@evil>",
            extra=PROVIDER_FAIL + thread,
        )
    )
    # the user's own address, forged: no "sent by the user" effects either
    mailbox.append(
        mail(
            "Sam <sam@example.net>",
            "Re: Coffee?",
            "Thanks, Ada!",
            mid="<forged-2@evil>",
            to="ada@example.com",
            extra=PROVIDER_FAIL.replace("ada@example.com", "sam@example.net") + thread,
        )
    )
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert "reply" not in report.effects and "referral" not in report.effects
    assert report.effects.count("suspected") == 2, report.effects
    assert state(app, interview) == "requested"
    assert outbox_status(app, nudge) == "pending"
    with app.factory() as s:
        assert s.scalars(select(Referral)).all() == []
        forged = s.scalars(select(Message).where(Message.message_id.like("<forged%"))).all()
        assert {(m.kind, m.direction) for m in forged} == {("suspicious", "in")}
        summary = status_report(s, app.account_id, NOW)
    assert summary["suspicious"]["count"] == 2
    assert any("dmarc=fail" in line for line in summary["suspicious"]["to_confirm"])

    # the real Ada, authenticated, is a reply as before
    mailbox.append(
        mail(
            "Ada Lovelace <ada@example.com>",
            "Re: Coffee?",
            "Happy to chat!",
            mid="<real-1@example.com>",
            extra=PROVIDER_PASS + thread,
        )
    )
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=5))
    assert "reply" in report.effects and state(app, interview) == "replied"
    assert outbox_status(app, nudge) == "cancelled"


def test_contacts_list_post_is_correspondence_and_ooo_body_pauses(
    app: App, imap: Mailbox, mailbox: BedMailbox
) -> None:
    interview = add_contact(app, "Ada Lovelace", "ada@example.com")
    nudge = pending_nudge(app, interview)
    mailbox.append(
        mail(
            "Ada Lovelace <ada@example.com>",
            "[uxers] Anyone hiring?",
            "Hi all, we are hiring in Berlin.",
            mid="<list-1@example.com>",
            to="uxers@lists.example.org",
            extra="List-Id: <uxers.lists.example.org>\r\nPrecedence: list\r\n",
        )
    )
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW)
    assert "auto-reply" not in report.effects and "reply" not in report.effects
    with app.factory() as s:
        post = s.scalars(select(Message).where(Message.message_id == "<list-1@example.com>")).one()
        assert (post.kind, post.relation) == ("human", "correspondence")
    assert state(app, interview) == "requested" and outbox_status(app, nudge) == "pending"

    # a vacation notice that looks like a reply ("Re:", Auto-Submitted: no) is no reply
    mailbox.append(
        mail(
            "Ada Lovelace <ada@example.com>",
            "Re: Coffee?",
            "I am currently out of the office and will return on 7 December 2026.",
            mid="<ooo-1@example.com>",
            extra=f"In-Reply-To: {OUTREACH_ID}\r\nAuto-Submitted: no\r\n",
        )
    )
    report = sync_folder(app, imap, "INBOX", outgoing=False, now=NOW + timedelta(minutes=5))
    assert report.effects == ["auto-reply"]
    assert state(app, interview) == "requested" and outbox_status(app, nudge) == "pending"
