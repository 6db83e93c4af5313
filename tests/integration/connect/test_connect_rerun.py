"""``connect`` run again or run partly: what a kept reference is, and what SMTP defaults to."""

from __future__ import annotations

import shlex
import tomllib

from tests.integration.connect.conftest import Connect
from tests.integration.connect.test_connect import imap_args
from tests.testbed import Mailbox as BedMailbox
from tests.testbed import SmtpServer


def test_a_password_from_a_password_manager_command_stays_a_password(
    connect: Connect, mailbox: BedMailbox
) -> None:
    # `password = "command:..."` is a password manager (pass, op, secret-tool), not OAuth.
    manager = f"command:printf %s {shlex.quote(mailbox.password)}"
    first = connect(*imap_args(mailbox), "--secret-store", "env:CC_RERUN_PW", "--password-stdin",
                    stdin=f"{mailbox.password}\n")  # fmt: skip
    assert first.code == 0, first.output
    first.config.write_text(first.text.replace('"env:CC_RERUN_PW"', f'"{manager}"'))

    again = connect(*imap_args(mailbox))
    assert again.code == 0, again.output
    assert "ok     IMAP" in again.output
    imap = tomllib.loads(again.text)["imap"]
    assert imap["password"] == manager
    assert "oauth_token_command" not in imap
    assert mailbox.password not in again.output


def test_smtp_login_defaults_to_this_runs_imap_user(
    connect: Connect, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    smtp.require_auth = True
    result = connect(
        *imap_args(mailbox), "--secret-store", "env:CC_DEFAULT_PW", "--password-stdin",
        "--smtp-host", smtp.host, "--smtp-port", str(smtp.port), "--smtp-security", "starttls",
        "--smtp-ca-file", str(smtp.ca_path), "--smtp-same-password",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    assert "--smtp-user" not in result.output, result.output
    # The test relay knows only its own user, so the IMAP one is refused: proof it was tried.
    assert smtp.auth_attempts >= 1
    assert "SMTP" in result.output and "authentication" in result.output
    assert mailbox.user in result.output
