"""Contacts at scale: an import is all or nothing, bad rows never sink it, large cards read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.bench_contacts import make_csv, make_vcard
from coffeechat.models.contacts.importing import parse
from coffeechat.models.contacts.vcard import parse_vcards
from coffeechat.models.store.db import make_engine, upgrade
from coffeechat.models.store.tables import Contact, EventLog
from tests.testbed import world as bed


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    bed.write_config(tmp_path / "config.toml", None, name="Jo Seeker", email="jo@example.com")
    return {
        **os.environ,
        "COFFEECHAT_CONFIG": str(tmp_path / "config.toml"),
        "COFFEECHAT_DATA_DIR": str(tmp_path / "data"),
        "COFFEECHAT_DATABASE_URL": database_url,
    }


def _coffeechat(*args: str) -> list[str]:
    return [sys.executable, "-c", "from coffeechat.deployments.cli import main; main()", *args]


def _count(database_url: str, table: type[Contact] | type[EventLog]) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(table)) or 0)
    finally:
        engine.dispose()


def test_an_import_killed_half_way_leaves_nothing(tmp_path: Path, database_url: str) -> None:
    """Killed while it works, an import has written no contact at all (it used to commit rows)."""
    big = tmp_path / "big.csv"
    big.write_text(make_csv(30_000))
    env = _env(tmp_path, database_url)
    upgrade(make_engine(database_url))
    child = subprocess.Popen(_coffeechat("contacts", "import", str(big)), env=env)
    # Kill it while it works: after start-up and parsing, while rows are being written (the
    # old per-row savepoints committed rows throughout; a kill that lands early proves less).
    time.sleep(2.5)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert _count(database_url, Contact) in (0, 30_000)
    assert _count(database_url, EventLog) in (0, 30_000)
    # Run to the end, it imports everything once.
    done = subprocess.run(
        _coffeechat("contacts", "import", str(big), "--json"),
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stdout)
    assert report["added"] + report["merged"] == 30_000
    assert _count(database_url, Contact) == 30_000


def test_a_row_too_long_for_its_column_is_reported_and_the_rest_imported(
    tmp_path: Path, database_url: str
) -> None:
    """PostgreSQL refuses a 300-character name: that row is rejected, the others go in."""
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "Name,Email\nAda Lovelace,ada@example.com\n"
        f"{'N' * 300},long@example.com\nCharles Babbage,charles@example.com\n"
    )
    done = subprocess.run(
        _coffeechat("contacts", "import", str(csv_file), "--json"),
        env=_env(tmp_path, database_url),
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stdout)
    assert (report["added"], report["errors"]) == (
        2,
        [{"line": 3, "reason": "name is longer than 200 characters"}],
    )


def test_duplicates_inside_one_file_merge_and_reimport_changes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    """Two rows sharing an address are one person; the same file again writes no update."""
    csv_file = tmp_path / "dupes.csv"
    csv_file.write_text(
        "Name,Email,Company,Tags\nAda Lovelace,ada@example.com,,math\n"
        "Ada L.,ADA@example.com,Engines Ltd,poetry\n"
    )
    env = _env(tmp_path, database_url)
    first = json.loads(
        subprocess.run(
            _coffeechat("contacts", "import", str(csv_file), "--json"),
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert (first["added"], first["merged"]) == (1, 1)
    export = json.loads(
        subprocess.run(
            _coffeechat("export", "--json"), env=env, check=True, capture_output=True, text=True
        ).stdout
    )
    (ada,) = export["contacts"]
    assert (ada["name"], ada["company"], ada["tags"]) == (
        "Ada Lovelace",
        "Engines Ltd",
        ["math", "poetry"],
    )
    assert [e["address"] for e in ada["emails"]] == ["ada@example.com"]
    subprocess.run(_coffeechat("contacts", "import", str(csv_file)), env=env, check=True)
    again = json.loads(
        subprocess.run(
            _coffeechat("export", "--json"), env=env, check=True, capture_output=True, text=True
        ).stdout
    )
    assert again["contacts"][0]["updated_at"] == ada["updated_at"]


def test_a_card_with_a_large_folded_photo_is_read_and_the_photo_skipped() -> None:
    """A folded 2 MB PHOTO (1 MB: ~13,000 continuation lines) costs one pass, not one per line."""
    result = parse_vcards(make_vcard(2))
    assert [(r.name, r.emails) for r in result.rows] == [
        ("Big Photo", ("photo@example.com",)),
        ("Next Card", ("next@example.com",)),
    ]
    assert result.errors == []


def test_quoted_printable_soft_breaks_join_only_in_quoted_printable_properties() -> None:
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ren=C3=A9e\r\n"
        "N;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Dupr=C3=A9=\r\n;Ren=C3=A9e\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE:first line=\r\nsecond part\r\n"
        "EMAIL;INTERNET:renee@example.com\r\nTITLE:ends with =\r\nEND:VCARD\r\n"
    )
    (row,) = parse_vcards(text).rows
    assert row.notes == "first linesecond part"
    assert row.role == "ends with ="
    assert row.emails == ("renee@example.com",)


@pytest.mark.parametrize("rows", [1, 2_000])
def test_the_generated_csv_parses_whole(rows: int) -> None:
    assert len(parse(make_csv(rows), "csv").rows) == rows
