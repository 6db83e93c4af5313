"""The HTML sheet in a real browser: a typical sheet prints on at most two A4 pages, cleanly."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from coffeechat.integrations.render import render
from coffeechat.models.prep import PrepContext, build_prep_context
from tests.unit.prep.sample import contact, inputs, meeting, message, note

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
A4_POINTS = (595, 842)  # A4 in PDF points, rounded


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        # Locally a missing browser skips; in CI it must fail, or a green run lies.
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI: chromium is not installed (apt-get install chromium)", pytrace=False)
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def run_chromium(binary: str, *args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="cc-chromium-") as profile:
        done = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return done.stdout


def busy_sheet() -> PrepContext:
    """A typical sheet at its fullest: six emails, several notes, long names, a referral."""
    thread = tuple(
        message(
            d,
            "in" if d % 2 else "out",
            "Thanks for getting back to me so quickly. I would love to hear how your team "
            "decides what to build next, and how you moved from research into leading it.",
        )
        for d in range(10, 16)
    )
    notes = (
        note("Met at the PyData meetup; she gave a talk on forecasting demand.", 8),
        note("Babbage says the team is small and research-led; hiring is slow but steady.", 9),
        note("Her team is hiring a junior analyst in April (heard from Grace).", 11),
        note("Finished the forecasting course Ada recommended.", 20, for_update=True),
    )
    return build_prep_context(
        inputs(
            contact=contact(
                role="Head of Data Science and Decision Intelligence",
                notes="Prefers short emails. Based in London, often in Berlin on Tuesdays.",
            ),
            meeting=meeting(summary="Coffee with Ada Lovelace (Analytical Engines Ltd)"),
            messages=thread,
            notes=notes,
        )
    )


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """The MediaBox of every page object (Chromium writes page dictionaries uncompressed)."""
    sizes = []
    for body in re.findall(rb"\d+ 0 obj(.*?)endobj", pdf, re.S):
        if not re.search(rb"/Type\s*/Page(?![a-zA-Z])", body):
            continue
        box = re.search(rb"/MediaBox\s*\[\s*([\d.\s-]+)\]", body)
        assert box is not None, "a page without its own MediaBox: extend this parser"
        x0, y0, x1, y1 = (float(v) for v in box.group(1).split())
        sizes.append((x1 - x0, y1 - y0))
    return sizes


def test_typical_sheet_prints_on_two_a4_pages_without_template_residue(
    chromium: str, tmp_path: Path
) -> None:
    started = time.perf_counter()
    page = render("prep/sheet", {"sheet": busy_sheet()}, fmt="html")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0  # a first render compiles the template; later ones take ~1 ms
    source = tmp_path / "sheet.html"
    source.write_text(page, encoding="utf-8")
    pdf_path = tmp_path / "sheet.pdf"
    run_chromium(chromium, "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", source.as_uri())
    sizes = page_sizes(pdf_path.read_bytes())
    assert 1 <= len(sizes) <= 2, f"{len(sizes)} pages"
    assert all((round(w), round(h)) == A4_POINTS for w, h in sizes), sizes
    dom = run_chromium(chromium, "--dump-dom", source.as_uri())
    assert "Ada Lovelace" in dom and "Questions" in dom
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    for residue in ("{{", "}}", "{%", "%}", "None", "undefined", "null"):
        assert residue not in text, residue


def test_hostile_sheet_has_no_live_script_in_the_browser(chromium: str, tmp_path: Path) -> None:
    ctx = build_prep_context(
        inputs(
            contact=contact(name="<script>document.title='pwned'</script>"),
            meeting=meeting(location="javascript:alert(1)"),
            messages=(message(12, "in", "<img src=x onerror=alert(1)>"),),
        )
    )
    source = tmp_path / "hostile.html"
    source.write_text(render("prep/sheet", {"sheet": ctx}, fmt="html"), encoding="utf-8")
    dom = run_chromium(chromium, "--dump-dom", source.as_uri())
    assert "<script" not in dom and "<img" not in dom and 'href="javascript' not in dom
    assert "pwned" in html.unescape(dom)  # shown as text, not run
