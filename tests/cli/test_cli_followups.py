"""The follow-up commands on a real database: outreach, queue, milestone, approve."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import contacts, followup_cmd
from tests.testbed import world as bed

Run = Callable[..., str]


def _app() -> typer.Typer:
    # The same root callback as `coffeechat`, with only the commands under test registered.
    app = typer.Typer()
    app.callback()(cli_module._root)
    app.add_typer(contacts.app, name="contacts")
    for name in ("outreach", "milestone", "approve", "queue"):
        app.command(name)(getattr(followup_cmd, name))
    return app


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Invoke the follow-up commands against a fresh database."""
    bed.cli_account(monkeypatch, tmp_path, database_url, name="Jo Seeker", email="jo@example.com")
    runner, app = CliRunner(), _app()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


def test_outreach_is_queued_once_for_review_and_listed(cli: Run) -> None:
    cli("contacts", "add", "Grace Hopper", "-e", "grace@example.org")
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com", "--company", "Analytical",
        "--introduced-by", "grace@example.org")  # fmt: skip
    assert "waits for your approval" in cli("outreach", "Ada", "--nudge")
    cli("outreach", "ada@example.com")
    [row] = json.loads(cli("queue", "--json"))
    assert (row["kind"], row["status"], row["mode"], row["to"]) == (
        "outreach",
        "pending",
        "review",
        "ada@example.com",
    )
    assert row["subject"] == "Grace Hopper suggested I get in touch"
    assert "outreach" in cli("queue")


def test_refusals_and_approve_without_smtp_are_one_clear_line(cli: Run) -> None:
    cli("contacts", "add", "No Body", "-e", "no@example.net")
    cli("contacts", "edit", "No Body", "--do-not-contact")
    assert "do-not-contact" in cli("outreach", "No Body", code=2)
    assert "no [smtp] section" in cli("approve", "1", code=2)
    assert "nothing queued" in cli("queue")


def test_milestone_is_recorded(cli: Run) -> None:
    assert "milestone recorded; 0 people" in cli("milestone", "I start at Acme in May")
