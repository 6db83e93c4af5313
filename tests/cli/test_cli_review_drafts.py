"""Outreach in review mode is in Drafts at once; every refusal names a command that exists."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import typer
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import followup_cmd, review_drafts
from coffeechat.models.reports.digest import queue_digest
from coffeechat.models.store.db import make_engine, session_factory
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.ports import free_port

Run = Callable[..., str]


def _config(tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, imap_port: int) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        '[account]\nname = "Jo Seeker"\nemail = "jo@example.com"\ntimezone = "Europe/Paris"\n'
        f'[imap]\nhost = "{mailbox.host}"\nport = {imap_port}\nsecurity = "plain"\n'
        f'allow_plaintext = true\nusername = "{mailbox.user}"\n'
        'password = "env:TEST_IMAP_PASSWORD"\n'
        f'[smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "starttls"\n'
        f'ca_file = "{smtp.ca_path}"\nusername = "{smtp.username}"\n'
        'password = "env:TEST_SMTP_PASSWORD"\nsave_to_sent = "never"\n'
    )
    return config


def _runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config: Path) -> Run:
    monkeypatch.setenv("COFFEECHAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COFFEECHAT_CONFIG", str(config))
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli_module.app, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


@pytest.fixture
def bed(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Callable[[int | None], Run]:
    """The CLI over the test bed's Dovecot and aiosmtpd (IMAP on ``port``, default Dovecot's)."""
    monkeypatch.setenv("TEST_IMAP_PASSWORD", mailbox.password)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", smtp.password)

    def make(port: int | None = None) -> Run:
        config = _config(tmp_path, mailbox, smtp, port or mailbox.port)
        return _runner(monkeypatch, tmp_path, config)

    return make


def test_outreach_in_review_is_in_drafts_before_any_run_and_approve_sends_it(
    bed: Callable[[int | None], Run], mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    cli = bed(None)
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    out = cli("outreach", "Ada")
    assert "waits in Drafts for your approval" in out and "`coffeechat approve 1`" in out
    [draft] = mailbox.messages("Drafts")
    [row] = json.loads(cli("queue", "--json"))
    assert row["status"] == "draft" and "\\Draft" in draft.flags
    assert b"ada@example.com" in draft.raw and smtp.messages == []
    # Asking again finds the waiting request: still one draft, not two.
    cli("outreach", "Ada")
    assert len(mailbox.messages("Drafts")) == 1

    assert "outbox #1 sent" in cli("approve", "1")
    assert len(smtp.messages) == 1 and mailbox.messages("Drafts") == []


def test_unreachable_mailbox_says_the_next_run_places_it_and_approve_still_works(
    bed: Callable[[int | None], Run], mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    cli = bed(free_port())  # nothing listens there
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    out = cli("outreach", "Ada")
    assert "could not be put in Drafts now" in out and "`coffeechat run`" in out
    [row] = json.loads(cli("queue", "--json"))
    assert row["status"] == "pending"

    cli = bed(None)  # the mailbox answers again: approve places it, sends it, cleans up
    assert "outbox #1 sent" in cli("approve", "1")
    assert len(smtp.messages) == 1 and mailbox.messages("Drafts") == []


def test_refusals_name_the_command_that_lifts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[account]\nname = "Jo"\nemail = "jo@example.com"\n')
    cli = _runner(monkeypatch, tmp_path, config)
    out = " ".join(cli("outreach", "Margaret", code=2).split())
    assert "no contact matches" in out and "`coffeechat contacts add`" in out
    cli("contacts", "add", "Margaret Hamilton")
    out = " ".join(cli("outreach", "Margaret", code=2).split())
    assert '`coffeechat contacts edit "Margaret Hamilton" --add-email ADDRESS`' in out
    cli("contacts", "edit", "Margaret", "--add-email", "mh@example.org", "--do-not-contact")
    out = " ".join(cli("outreach", "Margaret", code=2).split())
    assert '`coffeechat contacts edit "Margaret Hamilton" --may-contact`' in out
    assert "`coffeechat queue --all`" in " ".join(cli("review", "9", "drop", code=2).split())
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    out = " ".join(cli("outreach", "Ada").split())
    assert "no Drafts copy" in out and "`coffeechat approve 1`" in out
    out = " ".join(cli("approve", "1", code=2).split())
    assert "no [smtp] section" in out and "`coffeechat connect`" in out


_NAMED = re.compile(r"`coffeechat ([^`]*)`")


def _command(words: list[str]) -> tuple[Any, list[str]]:
    """The command ``words`` name (a group when they name none), and the words after its name."""
    command: Any = typer.main.get_command(cli_module.app)
    while words and hasattr(command, "commands"):
        sub = command.commands.get(words[0])
        if sub is None:
            break
        command, words = sub, words[1:]
    return command, words


@pytest.mark.parametrize("module", [followup_cmd, review_drafts])
def test_every_command_named_in_an_error_exists_with_its_flags(module: object) -> None:
    source = Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8")
    named = _NAMED.findall(source)
    assert named, "the messages name no command"
    for text in named:
        command, rest = _command(text.split())
        assert not hasattr(command, "commands"), f"`coffeechat {text}`: no such command"
        flags = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        for word in rest:
            if word.startswith("--"):
                assert word in flags, f"`coffeechat {text}`: {word} is not a flag of it"


def test_queue_lists_the_digest_addressed_to_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[account]\nname = "Jo"\nemail = "jo@example.com"\n')
    cli = _runner(monkeypatch, tmp_path, config)
    cli("queue")  # creates the database and the account
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'coffeechat.db'}")
    with UnitOfWork(session_factory(engine), account_id=1) as uow:
        now = datetime.now(UTC)
        queue_digest(uow, now=now, zone=ZoneInfo("UTC"), to_addr="jo@example.com",
                     subject="coffeechat digest", body="news")  # fmt: skip
        uow.commit()
    engine.dispose()
    [row] = json.loads(cli("queue", "--json"))
    assert (row["kind"], row["contact"], row["to"]) == ("digest", "you", "jo@example.com")
