"""The README's pictures: there, and made by docs/pictures/make.py from the real output."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.chromium import chromium_binary

ROOT = Path(__file__).parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head.startswith(PNG), f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_the_readme_shows_the_pictures_and_they_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)
    assert {"docs/pictures/status.png", "docs/pictures/prep-sheet.png"} <= set(shown)
    for name in shown:
        width, height = _png_size(ROOT / name)
        assert width >= 300 and height >= 100, name


@pytest.mark.skipif(chromium_binary() is None, reason="chromium not installed (./dev setup)")
def test_the_script_makes_them_from_the_demo_world(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "pictures" / "make.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    status_width, status_height = _png_size(tmp_path / "status.png")
    # A few lines of terminal at least: the status of five contacts is not one line.
    assert status_width > 400 and status_height > 100
    assert _png_size(tmp_path / "prep-sheet.png") == (900, 1300)
