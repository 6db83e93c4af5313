"""``coffeechat connect`` against Dovecot, aiosmtpd and Radicale: success and each failure."""

from __future__ import annotations

import socket
import tomllib

import pytest

from coffeechat.integrations.config import load_settings
from tests.integration.connect.conftest import Connect
from tests.testbed import Calendar, RadicaleServer, SmtpServer
from tests.testbed import Mailbox as BedMailbox


def imap_args(mailbox: BedMailbox, *, port: int | None = None, ca: bool = True) -> list[str]:
    args = ["--imap-host", mailbox.host, "--imap-port", str(port or mailbox.ssl_port)]
    args += ["--imap-security", "ssl", "--imap-user", mailbox.user]
    return args + (["--imap-ca-file", str(mailbox.ca_path)] if ca else [])


def smtp_args(smtp: SmtpServer) -> list[str]:
    return [
        "--smtp-host", smtp.host, "--smtp-port", str(smtp.port), "--smtp-security", "starttls",
        "--smtp-user", smtp.username, "--smtp-ca-file", str(smtp.ca_path),
    ]  # fmt: skip


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again on exit: nothing listens there


def secrets_absent(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


def test_everything_connects_and_only_references_are_written(
    connect: Connect, mailbox: BedMailbox, smtp: SmtpServer, calendar: Calendar,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    smtp.require_auth = True
    result = connect(
        *imap_args(mailbox), *smtp_args(smtp),
        "--calendar", f"work=caldav:{calendar.url}", "--calendar-user", f"work={calendar.username}",
        "--secret-store", "env:CC_TEST_PW", "--password-stdin",
        "--email", "sam@example.net", "--timezone", "Europe/Paris",
        stdin=f"{mailbox.password}\n{smtp.password}\n{calendar.password}\n",
    )  # fmt: skip
    assert result.code == 0, result.output
    assert "ok     IMAP" in result.output and "ok     SMTP" in result.output
    assert "ok     calendar work" in result.output
    data = tomllib.loads(result.text)
    assert data["imap"]["password"] == "env:CC_TEST_PW"
    assert data["smtp"]["password"] == "env:CC_TEST_PW_SMTP"
    assert data["calendars"][0]["password"] == "env:CC_TEST_PW_CALENDAR_WORK"
    # Dovecot's SPECIAL-USE folders, found and shown, not pinned: each session looks again.
    assert "sent folder: Sent" in result.output and "drafts folder: Drafts" in result.output
    assert "sent_folder" not in data["imap"] and "drafts_folder" not in data["imap"]
    assert result.mode == 0o600
    secrets_absent(result.text + result.output, mailbox.password, smtp.password)
    secrets_absent(result.text + result.output, calendar.password)
    assert "set CC_TEST_PW in the environment" in result.output
    monkeypatch.setenv("CC_TEST_PW", mailbox.password)
    settings = load_settings(result.config)
    assert settings.imap is not None and settings.imap.username == mailbox.user


def test_running_again_edits_one_part_and_keeps_the_rest(
    connect: Connect, mailbox: BedMailbox, smtp: SmtpServer, calendar: Calendar,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    result = connect(
        *imap_args(mailbox), "--secret-store", "env:CC_EDIT_PW", "--password-stdin",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    assert result.code == 0, result.output
    result.config.write_text(
        result.text + "\n# my own notes stay\n[cadence]\nprep_lead_hours = 12\n"
    )
    monkeypatch.setenv("CC_EDIT_PW", mailbox.password)  # where the first run said to put it
    again = connect("--calendar", f"feed=ics_url:{calendar.feed_url}")
    assert again.code == 0, again.output
    data = tomllib.loads(again.text)
    assert data["cadence"]["prep_lead_hours"] == 12 and "# my own notes stay" in again.text
    assert data["imap"]["username"] == mailbox.user
    assert [c["name"] for c in data["calendars"]] == ["feed"]
    # Same name again: replaced, not duplicated.
    third = connect("--calendar", f"feed=caldav:{calendar.url}",
                    "--calendar-user", f"feed={calendar.username}",
                    "--secret-store", "env:CC_EDIT_PW", "--password-stdin",
                    stdin=f"{calendar.password}\n")  # fmt: skip
    assert third.code == 0, third.output
    [entry] = tomllib.loads(third.text)["calendars"]
    assert entry["kind"] == "caldav" and entry["password"] == "env:CC_EDIT_PW_CALENDAR_FEED"
    secrets_absent(third.text + third.output, calendar.password, mailbox.password)


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("wrong password", "authentication"),
        ("untrusted certificate", "tls"),
        ("nothing listening", "unreachable"),
        ("unknown host", "unreachable"),
        ("missing folder", "folder"),
    ],
)
def test_imap_failures_are_named_and_nothing_is_written(
    connect: Connect, mailbox: BedMailbox, case: str, problem: str
) -> None:
    args, password = imap_args(mailbox), mailbox.password
    if case == "wrong password":
        password = "not-the-password-42"
    elif case == "untrusted certificate":
        args = imap_args(mailbox, ca=False)
    elif case == "nothing listening":
        args = imap_args(mailbox, port=closed_port())
    elif case == "unknown host":
        args[1] = "no-such-host.invalid"
    else:
        args += ["--sent-folder", "Gesendet"]
    result = connect(*args, "--secret-store", "env:X", "--password-stdin", stdin=password + "\n")
    assert result.code == 1
    assert f"FAILED IMAP {mailbox.user}@" in result.output
    assert f": {problem}: " in result.output, result.output
    assert not result.config.exists()
    secrets_absent(result.output, password)


@pytest.mark.parametrize(
    ("case", "problem"),
    [("wrong password", "authentication"), ("untrusted certificate", "tls"),
     ("nothing listening", "unreachable")],
)  # fmt: skip
def test_smtp_failures_are_named(
    connect: Connect, mailbox: BedMailbox, smtp: SmtpServer, case: str, problem: str
) -> None:
    smtp.require_auth = True
    args, password = smtp_args(smtp), smtp.password
    if case == "wrong password":
        password = "wrong-smtp-secret-7"
    elif case == "untrusted certificate":
        args = args[:-2]  # no --smtp-ca-file: the test bed CA is not trusted
    else:
        args[3] = str(closed_port())
    result = connect(
        *imap_args(mailbox), *args, "--secret-store", "env:X", "--password-stdin",
        stdin=f"{mailbox.password}\n{password}\n",
    )  # fmt: skip
    assert result.code == 1
    assert f"SMTP {smtp.username}@{smtp.host}: {problem}: " in result.output, result.output
    assert "ok     IMAP" in result.output  # the other connection is still reported
    secrets_absent(result.output, password, mailbox.password)


def test_missing_calendar_and_wrong_calendar_password(
    connect: Connect, mailbox: BedMailbox, calendar: Calendar, radicale: RadicaleServer
) -> None:
    missing = calendar.url.rstrip("/") + "-gone/"
    # Radicale lets anyone read a calendar here (they double as feeds): a login is checked only
    # where reading needs one, the user's principal collection.
    principal = f"{radicale.url}{calendar.username}/"
    result = connect(
        *imap_args(mailbox),
        "--calendar", f"gone=caldav:{missing}", "--calendar-user", f"gone={calendar.username}",
        "--calendar", f"work=caldav:{principal}", "--calendar-user", f"work={calendar.username}",
        "--secret-store", "env:X", "--password-stdin",
        stdin=f"{mailbox.password}\n{calendar.password}\nwrong-cal-pw\n",
    )  # fmt: skip
    assert result.code == 1
    assert "FAILED calendar gone: calendar: " in result.output, result.output
    assert "FAILED calendar work: authentication: " in result.output, result.output
    secrets_absent(result.output, calendar.password, "wrong-cal-pw")


def test_oauth_token_command_is_a_reference_not_a_secret(
    connect: Connect, mailbox: BedMailbox
) -> None:
    # The token authority knows no such token: the failure is named and the token not echoed.
    result = connect(*imap_args(mailbox), "--oauth-token-command", "printf token-123")
    assert result.code == 1
    assert "authentication" in result.output and "token-123" not in result.output


def test_keyring_without_a_backend_is_a_clear_error(connect: Connect, mailbox: BedMailbox) -> None:
    result = connect(
        *imap_args(mailbox), "--secret-store", "keyring", "--password-stdin",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    if result.code == 0:  # a machine with a working keyring: the reference is all we wrote
        assert "keyring:coffeechat/imap:" in result.text
        return
    assert "keyring" in result.output and not result.config.exists()
    secrets_absent(result.output, mailbox.password)
