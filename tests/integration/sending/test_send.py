"""The sender against the real aiosmtpd and Dovecot: threading, Sent copy, faults, limits."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

from coffeechat.flows.steps import send as outbox_send
from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.send import recover_in_flight, resume_sending, send_due, sending_paused
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.steps import OutboxStateError, settle_review
from coffeechat.models.store.tables import EventLog
from tests.integration.sending.seed import (
    NOW,
    add_interview,
    add_row,
    interview_state,
    make_app,
    row,
    statuses,
)
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox


def test_thank_you_goes_out_once_in_the_thread_with_a_sent_copy(
    app: App, smtp: SmtpServer, mailbox: BedMailbox
) -> None:
    interview, address = add_interview(app)
    row_id = add_row(app, interview, address, html="<p>Thank you!</p>")
    outreach = row(app, row_id).in_reply_to

    report = send_due(app, NOW)

    assert report.sent == [row_id] and report.stopped is None and not report.errors
    [got] = smtp.messages
    done = row(app, row_id)
    assert got.message_id == done.message_id and got.rcpt_tos == (address,)
    assert got.mail_from == "sam@example.net" and got.auth_user == smtp.username and got.tls
    parsed = message_from_bytes(got.raw, policy=default)
    assert parsed["In-Reply-To"] == outreach and parsed["References"] == outreach
    assert parsed["Subject"] == "Re: Coffee chat?" and parsed["Auto-Submitted"] is None
    assert parsed["Date"].endswith("+0100")  # the user's zone (Paris, winter)
    assert parsed.get_body(("html",)) is not None
    assert (done.status, done.sent_at, done.attempts) == ("sent", NOW, 1)
    assert interview_state(app, interview) == State.THANKED.value
    [copy] = mailbox.messages("Sent")
    assert done.message_id.encode() in copy.raw and "\\Seen" in copy.flags
    with app.factory() as s:
        types = s.scalars(select(EventLog.type).where(EventLog.interview_id == interview)).all()
    assert sorted(types) == ["EmailSent", "StateChanged"]

    assert send_due(app, NOW + timedelta(hours=1)).sent == []
    assert len(smtp.messages) == 1


def test_implicit_tls_and_no_sent_copy_for_a_provider_that_keeps_one(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    app = make_app(tmp_path, mailbox, smtp,
                   smtp_overrides={"port": smtp.ssl_port, "security": "ssl",
                                   "save_to_sent": "never"})  # fmt: skip
    interview, address = add_interview(app)
    row_id = add_row(app, interview, address)
    assert send_due(app, NOW).sent == [row_id]
    assert smtp.messages[0].tls
    assert mailbox.messages("Sent") == []


def test_4xx_answers_put_the_row_back_with_backoff_then_it_goes(app: App, smtp: SmtpServer) -> None:
    interview, address = add_interview(app)
    row_id = add_row(app, interview, address)
    smtp.fail_next(451, command="RCPT")
    report = send_due(app, NOW)
    assert report.retry == [row_id] and report.sent == []
    first = row(app, row_id)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.not_before == NOW + timedelta(minutes=5)
    assert "451" in first.last_error

    smtp.fail_next(421, command="MAIL")  # the server hangs up after 421
    assert send_due(app, NOW + timedelta(minutes=4)).retry == []  # not due yet
    assert send_due(app, NOW + timedelta(minutes=5)).retry == [row_id]
    second = row(app, row_id)
    assert (second.attempts, second.not_before) == (2, NOW + timedelta(minutes=15))

    assert send_due(app, NOW + timedelta(minutes=15)).sent == [row_id]
    assert len(smtp.messages) == 1 and row(app, row_id).attempts == 3


def test_5xx_fails_the_row_and_the_next_one_still_goes(app: App, smtp: SmtpServer) -> None:
    bad_interview, bad = add_interview(app)
    good_interview, good = add_interview(app)
    bad_row = add_row(app, bad_interview, bad)
    good_row = add_row(app, good_interview, good)
    smtp.fail_next(550, command="RCPT", text="5.1.1 No such user")
    report = send_due(app, NOW)
    assert report.failed == [bad_row] and report.sent == [good_row]
    failed = row(app, bad_row)
    assert failed.status == "failed" and "550 5.1.1 No such user" in failed.last_error
    assert [m.rcpt_tos for m in smtp.messages] == [(good,)]
    assert interview_state(app, bad_interview) == State.HELD.value


def test_auth_failure_stops_the_whole_batch(
    app: App, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-password-123")
    rows = [add_row(app, *add_interview(app)) for _ in range(3)]
    report = send_due(app, NOW)
    assert report.stopped is not None and "refused the login" in report.stopped
    assert "wrong-password-123" not in report.stopped
    assert report.retry == rows[:1] and report.sent == []
    assert set(statuses(app).values()) == {"pending"} and smtp.messages == []
    assert "wrong-password-123" not in row(app, rows[0]).last_error

    # Paused for good: no more login attempts (providers lock accounts over repeated ones).
    logins = smtp.auth_attempts
    assert logins > 0  # the refused login itself was counted
    later = send_due(app, NOW + timedelta(hours=1))
    assert later.stopped is not None and "paused" in later.stopped
    assert smtp.auth_attempts == logins and sending_paused(app)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", smtp.password)
    assert "refused the login" in resume_sending(app)
    assert sorted(send_due(app, NOW + timedelta(hours=2)).sent) == sorted(rows)


def test_drop_after_the_whole_message_is_unknown_and_never_resent(
    app: App, smtp: SmtpServer
) -> None:
    interview, address = add_interview(app)
    row_id = add_row(app, interview, address)
    smtp.drop_during_data()
    report = send_due(app, NOW)
    # The small message was fully written before the server hung up: nobody knows if it went.
    assert report.unknown == [row_id] and row(app, row_id).status == "sending"
    assert send_due(app, NOW + timedelta(hours=1)).sent == []  # still not claimable

    recovered = recover_in_flight(app, NOW + timedelta(hours=1))
    assert recovered.needs_review == [row_id]
    assert row(app, row_id).status == "needs_review" and smtp.messages == []
    assert interview_state(app, interview) == State.HELD.value
    # Only the user can settle it: "resend" sends it once more, with the same Message-ID.
    message_id = row(app, row_id).message_id
    settle_review(app.factory, app.account_id, row_id, "resend", NOW + timedelta(hours=2))
    assert send_due(app, NOW + timedelta(hours=2)).sent == [row_id]
    assert [m.message_id for m in smtp.messages] == [message_id]
    assert interview_state(app, interview) == State.THANKED.value
    with pytest.raises(OutboxStateError, match="is sent"):
        settle_review(app.factory, app.account_id, row_id, "drop", NOW + timedelta(hours=3))


def test_recovery_finds_a_copy_in_sent_and_applies_the_effects(
    app: App, smtp: SmtpServer, mailbox: BedMailbox
) -> None:
    interview, address = add_interview(app)
    row_id = add_row(app, interview, address)
    # A provider that files mail in Sent itself, and a crash between its 250 and our commit.
    smtp.deliver_to(mailbox, "Sent")

    def die(step: str, _row: int) -> None:
        if step == "accepted":
            raise KeyboardInterrupt

    outbox_send.step_hook = die
    try:
        send_due(app, NOW)
    except KeyboardInterrupt:
        pass
    finally:
        outbox_send.step_hook = outbox_send._no_step
    assert row(app, row_id).status == "sending"
    assert recover_in_flight(app, NOW, stale_after=timedelta(minutes=10)).sent == []  # too fresh
    report = recover_in_flight(app, NOW + timedelta(minutes=10))
    assert report.sent == [row_id] and row(app, row_id).status == "sent"
    assert interview_state(app, interview) == State.THANKED.value
    assert len(smtp.messages) == 1
