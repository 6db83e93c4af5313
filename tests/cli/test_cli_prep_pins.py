"""`contacts edit --goal/--pin/--clear-pins` on a real database, seen on `coffeechat prep`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from coffeechat.deployments.cli import app
from tests.testbed import world as bed


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Invoke the coffeechat command line against a fresh database."""
    bed.cli_account(monkeypatch, tmp_path, database_url, name="Jo Seeker", email="jo@example.com")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_goal_and_pins_shape_the_sheet(cli) -> None:  # type: ignore[no-untyped-def]
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com", "--company", "Engines")
    cli("contacts", "edit", "ada", "--role", "Founder", "--goal", "How they hire their first team")
    cli("contacts", "edit", "ada", "--pin", "Would you  hire remote?", "--pin", "Visa sponsorship?")
    cli("contacts", "edit", "ada", "--pin", "would you hire remote?")  # already pinned
    sheet = cli("prep", "ada")
    questions = sheet.split("QUESTIONS", 1)[1].split("THE ASK", 1)[0]
    lines = [ln.strip()[2:] for ln in questions.splitlines() if ln.strip().startswith("- ")]
    assert lines[:2] == ["Would you hire remote?", "Visa sponsorship?"]
    assert len(lines) == 4  # twenty minutes asked for by default: four questions, pins included
    assert "What made you start Engines" in questions  # a founder
    assert "With Ada Lovelace: How they hire their first team" in sheet
    assert "within 24 hours" not in sheet and "Your outreach asks for 20 minutes" in sheet
    cli("contacts", "edit", "ada", "--clear-pins")
    assert "Would you hire remote?" not in cli("prep", "ada")
