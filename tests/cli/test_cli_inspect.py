"""`coffeechat inspect mail|calendar` over the fixture corpora, as users would run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coffeechat.deployments.cli import app
from coffeechat.models.classify import Kind

FIXTURES = Path(__file__).parent.parent / "fixtures"
MAIL = sorted((FIXTURES / "mail").glob("*/*.eml"))
CALENDARS = sorted((FIXTURES / "calendar").glob("*.ics"))


@pytest.mark.parametrize("path", MAIL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_inspect_mail_json_kind_matches_directory(path: Path) -> None:
    result = CliRunner().invoke(
        app, ["inspect", "mail", str(path), "--json", "--today", "2026-11-25"]
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.output)
    assert report["kind"] == path.parent.name and report["rule"]


def test_corpus_is_large_enough() -> None:
    assert len(MAIL) >= 60 and {p.parent.name for p in MAIL} == {k.value for k in Kind}


@pytest.mark.parametrize("path", CALENDARS, ids=lambda p: p.name)
def test_inspect_calendar_json_shape(path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["inspect", "calendar", str(path), "--json", "--from", "2026-01-01", "--to", "2026-12-31"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"components", "occurrences", "skipped"}
    for occ in report["occurrences"]:
        assert set(occ) == {
            "uid",
            "recurrence_id",
            "start",
            "end",
            "timezone",
            "all_day",
            "status",
            "summary",
            "video_link",
        }


def test_inspect_garbage_never_tracebacks(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\xff" * 1000 + b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n")
    for kind, code in (("mail", 0), ("calendar", 1)):  # junk is no calendar: say so, exit 1
        result = CliRunner().invoke(app, ["inspect", kind, str(junk), "--json"])
        assert result.exit_code == code and "Traceback" not in result.output
        json.loads(result.stdout)
    missing = CliRunner().invoke(app, ["inspect", "mail", str(tmp_path / "nope.eml")])
    assert missing.exit_code == 2


@pytest.mark.parametrize(
    "content",
    [b"NOTES:x\r\n", b"BEGIN:VCARD\r\nFN:Ada\r\nEND:VCARD\r\n", b"hello\n"],
    ids=["orphan-property", "vcard", "prose"],
)
def test_inspect_calendar_on_a_file_that_is_no_calendar(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not-a-calendar.ics"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["inspect", "calendar", str(path)])
    assert result.exit_code == 1
    # One line that names the file and the reason; no listing of a calendar that is not one.
    assert result.output.startswith(f"error: {path} is not a readable calendar: "), result.output
    assert "skipped" not in result.output and "None" not in result.output
