"""The test bed's world builder: sections merge as documented and the TOML it writes reads back."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.testbed import world as bed


def test_sections_merge_into_defaults_and_replace_the_rest() -> None:
    config = bed.config(
        "/data", timezone="UTC", account={"signature": "Sam"}, calendars=[], modes={"nudge": "auto"}
    )
    assert config == {
        "data_dir": "/data",
        "account": {
            "name": bed.USER_NAME, "email": bed.USER, "timezone": "UTC", "signature": "Sam"
        },
        "calendars": [],
        "modes": {"nudge": "auto"},
    }  # fmt: skip


def test_a_server_left_out_leaves_its_section_out_and_no_data_dir_leaves_it_to_the_env() -> None:
    config = bed.config(None, feed_url="http://127.0.0.1:1/c.ics")
    assert set(config) == {"account", "calendars"}
    assert config["calendars"] == [
        {"name": "work", "kind": "ics_url", "url": "http://127.0.0.1:1/c.ics"}
    ]


def test_the_config_file_reads_back_as_the_config(tmp_path: Path) -> None:
    odd = 'C:\\temp\\"quoted" café'
    path = bed.write_config(
        tmp_path / "conf" / "config.toml", tmp_path / "data", name=odd,
        imap={"host": "127.0.0.1", "port": 1143, "allow_plaintext": True},
        calendars=[{"name": "a", "kind": "ics_url", "url": "http://127.0.0.1:1/a.ics"}],
    )  # fmt: skip
    read = tomllib.loads(path.read_text(encoding="utf-8"))
    assert read["data_dir"] == str(tmp_path / "data")
    assert read["account"]["name"] == odd
    assert read["imap"] == {"host": "127.0.0.1", "port": 1143, "allow_plaintext": True}
    assert read["calendars"][0]["url"] == "http://127.0.0.1:1/a.ics"
    assert bed.settings(tmp_path, name=odd).account.name == odd
