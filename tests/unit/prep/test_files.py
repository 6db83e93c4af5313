"""Saving sheets: safe names only, always inside the prep folder, written atomically."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest

from coffeechat.integrations.prep_files import prep_path, save_prep_html

DAY = date(2026, 3, 3)


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("Ada Lovelace", "2026-03-03-ada-lovelace.html"),
        ("../../etc/passwd", "2026-03-03-etc-passwd.html"),
        ("/etc/passwd", "2026-03-03-etc-passwd.html"),
        ("..", "2026-03-03-contact.html"),
        ("<script>alert(1)</script>", "2026-03-03-script-alert-1-script.html"),
        ("José Ñúñez", "2026-03-03-jose-nunez.html"),
        ("C:\\Windows\\system32", "2026-03-03-c-windows-system32.html"),
        ("名前", "2026-03-03-contact.html"),
        ("a\x00b\r\nc", "2026-03-03-a-b-c.html"),
    ],
)
def test_a_contact_name_cannot_choose_the_path(tmp_path: Path, name: str, file: str) -> None:
    path = prep_path(tmp_path, DAY, name)
    assert path == (tmp_path / "prep" / file).resolve()


def test_save_is_atomic_private_and_replaces(tmp_path: Path) -> None:
    first = save_prep_html(tmp_path, DAY, "../../etc/passwd", "<p>one</p>")
    assert first.parent == (tmp_path / "prep").resolve()
    again = save_prep_html(tmp_path, DAY, "../../etc/passwd", "<p>two</p>")
    assert again == first and first.read_text() == "<p>two</p>"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no temp files left
