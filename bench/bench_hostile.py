"""Hostile shapes under a resource limit: CPU seconds and peak memory per message or calendar.

    python -m bench.bench_hostile [--only mail|calendar] [--match SUBSTRING] [--json]

Each shape of ``tests/hostile/mail_shapes.py`` (and of ``tests/hostile/calendar_shapes.py`` when
that file exists) runs in its own child process under RLIMIT_CPU and RLIMIT_AS. The parent writes
the bytes to a file; the child reads it and measures only what ``coffeechat inspect mail|calendar
FILE --json`` does with it (the same function, in-process, and the JSON encoding of its answer):
CPU seconds from getrusage, peak RSS of the child (VmHWM, imports and the file's bytes included).
A normal small reply (or a small calendar) measured the same way in the same run is the baseline
the ratios are against.

Budgets (issue 13): a message <= 1 s CPU and <= 250 MB; a calendar <= 5 s and <= 500 MB.
A child killed by its limit is reported as such and counts as over budget.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = {"mail": (1.0, 250.0), "calendar": (5.0, 500.0)}
CPU_LIMIT_S = {"mail": 20, "calendar": 40}  # the kill switch, far above the budget
AS_LIMIT = {"mail": 2_000_000_000, "calendar": 3_000_000_000}
BASELINE = "__baseline__"

_BASELINE_MAIL = (
    b"From: Jane Doe <jane@example.com>\r\nTo: jo@example.net\r\nSubject: Re: Coffee?\r\n"
    b"Date: Mon, 16 Nov 2026 10:00:00 +0000\r\nMessage-ID: <r1@example.com>\r\n"
    b"In-Reply-To: <o1@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Sure, Tuesday works for me.\r\n\r\nOn Mon, 9 Nov 2026, Jo wrote:\r\n> Coffee?\r\n"
)
_BASELINE_ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:b1@bench\r\n"
    b"DTSTAMP:20261101T000000Z\r\nDTSTART:20261120T100000Z\r\nDTEND:20261120T103000Z\r\n"
    b"SUMMARY:Coffee\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _shape_module(kind: str) -> object | None:
    path = ROOT / "tests" / "hostile" / f"{kind}_shapes.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"_hostile_{kind}_shapes", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shapes(kind: str, match: str) -> Iterator[tuple[str, bytes]]:
    """The baseline first, then every shape of that kind whose name holds ``match``."""
    module = _shape_module(kind)
    if module is None:
        return
    yield BASELINE, _BASELINE_MAIL if kind == "mail" else _BASELINE_ICS
    for name, raw in module.shapes():  # type: ignore[attr-defined]
        if match in name:
            yield name, bytes(raw)


def _peak_rss_mb(ru_maxrss_kb: int) -> float:
    """This process image's peak RSS: VmHWM, since ru_maxrss keeps the parent's from before exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return ru_maxrss_kb / 1024


def _child(kind: str, path: str) -> None:
    """Read one file as the CLI does, inspect it, print one JSON line: CPU s and peak RSS (MB)."""
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S[kind], CPU_LIMIT_S[kind] + 1))
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT[kind], AS_LIMIT[kind]))
    from datetime import date

    from coffeechat.models.calendar import inspect_calendar
    from coffeechat.models.classify import inspect_mail

    raw = Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF)
    if kind == "mail":
        summary: dict[str, object] = inspect_mail(raw, today=date(2026, 11, 20))
    else:
        summary = inspect_calendar(raw, start=None, end=None, default_tz="UTC")
    json.dumps(summary, default=str)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if kind == "mail":
        outcome = str(summary.get("kind", ""))
    else:
        found = summary.get("occurrences")
        count = len(found) if isinstance(found, list) else 0
        outcome = f"{summary.get('components')} events, {count} occurrences"
    reason = str(summary.get("reason", ""))[:60]
    figures = {"cpu": cpu, "rss_mb": _peak_rss_mb(after.ru_maxrss), "size": len(raw)}
    print(json.dumps({**figures, "outcome": outcome, "reason": reason}))


@dataclass
class Result:
    """One shape's measured cost, or why there is none."""

    kind: str
    name: str
    cpu: float | None
    rss_mb: float | None
    size: int
    outcome: str

    def within(self) -> bool:
        """True when both figures are measured and inside the budget."""
        cpu_budget, rss_budget = BUDGETS[self.kind]
        if self.cpu is None or self.rss_mb is None:
            return False
        return self.cpu <= cpu_budget and self.rss_mb <= rss_budget


def _run(kind: str, name: str, raw: bytes, scratch: Path) -> Result:
    path = scratch / f"{kind}.input"
    path.write_bytes(raw)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_hostile", "--child", kind, str(path)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=CPU_LIMIT_S[kind] * 4,
    )  # fmt: skip
    if proc.returncode != 0 or not proc.stdout.strip():
        why = f"killed (signal {-proc.returncode})" if proc.returncode < 0 else "failed"
        tail = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
        return Result(kind, name, None, None, len(raw), f"{why} {' '.join(tail)[:60]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    outcome = data["outcome"] + (f" ({data['reason']})" if data.get("reason") else "")
    return Result(kind, name, data["cpu"], data["rss_mb"], data["size"], outcome)


def _table(results: list[Result], base: Result) -> str:
    lines = [
        f"| {base.kind} shape | size | CPU s | × baseline | peak RSS MB | outcome | in budget |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in [base, *results]:
        cpu = "—" if r.cpu is None else f"{r.cpu:.4f}"
        ratio = "—" if r.cpu is None or not base.cpu else f"{r.cpu / base.cpu:.0f}"
        rss = "—" if r.rss_mb is None else f"{r.rss_mb:.0f}"
        ok = "yes" if r.within() else "**no**"
        lines.append(f"| {r.name} | {r.size:,} | {cpu} | {ratio} | {rss} | {r.outcome} | {ok} |")
    return "\n".join(lines)


def _run_kind(kind: str, match: str, scratch: Path) -> int:
    """Measure every shape of one kind, print its table; the number over budget."""
    results = []
    for name, raw in _shapes(kind, match):
        results.append(_run(kind, name, raw, scratch))
        print(f"  {kind} {name}: {results[-1].cpu} s, {results[-1].rss_mb} MB", file=sys.stderr)
    if not results:
        return 0
    base, results = results[0], results[1:]
    base.name = "baseline (small normal " + ("reply)" if kind == "mail" else "calendar)")
    cpu_budget, rss_budget = BUDGETS[kind]
    print(f"\n{kind}: budget {cpu_budget:g} s CPU, {rss_budget:g} MB peak RSS per input\n")
    print(_table(results, base))
    over = [r.name for r in results if not r.within()]
    tail = f"; over: {', '.join(over)}" if over else ""
    print(f"\n{len(results) - len(over)}/{len(results)} within budget{tail}")
    return len(over)


def main() -> None:
    """Run every shape (or the --match ones) in a child and print a table per kind."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("mail", "calendar"))
    parser.add_argument("--match", default="")
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    failures = 0
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as scratch:
        for kind in ("mail", "calendar"):
            if not args.only or kind == args.only:
                failures += _run_kind(kind, args.match, Path(scratch))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
