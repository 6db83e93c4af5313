"""Make the README's pictures from the real output: ``coffeechat status`` and a prep sheet.

Runs the demo world (``coffeechat demo``, local servers on 127.0.0.1) in a temporary
directory, then the real ``coffeechat status`` on its configuration, and photographs both with
headless Chromium: the status as a terminal would show it (its colours, rendered to HTML by
rich), the prep sheet as the HTML file coffeechat saved. Run from a checkout, after a change to
either output::

    .venv/bin/python docs/pictures/make.py          # writes docs/pictures/*.png

Both commands run as separate processes with this checkout first on the path, so the pictures
show exactly what a user of this checkout sees. The clock is the real one: the dates shown are
the day the pictures were made. Chromium reaches nothing but the local files.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CLI = "from coffeechat.deployments.cli import main; main()"
COLUMNS = 100
FONT_PX = 15
LINE_PX = 20
CHAR_PX = 9.1  # DejaVu Sans Mono at 15 px
PAD_PX = 24
SHEET_SIZE = (900, 1300)  # the top of the sheet: who, when and why, the thread, the questions
TIMEOUT = 300

# Chromium by itself fetches updates, safe-browsing lists and more: all of it off, and every
# host name resolves to nothing.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=3000",
]

# A format for rich's export_html: it fills {code}, {foreground} and {background}.
PAGE = (
    """<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>
html, body {{ margin: 0; background: {background}; }}
pre {{ margin: 0; padding: PADpx; font: FONTpx/LINEpx "DejaVu Sans Mono", monospace;
      color: {foreground}; white-space: pre; }}
</style></head><body><pre>{code}</pre></body></html>
""".replace("PAD", str(PAD_PX))
    .replace("FONT", str(FONT_PX))
    .replace("LINE", str(LINE_PX))
)


def cli(args: list[str], *, env: dict[str, str] | None = None) -> str:
    """Run the coffeechat command of this checkout; its standard output."""
    environ = dict(os.environ) | {"PYTHONPATH": str(ROOT)} | (env or {})
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"coffeechat {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def terminal_html(ansi: str, columns: int = COLUMNS) -> tuple[str, tuple[int, int]]:
    """Coloured terminal output as an HTML page, and the window size that fits it."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.terminal_theme import MONOKAI
    from rich.text import Text

    console = Console(record=True, width=columns, file=StringIO(), force_terminal=True)
    console.print(Text.from_ansi(ansi.rstrip("\n")), soft_wrap=True)
    page = console.export_html(theme=MONOKAI, inline_styles=True, code_format=PAGE)
    lines = Text.from_ansi(ansi.rstrip("\n")).plain.splitlines() or [""]
    widest = max(cell_len(line) for line in lines)
    return page, (round(widest * CHAR_PX) + 2 * PAD_PX, len(lines) * LINE_PX + 2 * PAD_PX)


def screenshot(page: Path, png: Path, size: tuple[int, int], profile: Path) -> None:
    """Photograph a local page with headless Chromium."""
    binary = next(
        (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))),
        None,
    )
    if binary is None:
        raise SystemExit("chromium is not installed (./dev setup installs it)")
    argv = [
        binary,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={size[0]},{size[1]}",
        f"--screenshot={png}",
        page.as_uri(),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0 or not png.exists():
        raise SystemExit(f"chromium could not photograph {page}:\n{done.stderr[-2000:]}")


def make(out: Path) -> list[Path]:
    """Run the demo world and write status.png and prep-sheet.png into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coffeechat-pictures-") as tmp:
        work = Path(tmp)
        world = work / "demo"
        # Today's world: the status is taken on the real clock, so the story stops at today.
        cli(["demo", "--data-dir", str(world), "--until", "today"])
        config = world / "world" / "config.toml"
        colours = {"FORCE_COLOR": "1", "COLUMNS": str(COLUMNS), "TERM": "xterm-256color"}
        status = cli(["--config", str(config), "status"], env=colours)
        page, size = terminal_html(status)
        status_html = work / "status.html"
        status_html.write_text(page, encoding="utf-8")
        screenshot(status_html, out / "status.png", size, work / "chromium")
        sheets = sorted(glob.glob(str(world / "prep" / "*.html")))
        if not sheets:
            raise SystemExit("the demo made no prep sheet: nothing to photograph")
        screenshot(Path(sheets[0]), out / "prep-sheet.png", SHEET_SIZE, work / "chromium")
    return [out / "status.png", out / "prep-sheet.png"]


def main() -> None:
    """Command line: ``make.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNG files go")
    args = parser.parse_args()
    for path in make(args.out):
        print(path)


if __name__ == "__main__":
    main()
