"""The debrief parser against its corpus, and its cost on hostile input.

    python -m bench.check_debrief [--corpus tests/fixtures/debriefs] [--verbose] [--no-hostile]

Corpus: every ``NAME.txt`` or ``NAME.html`` in the folder with its ``NAME.expected.json``
(``today``, optional ``promise_days``, and the expected items of each field; a missing field
expects nothing). The HTML files are given as the only body (``text=""``, ``html=...``).

Scoring, field by field, fixture by fixture:
- each expected item in each field counts one in *fields expected*;
- it counts one in *fields right* when the parser gave a matching item in the same field, each
  parsed item matching at most one expected item; texts match when equal after case folding,
  collapsing white space and trimming surrounding punctuation; a person matches on name (same
  normalisation) and address (case-folded, both absent counts as equal), its note is not scored;
  a promise matches on text and due date;
- a parsed item in a PUBLIC field (advice, people) that matches no expected item is a *false
  public item*: reported separately, and it must be 0 (exit status 1 otherwise). Extra items
  in private fields are reported as *extra private items*, for information.

Hostile input: shapes of about 1 MB (one endless line, a million bullets, nested quote marks,
headings without end, addresses and dates repeated, unclosed HTML tags) are parsed once each;
the CPU time of each is printed and must stay under ``HOSTILE_BOUND_S`` (a generous bound: the
budget caps the text at 64 kB, so each takes well under a second on an idle machine).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from coffeechat.models.debrief.fields import PUBLIC_FIELDS, DebriefFields
from coffeechat.models.debrief.parse import parse_debrief

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "debriefs"
FIELDS = ("learned", "advice", "people", "promises", "offers", "next_step", "unplaced")
HOSTILE_BOUND_S = 10.0


@dataclass
class Score:
    """Fields right, fields expected, and the items that matched nothing."""

    right: int = 0
    expected: int = 0
    false_public: list[str] = field(default_factory=list)
    extra_private: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").casefold().split()).strip(" .,;:!-–—\"'")


def _keys(parsed: DebriefFields, name: str) -> list[tuple[str, ...]]:
    if name == "people":
        return [(_norm(p.name), (p.address or "").casefold()) for p in parsed.people]
    if name == "promises":
        return [(_norm(p.text), p.due.isoformat() if p.due else "") for p in parsed.promises]
    return [(_norm(t),) for t in getattr(parsed, name)]


def _expected_keys(expected: dict[str, Any], name: str) -> list[tuple[str, ...]]:
    items = expected.get(name, [])
    if name == "people":
        return [(_norm(p["name"]), (p.get("address") or "").casefold()) for p in items]
    if name == "promises":
        return [(_norm(p["text"]), p.get("due") or "") for p in items]
    return [(_norm(t),) for t in items]


def score_one(parsed: DebriefFields, expected: dict[str, Any], label: str, score: Score) -> None:
    """Add one fixture's field-level comparison to ``score``."""
    for name in FIELDS:
        got = _keys(parsed, name)
        for want in _expected_keys(expected, name):
            score.expected += 1
            if want in got:
                got.remove(want)
                score.right += 1
            else:
                score.missed.append(f"{label} {name}: {want}")
        extra = [f"{label} {name}: {g}" for g in got]
        (score.false_public if name in PUBLIC_FIELDS else score.extra_private).extend(extra)


def fixtures(corpus: Path = CORPUS) -> list[tuple[str, Path, dict[str, Any]]]:
    """(name, reply file, expectations) for every fixture of the corpus, sorted by name."""
    found = []
    for spec in sorted(corpus.glob("*.expected.json")):
        name = spec.name.removesuffix(".expected.json")
        body = next(p for ext in (".txt", ".html") if (p := corpus / f"{name}{ext}").exists())
        found.append((name, body, json.loads(spec.read_text(encoding="utf-8"))))
    return found


def parse_fixture(body: Path, expected: dict[str, Any]) -> DebriefFields:
    """Parse one fixture the way the service would be given it."""
    content = body.read_text(encoding="utf-8")
    today = date.fromisoformat(expected["today"])
    days = int(expected.get("promise_days", 7))
    if body.suffix == ".html":
        return parse_debrief("", html=content, today=today, promise_days=days)
    return parse_debrief(content, today=today, promise_days=days)


def score_corpus(corpus: Path = CORPUS) -> tuple[Score, int]:
    """The score over the whole corpus, and the number of fixtures."""
    score = Score()
    found = fixtures(corpus)
    for name, body, expected in found:
        score_one(parse_fixture(body, expected), expected, name, score)
    return score, len(found)


def hostile_shapes() -> dict[str, tuple[str, str | None]]:
    """About 1 MB each: (text, html) shapes meant to find super-linear paths."""
    mb = 1_000_000
    return {
        "one long line": ("a" * mb, None),
        "bullets": ("- x\n" * (mb // 4), None),
        "quote marks": (">" * mb + "\n" + "> > > x\n" * 1000, None),
        "headings": ("Advice: Their advice: People: " * (mb // 30), None),
        "heading lines": ("Advice\nPeople to talk to:\n" * (mb // 28), None),
        "addresses": ("talk to a@b.c " * (mb // 14), None),
        "at signs": ("a." * (mb // 4) + "@" + "b." * (mb // 4), None),
        "dates": ("I'll send it by 12 Dec in two weeks next week " * (mb // 46), None),
        "capitals": ("Talk to " + "Aaaa " * (mb // 5), None),
        "attribution": ("On " + "x " * (mb // 2) + "\nwrote:\n", None),
        "abbreviations": ((("x vs. " * 325) + "\n") * (mb // 1950), None),
        "initials": ((("She suggested A. " * 110) + "\n") * (mb // 1870), None),
        "wrapped promise": ("Promised:\n- x\n" + "and then some more words\n" * (mb // 25), None),
        "name lists": ("People:\n" + (("Aa Bb, " * 280) + "\n") * (mb // 1960), None),
        "postscripts": ("P.S. she offered to help\n" * (mb // 26), None),
        "spaces": ((" " * 5000 + "\n") * 200, None),
        "wide name lines": ((("talk to Aa " * 180) + "\n") * (mb // 1980), None),
        "wide date lines": ((("12 in 3 on 2026-1-1 " * 99) + "\n") * (mb // 1980), None),
        "wide dash lines": ((("- " * 990) + "\n") * (mb // 1980), None),
        "wide quote lines": (((" >" * 990) + "\n") * (mb // 1980), None),
        "wide prose": ((("She suggested I talk to A. " * 70) + "\n") * (mb // 1900), None),
        "html tags": ("", "<div" * (mb // 4)),
        "html text": ("", "<p>Advice: go</p>" * (mb // 17)),
    }


def run_hostile(today: date) -> list[tuple[str, float]]:
    """CPU seconds to parse each hostile shape."""
    timings = []
    for label, (text, html) in hostile_shapes().items():
        start = time.process_time()
        parse_debrief(text, html=html, today=today)
        timings.append((label, time.process_time() - start))
    return timings


def main(argv: list[str] | None = None) -> int:
    """Print the corpus figure and the hostile timings; non-zero on a false public item."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--no-hostile", action="store_true")
    args = parser.parse_args(argv)
    score, count = score_corpus(args.corpus)
    ratio = score.right / score.expected if score.expected else 1.0
    print(f"debrief corpus: {count} replies")
    print(f"fields right / fields expected: {score.right} / {score.expected} ({ratio:.1%})")
    print(f"false public items: {len(score.false_public)}")
    print(f"extra private items: {len(score.extra_private)}")
    if args.verbose:
        for line in score.missed:
            print("  missed", line)
        for line in score.false_public:
            print("  FALSE PUBLIC", line)
        for line in score.extra_private:
            print("  extra", line)
    slow = False
    if not args.no_hostile:
        for label, seconds in run_hostile(date(2026, 12, 5)):
            slow = slow or seconds > HOSTILE_BOUND_S
            print(f"hostile {label!r}: {seconds:.3f} s CPU")
    return 1 if score.false_public or slow else 0


if __name__ == "__main__":
    sys.exit(main())
