"""The command line on a real database: import, list, show, note, export, status, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coffeechat.deployments.cli import app
from tests.testbed import world as bed

FIXTURES = Path(__file__).parent.parent / "fixtures" / "contacts"


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Invoke the coffeechat command line against a fresh database."""
    bed.cli_account(monkeypatch, tmp_path, database_url, name="Jo Seeker", email="jo@example.com")
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result.output

    return run


def test_import_all_three_formats_then_export(cli) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(cli("contacts", "import", str(FIXTURES / "Connections.csv"), "--json"))
    assert (out["format"], out["added"], out["merged"]) == ("linkedin", 4, 0)
    assert out["errors"] == [{"line": 9, "reason": "invalid email address 'not-an-address'"}]
    out = json.loads(cli("contacts", "import", str(FIXTURES / "contacts.vcf"), "--json"))
    assert (out["format"], out["added"], len(out["errors"])) == ("vcard", 3, 2)
    out = json.loads(
        cli(
            "contacts",
            "import",
            str(FIXTURES / "generic.csv"),
            "--json",
            "--map",
            "email=Work Email",
            "--map",
            "introduced_by=Referred By",
        )
    )
    assert (out["format"], out["added"], len(out["errors"])) == ("csv", 4, 1)
    # Importing the same file again merges, it never duplicates.
    again = json.loads(cli("contacts", "import", str(FIXTURES / "Connections.csv"), "--json"))
    assert (again["added"], again["merged"]) == (0, 4)

    export = json.loads(cli("export", "--json"))
    assert export["format"] == "coffeechat-export" and export["version"] == 1
    names = {c["name"] for c in export["contacts"]}
    assert {"Grace Hopper", "Margaret Hamilton", "Frances Allen", "Alan Turing"} <= names
    assert len(export["contacts"]) == 11
    grace = next(c for c in export["contacts"] if c["name"] == "Grace Hopper")
    assert grace["emails"] == [
        {"address": "grace.hopper@example.com", "is_primary": True, "status": "ok"}
    ]
    frances = next(c for c in export["contacts"] if c["name"] == "Frances Allen")
    barbara = next(c for c in export["contacts"] if c["name"] == "Barbara Liskov")
    assert frances["introduced_by_id"] == barbara["id"]
    assert {e["type"] for e in export["event_log"]} == {"ContactAdded"}
    for key in ("interviews", "messages", "meetings", "prep_sheets", "outbox", "event_log"):
        assert isinstance(export[key], list)


def test_add_list_show_note_edit(cli) -> None:  # type: ignore[no-untyped-def]
    assert "added #1" in cli(
        "contacts", "add", "Ada Lovelace", "-e", "Ada@Example.com", "--company", "Engines"
    )
    assert "merged into #1" in cli("contacts", "add", "Ada", "-e", "ada@example.com")
    listing = json.loads(cli("contacts", "list", "--json"))
    assert listing == [
        {
            "id": 1,
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "company": "Engines",
            "role": "",
            "stage": "-",
            "do_not_contact": False,
        }
    ]
    cli("note", "ada", "Ask about the analytical engine", "--for-update")
    cli("contacts", "edit", "#1", "--role", "Analyst", "--do-not-contact")
    shown = json.loads(cli("contacts", "show", "ada@example.com", "--json"))
    assert shown["contact"]["role"] == "Analyst" and shown["contact"]["do_not_contact"]
    assert shown["notes"] == ["Ask about the analytical engine"]
    assert [t["type"] for t in shown["timeline"]] == ["ContactAdded", "NoteAdded"]
    status = json.loads(cli("status", "--json"))
    assert status["contacts"] == 1 and status["stages"]["planned"] == 0
    assert status["mail"]["needs_review"] == 0


def test_user_errors_are_one_clear_line(tmp_path: Path, database_url: str) -> None:
    """Through the real console script: no traceback, exit status 2."""
    env = {
        "COFFEECHAT_DATABASE_URL": database_url,
        "COFFEECHAT_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    bad = tmp_path / "bad.toml"
    bad.write_text('[imap]\nhost = "h"\nusername = "u"\npassword = "hunter2"\n')
    exe = Path(sys.executable).parent / "coffeechat"
    done = subprocess.run(
        [str(exe), "--config", str(bad), "status"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "imap.password: must be a reference" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    done = subprocess.run(
        [str(exe), "contacts", "show", "nobody"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, "Traceback" in done.stderr) == (2, False)
    assert "no contact matches 'nobody'" in done.stderr


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("contacts", "note", "status", "export", "db", "inspect"):
        assert command in result.output
