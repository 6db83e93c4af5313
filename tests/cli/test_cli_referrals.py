"""The referral commands on a real database: refer, list, accept, decline, ask, and linking."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import contacts, followup_cmd, records, referrals_cmd
from tests.testbed import world as bed

Run = Callable[..., str]


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(cli_module._root)
    app.add_typer(contacts.app, name="contacts")
    app.add_typer(referrals_cmd.app, name="referrals")
    app.command("refer")(referrals_cmd.refer_cmd)
    app.command("status")(records.status)
    app.command("export")(records.export)
    for name in ("outreach", "queue"):
        app.command(name)(getattr(followup_cmd, name))
    return app


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Invoke the referral commands against a fresh database."""
    bed.cli_account(monkeypatch, tmp_path, database_url, name="Jo Seeker", email="jo@example.com")
    runner, app = CliRunner(), _app()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


def _only(cli: Run) -> dict[str, object]:
    [row] = json.loads(cli("referrals", "--json"))["referrals"]
    assert isinstance(row, dict)
    return row


def test_refer_accept_and_outreach_names_the_introducer(cli: Run) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    said = cli("refer", "Ada", "Charles Babbage", "babbage@example.org", "--company", "Engines")
    assert "referral #1 recorded (proposed)" in said
    assert "`coffeechat referrals accept 1`" in said
    assert "coffeechat referrals accept 1" in cli("status")
    said = cli("referrals", "accept", "1")
    assert "added #2 Charles Babbage" in said and "next: coffeechat outreach #2" in said
    row = _only(cli)
    assert (row["status"], row["contact"], row["contacted"]) == (
        "accepted", {"id": 2, "name": "Charles Babbage"}, False,
    )  # fmt: skip
    cli("outreach", "#2")
    [queued] = json.loads(cli("queue", "--json"))
    assert queued["subject"] == "Ada Lovelace suggested I get in touch"
    show = json.loads(cli("contacts", "show", "Ada", "--json"))
    assert [r["name"] for r in show["chain"]["introduced"]] == ["Charles Babbage"]
    assert "introduced Charles Babbage (#2): accepted" in cli("contacts", "show", "Ada")
    assert "introduced by Ada Lovelace" in cli("contacts", "show", "Charles")


def test_a_contact_added_later_links_by_email(cli: Run) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    cli("refer", "Ada", "", "babbage@example.org")
    cli("contacts", "add", "Charles Babbage", "-e", "BABBAGE@example.org")
    row = _only(cli)
    assert (row["status"], row["contact"]) == ("accepted", {"id": 2, "name": "Charles Babbage"})
    assert "coffeechat referrals accept" not in cli("status")


def test_an_imported_contact_links_by_email(cli: Run, tmp_path: Path) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    cli("refer", "Ada", "Charles Babbage", "babbage@example.org")
    book = tmp_path / "book.csv"
    book.write_text("name,email\nCharles Babbage,babbage@example.org\nAlan,alan@example.net\n")
    cli("contacts", "import", str(book))
    assert _only(cli)["contact"] == {"id": 2, "name": "Charles Babbage"}
    cli("outreach", "babbage@example.org")
    [queued] = json.loads(cli("queue", "--json"))
    assert queued["subject"] == "Ada Lovelace suggested I get in touch"


def test_ambiguous_name_is_refused_with_the_candidates_and_the_pick(cli: Run) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    cli("contacts", "add", "Charles Babbage", "-e", "c1@example.org")
    cli("contacts", "add", "Charles Babbage", "-e", "c2@example.org")
    cli("refer", "Ada", "Charles Babbage")
    said = cli("referrals", "accept", "1", code=2)
    assert "#2 Charles Babbage" in said and "#3 Charles Babbage" in said
    assert "coffeechat referrals accept 1 --contact #2" in said
    assert "linked #3 Charles Babbage" in cli("referrals", "accept", "1", "--contact", "#3")
    assert _only(cli)["contact"] == {"id": 3, "name": "Charles Babbage"}


def test_decline_and_the_introduction_request(cli: Run) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    cli("refer", "Ada", "Grace Hopper", "--company", "Navy")
    assert "`coffeechat referrals ask 1`" in cli("refer", "Ada", "Grace Hopper")
    # No conversation with Ada yet: nothing to thread the request under.
    assert "`coffeechat outreach #1` first" in cli("referrals", "ask", "1", code=2)
    cli("outreach", "Ada")
    said = cli("referrals", "ask", "1")
    assert "introduction request #2 to <ada@example.com> queued" in said
    assert "coffeechat approve 2" in said  # review mode by default
    again = cli("referrals", "ask", "1")
    assert "introduction request #2" in again  # one per referral
    kinds = {r["kind"]: r for r in json.loads(cli("queue", "--json"))}
    assert kinds["intro_request"]["subject"] == "An introduction to Grace Hopper?"
    assert kinds["intro_request"]["mode"] == "review"
    assert "declined" in cli("referrals", "decline", "1")
    assert "was declined" in cli("referrals", "ask", "1", code=2)
    assert "no referral #9" in cli("referrals", "accept", "9", code=2)
    shown = cli("contacts", "show", "Ada")
    assert "suggested talking to Grace Hopper\n" in shown
    assert "introduced Grace Hopper: declined" in shown


def test_no_referrals_names_the_command_to_record_one(cli: Run) -> None:
    assert "coffeechat refer INTRODUCER" in cli("referrals")


def test_an_address_added_to_a_contact_links_and_the_export_shows_the_chain(cli: Run) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    cli("refer", "Ada", "Charles Babbage", "babbage@example.org", "--note", "knows engines")
    cli("contacts", "add", "Charles Babbage", "-e", "charles@home.example")
    assert _only(cli)["contact"] is None  # same name, but the address decides: not linked yet
    cli("contacts", "edit", "#2", "--add-email", "babbage@example.org")
    assert _only(cli)["contact"] == {"id": 2, "name": "Charles Babbage"}
    exported = json.loads(cli("export"))
    [chain] = exported["introductions"]
    assert (chain["introducer"], chain["status"], chain["note"]) == (
        {"id": 1, "name": "Ada Lovelace"}, "accepted", "knows engines",
    )  # fmt: skip
    assert exported["referrals"][0]["to_contact_id"] == 2
