"""``coffeechat connect --oauth-token-command`` against Dovecot and aiosmtpd that take tokens.

Both servers check each token with the test bed's authority, so a success here means the
token the command printed really was presented, to both; and what is written down is the
command, never a token.
"""

from __future__ import annotations

import tomllib
from email.message import EmailMessage
from pathlib import Path

import pytest

from coffeechat.deployments import connect as c
from coffeechat.flows.steps.app import imap_credential, imap_endpoint
from coffeechat.integrations.config import ImapConfig, load_settings
from coffeechat.integrations.imap import connect as imap_connect
from coffeechat.integrations.secrets import SecretReference
from coffeechat.integrations.smtp import send, smtp_credential, smtp_endpoint
from tests.integration.connect.conftest import Connect
from tests.integration.connect.test_connect import imap_args
from tests.testbed import Mailbox as BedMailbox
from tests.testbed import SmtpServer
from tests.testbed.oauth import TokenAuthority, command_runs, printing_command, token_forms


def smtp_args(smtp: SmtpServer, user: str) -> list[str]:
    """The SMTP flags for the test bed, logging in as user (the mailbox address, as on Gmail)."""
    return [
        "--smtp-host", smtp.host, "--smtp-port", str(smtp.port), "--smtp-security", "starttls",
        "--smtp-user", user, "--smtp-ca-file", str(smtp.ca_path),
    ]  # fmt: skip


def absent(text: str, user: str, tokens: list[str]) -> None:
    """Assert that no token (nor its base64 or SASL form) is in text."""
    for token in tokens:
        for form in token_forms(user, token):
            assert form not in text


def test_a_token_command_logs_in_to_both_and_only_the_command_is_written(
    connect: Connect, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    smtp.require_auth = True
    authority: TokenAuthority = mailbox.server.oauth
    command = authority.token_command(mailbox.user)

    result = connect(
        *imap_args(mailbox), *smtp_args(smtp, mailbox.user), "--oauth-token-command", command
    )

    assert result.code == 0, result.output
    assert f"ok     IMAP {mailbox.user}@" in result.output
    assert f"ok     SMTP {mailbox.user}@" in result.output
    data = tomllib.loads(result.text)
    for section in ("imap", "smtp"):
        assert data[section]["oauth_token_command"] == f"command:{command}"
        assert "password" not in data[section]
    assert result.mode == 0o600
    tokens = authority.issued(mailbox.user)
    absent(result.text + result.output, mailbox.user, tokens)
    # One fresh token per check, and each server was shown its own.
    first, second = tokens
    checked = {(c.client, c.token, c.user) for c in authority.checks()}
    assert {("imap", first, mailbox.user), ("smtp", second, mailbox.user)} <= checked

    # What was written works as it is: the next login runs the command again.
    settings = load_settings(result.config)
    assert settings.imap is not None and settings.smtp is not None
    with imap_connect(imap_endpoint(settings.imap), imap_credential(settings.imap)) as box:
        assert box.status("INBOX").messages == 0
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = mailbox.user, "ada@example.com", "hello"
    mail.set_content("Hi.\n")
    send(smtp_endpoint(settings.smtp), smtp_credential(settings.smtp), mail,
         envelope_from=mailbox.user, recipients=["ada@example.com"])  # fmt: skip
    [got] = smtp.messages
    assert (got.auth_kind, got.auth_user) == ("xoauth2", mailbox.user)
    assert len(authority.issued(mailbox.user)) == 4


def test_running_again_keeps_the_token_command(
    connect: Connect, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    authority: TokenAuthority = mailbox.server.oauth
    command = authority.token_command(mailbox.user)
    first = connect(*imap_args(mailbox), "--oauth-token-command", command)
    assert first.code == 0, first.output

    # Edit the IMAP section (naming no login: the stored command is used again) and add SMTP
    # logging in the same way.
    again = connect(
        *imap_args(mailbox), "--sent-folder", "Sent",
        *smtp_args(smtp, mailbox.user), "--smtp-same-password",
    )  # fmt: skip

    assert again.code == 0, again.output
    data = tomllib.loads(again.text)
    assert data["imap"]["oauth_token_command"] == f"command:{command}"
    assert data["smtp"]["oauth_token_command"] == f"command:{command}"
    assert "password" not in data["imap"] and "password" not in data["smtp"]
    tokens = authority.issued(mailbox.user)
    assert len(tokens) == 3  # first run's IMAP check, then IMAP and SMTP again
    absent(again.text + again.output, mailbox.user, tokens)


@pytest.mark.parametrize("kind", ["expired", "another user's"])
def test_a_refused_token_fails_both_checks_and_nothing_is_written(
    connect: Connect, mailbox: BedMailbox, smtp: SmtpServer, tmp_path: Path, kind: str
) -> None:
    smtp.require_auth = True
    authority: TokenAuthority = mailbox.server.oauth
    token = authority.refused_token(kind, mailbox.user, other="user999")
    runs = tmp_path / "runs"
    command = printing_command(token, runs)

    result = connect(
        *imap_args(mailbox), *smtp_args(smtp, mailbox.user), "--oauth-token-command", command
    )

    assert result.code == 1
    assert f"FAILED IMAP {mailbox.user}@{mailbox.host}: authentication: " in result.output
    assert f"FAILED SMTP {mailbox.user}@{smtp.host}: authentication: " in result.output
    assert "Traceback" not in result.output
    assert not result.config.exists()
    absent(result.output, mailbox.user, [token])
    # Each check ran the command once and logged in once: no retry.
    assert command_runs(runs) == 2 and smtp.auth_attempts == 1 and smtp.messages == []
    assert [c.token for c in authority.checks("imap")].count(token) == 1


def test_a_failing_token_command_is_a_secret_problem_for_both(
    connect: Connect, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    smtp.require_auth = True
    result = connect(
        *imap_args(mailbox), *smtp_args(smtp, mailbox.user), "--oauth-token-command", "false"
    )
    assert result.code == 1
    assert f"FAILED IMAP {mailbox.user}@{mailbox.host}: secret: " in result.output
    assert f"FAILED SMTP {mailbox.user}@{smtp.host}: secret: " in result.output
    assert "exited with status 1" in result.output and "Traceback" not in result.output
    assert not result.config.exists() and smtp.auth_attempts == 0


def test_a_command_reference_is_checked_as_what_it_is_stored_as(
    mailbox: BedMailbox, tmp_path: Path
) -> None:
    # A password manager's command (password = "command:...") is a password, not a token.
    password_file = tmp_path / "password"
    password_file.write_text(mailbox.password)
    password_ref = SecretReference("command", f"/bin/cat {password_file}")
    token_ref = SecretReference("command", mailbox.server.oauth.token_command(mailbox.user))
    cfg = ImapConfig(
        host=mailbox.host, port=mailbox.ssl_port, ca_file=mailbox.ca_path,
        username=mailbox.user, password=password_ref,
    )  # fmt: skip
    outcome = c.Outcome()
    c.check_imap(cfg, c.credential_for(None, password_ref, oauth=False), outcome)
    c.check_imap(cfg, c.credential_for(None, token_ref, oauth=True), outcome)
    c.check_imap(cfg, c.credential_for(None, token_ref), outcome)  # the guess: a token
    assert outcome.failures == [] and len(outcome.passed) == 3
