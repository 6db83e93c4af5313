"""Sending with XOAUTH2: aiosmtpd checks each token with the test bed's authority, like Gmail.

The account is configured as a Gmail user's would be: one token command for IMAP and SMTP, the
mailbox address as the SMTP login. A refused token is answered the way Gmail answers it (a 334
JSON error, then 535 once the client sends an empty line).
"""

from __future__ import annotations

import base64
import logging
import shlex
import smtplib
import traceback
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import pytest

from coffeechat.flows.steps.app import App, build_app
from coffeechat.flows.steps.send import send_due, sending_paused
from coffeechat.integrations.config import ImapConfig
from coffeechat.integrations.smtp import (
    SmtpAuthFailed,
    SmtpCredentialUnavailable,
    SmtpError,
    send,
    smtp_credential,
    smtp_endpoint,
)
from tests.integration.sending.seed import (
    NOW,
    add_interview,
    add_row,
    row,
    settings,
    statuses,
)
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.oauth import TokenAuthority, command_runs, printing_command, token_forms


def oauth_app(tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, command: str) -> App:
    """The sending test bed's settings with every login done by the token command."""
    login = {
        "username": mailbox.user,
        "password": None,
        "oauth_token_command": f"command:{command}",
    }
    base = settings(tmp_path, mailbox, smtp, smtp_overrides=login)
    assert base.imap is not None
    imap = ImapConfig.model_validate(base.imap.model_dump() | login)
    return build_app(base.model_copy(update={"imap": imap}))


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the captured log records hold: messages, arguments and tracebacks."""
    records = (f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    return "\n".join(records) + caplog.text


def message() -> EmailMessage:
    """A small message for the edge-level tests."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "sam@example.net", "ada@example.com", "hi"
    mail.set_content("Hello.\n")
    return mail


def test_mail_goes_out_over_xoauth2_and_arrives(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    authority: TokenAuthority = smtp.oauth
    smtp.require_auth = True
    recipient = mailbox.server.take_user()
    smtp.deliver_to(recipient)
    app = oauth_app(tmp_path, mailbox, smtp, authority.token_command(mailbox.user))
    rows = [add_row(app, *add_interview(app)) for _ in range(2)]

    report = send_due(app, NOW)

    assert sorted(report.sent) == sorted(rows) and report.stopped is None, report
    assert not report.errors, report.errors  # the Sent copies went in over XOAUTH2 too
    assert [(m.auth_kind, m.auth_user, m.tls) for m in smtp.messages] == [
        ("xoauth2", mailbox.user, True)
    ] * 2
    sent_ids = {row(app, r).message_id for r in rows}
    assert {m.message_id for m in smtp.messages} == sent_ids
    arrived = {message_from_bytes(m.raw)["Message-ID"] for m in recipient.messages()}
    assert arrived == sent_ids
    assert len(mailbox.messages("Sent")) == 2
    # One fresh token per connection: two SMTP submissions and two Sent-copy IMAP logins.
    tokens = authority.issued(mailbox.user)
    assert len(set(tokens)) == 4
    smtp_checks = [c for c in authority.checks("smtp") if c.token in tokens]
    assert len(smtp_checks) == 2 and all(c.user == mailbox.user for c in smtp_checks)
    assert len({c.token for c in smtp_checks}) == 2
    assert smtp.auth_attempts == 2 and smtp.xoauth2_error_replies == []
    text = logged(caplog) + repr(report)
    assert "IMAP connected" in text  # the log was captured: its silence means something
    assert all(form not in text for token in tokens for form in token_forms(mailbox.user, token))


@pytest.mark.parametrize("kind", ["unknown", "expired", "another user's"])
def test_a_refused_token_is_smtp_auth_failed_without_the_token(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, kind: str
) -> None:
    authority: TokenAuthority = smtp.oauth
    token = authority.refused_token(kind, mailbox.user, other="someone-else@example.net")
    runs = tmp_path / "runs"
    app = oauth_app(tmp_path, mailbox, smtp, printing_command(token, runs))
    assert app.settings.smtp is not None
    cfg = app.settings.smtp

    with pytest.raises(SmtpAuthFailed) as caught:
        send(smtp_endpoint(cfg), smtp_credential(cfg), message(),
             envelope_from=mailbox.user, recipients=["ada@example.com"])  # fmt: skip

    exc = caught.value
    # Our client answered Gmail's JSON challenge with an empty line and got the final 535.
    assert smtp.xoauth2_error_replies == [b""]
    assert "535 5.7.8 Username and Password not accepted" in str(exc)
    assert f"refused the login of {mailbox.user!r}" in str(exc)
    assert exc.__cause__ is None and exc.__context__ is None  # no smtplib frames chained
    text = f"{exc} {exc!r} {''.join(traceback.format_exception(exc))}"
    assert all(form not in text for form in token_forms(mailbox.user, token))
    assert command_runs(runs) == 1 and smtp.auth_attempts == 1 and smtp.messages == []


def test_a_refused_token_pauses_sending_after_one_login(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp.require_auth = True
    token = "ya29.revoked-Vb55"
    runs = tmp_path / "runs"
    app = oauth_app(tmp_path, mailbox, smtp, printing_command(token, runs))
    rows = [add_row(app, *add_interview(app)) for _ in range(3)]

    report = send_due(app, NOW)

    assert report.stopped is not None and "refused the login" in report.stopped
    assert report.sent == [] and report.retry == rows[:1] and smtp.messages == []
    assert command_runs(runs) == 1 and smtp.auth_attempts == 1  # one login, not one per row
    later = send_due(app, NOW)
    assert later.stopped is not None and "paused" in later.stopped and sending_paused(app)
    assert command_runs(runs) == 1 and smtp.auth_attempts == 1  # paused: no more logins
    text = f"{report!r} {later!r} {row(app, rows[0]).last_error} {logged(caplog)}"
    assert all(form not in text for form in token_forms(mailbox.user, token))


def test_a_failing_token_command_stops_the_batch_without_a_login_or_a_pause(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    runs = tmp_path / "runs"
    failing = shlex.join(["/bin/sh", "-c", 'echo run >> "$1"; exit 3', "token-command", str(runs)])
    app = oauth_app(tmp_path, mailbox, smtp, failing)
    assert app.settings.smtp is not None
    cfg = app.settings.smtp
    with pytest.raises(SmtpCredentialUnavailable, match="exited with status 3") as caught:
        send(smtp_endpoint(cfg), smtp_credential(cfg), message(),
             envelope_from=mailbox.user, recipients=["ada@example.com"])  # fmt: skip
    assert isinstance(caught.value, SmtpError) and caught.value.__context__ is None
    rows = [add_row(app, *add_interview(app)) for _ in range(3)]

    report = send_due(app, NOW)

    # Nothing reached the server, so no row is in doubt and nothing needs a manual resume.
    assert report.stopped is not None and "cannot read the login secret" in report.stopped
    assert report.retry == rows[:1] and set(statuses(app).values()) == {"pending"}
    assert not sending_paused(app)
    assert command_runs(runs) == 2 and smtp.auth_attempts == 0 and smtp.messages == []


def test_the_testbed_speaks_xoauth2_like_gmail(smtp: SmtpServer) -> None:
    user = "sam@example.net"
    token = smtp.oauth.issue(user)
    sasl = f"user={user}\x01auth=Bearer {token}\x01\x01"
    with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as client:
        client.ehlo()
        assert "XOAUTH2" in client.esmtp_features["auth"].split()
        # A refused token: 334 with Gmail's JSON error, then 535 after the empty line.
        bad = base64.b64encode(sasl.replace(token, "ya29.bad").encode()).decode()
        code, challenge = client.docmd("AUTH", f"XOAUTH2 {bad}")
        assert code == 334 and b'"status":"400"' in base64.b64decode(challenge)
        assert client.docmd("")[0] == 535
        # Without an initial response the server asks for it with an empty challenge.
        assert client.docmd("AUTH", "XOAUTH2") == (334, b"")
        assert client.docmd(base64.b64encode(sasl.encode()).decode())[0] == 235
    assert smtp.xoauth2_error_replies == [b""] and smtp.auth_attempts == 2
    assert [c.user for c in smtp.oauth.checks("smtp")[-2:]] == [None, user]
