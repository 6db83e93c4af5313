"""People a debrief names without an address, through the commands on a real database.

``coffeechat debrief`` stores them as referrals; ``coffeechat referrals`` lists them with the
next command; accepting links the contact by name (and company) when one fits, and ``referrals
ask`` queues an introduction request in review.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import contacts, debrief_cmd, followup_cmd, referrals_cmd
from coffeechat.models.store.tables import Account, Contact, Meeting
from tests.testbed import world as bed

Run = Callable[..., str]
ANSWER = """People to talk to:
- Mary Somerville
- Grace Hopper
- Charles Babbage <babbage@engines.example>
"""


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(cli_module._root)
    app.add_typer(contacts.app, name="contacts")
    app.add_typer(referrals_cmd.app, name="referrals")
    app.command("debrief")(debrief_cmd.debrief)
    for name in ("outreach", "queue"):
        app.command(name)(getattr(followup_cmd, name))
    return app


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    bed.cli_account(monkeypatch, tmp_path, database_url, name="Jo Seeker", email="jo@example.com")
    runner, app = CliRunner(), _app()

    def run(*args: str, code: int = 0, stdin: str = "") -> str:
        result = runner.invoke(app, list(args), input=stdin, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


def _met_ada(database_url: str) -> None:
    engine = create_engine(database_url)
    end = datetime.now(UTC) - timedelta(hours=2)
    try:
        with Session(engine) as s:
            account = s.scalars(select(Account)).one()
            ada = s.scalars(select(Contact).where(Contact.name == "Ada Lovelace")).one()
            s.add(Meeting(account_id=account.id, contact_id=ada.id, source="t", uid="m@t",
                          start_utc=end - timedelta(minutes=30), end_utc=end,
                          first_seen_at=end, last_seen_at=end))  # fmt: skip
            s.commit()
    finally:
        engine.dispose()


def _rows(cli: Run) -> dict[str, dict[str, object]]:
    rows = json.loads(cli("referrals", "--json"))["referrals"]
    return {r["name"]: r for r in rows}


def test_name_only_people_from_a_debrief_are_listed_accepted_and_asked_about(
    cli: Run, database_url: str
) -> None:
    cli("contacts", "add", "Ada Lovelace", "-e", "ada@example.com")
    cli("contacts", "add", "Mary Somerville", "-e", "mary@example.org")
    _met_ada(database_url)
    cli("debrief", "Ada", stdin=ANSWER)
    cli("debrief", "Ada", stdin=ANSWER)  # typed again: the same people, no second referral
    rows = _rows(cli)
    assert sorted(rows) == ["Charles Babbage", "Grace Hopper", "Mary Somerville"]
    mary, grace = rows["Mary Somerville"], rows["Grace Hopper"]
    assert (mary["address"], mary["origin"], mary["status"]) == (None, "debrief", "proposed")
    listed = cli("referrals")
    assert f"#{grace['id']} Ada Lovelace suggested Grace Hopper: proposed; next: " in listed
    assert f"coffeechat referrals accept {grace['id']} [--email ADDRESS], or " in listed
    assert f"coffeechat referrals ask {grace['id']} (ask for an introduction)" in listed

    # Mary is already a contact: accepting links her by name, with Ada as the introducer.
    said = cli("referrals", "accept", str(mary["id"]))
    assert "linked #2 Mary Somerville, introduced by #1" in said
    assert "introduced by Ada Lovelace" in cli("contacts", "show", "Mary")

    # Nobody has Grace's address: ask Ada for an introduction (review mode by default).
    cli("outreach", "Ada")
    said = cli("referrals", "ask", str(grace["id"]))
    assert "introduction request" in said and "to <ada@example.com> queued" in said
    kinds = {r["kind"]: r for r in json.loads(cli("queue", "--json"))}
    assert kinds["intro_request"]["subject"] == "An introduction to Grace Hopper?"
    assert kinds["intro_request"]["mode"] == "review"
