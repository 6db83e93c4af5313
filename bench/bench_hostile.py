"""Hostile shapes under a resource limit: CPU seconds and peak memory per message or calendar.

    python -m bench.bench_hostile [--only mail|calendar] [--match SUBSTRING] [--json]

Each shape of ``tests/hostile/mail_shapes.py`` (and of ``tests/hostile/calendar_shapes.py`` when
that file exists) runs in its own child process under RLIMIT_CPU and RLIMIT_AS. The child builds
the bytes, then measures only what ``coffeechat inspect mail|calendar FILE --json`` does with them
(the same function, in-process, and the JSON encoding of its answer): CPU seconds from
getrusage, peak RSS of the child (ru_maxrss, imports included). A normal small reply (or a
small calendar) measured the same way in the same run is the baseline the ratios are against.

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


def _shape_bytes(kind: str, name: str) -> bytes:
    if name == BASELINE:
        return _BASELINE_MAIL if kind == "mail" else _BASELINE_ICS
    module = _shape_module(kind)
    for found, raw in module.shapes():  # type: ignore[attr-defined]
        if found == name:
            return bytes(raw)
    raise SystemExit(f"no {kind} shape {name!r}")


def _shape_names(kind: str) -> list[str]:
    module = _shape_module(kind)
    if module is None:
        return []
    return [name for name, _ in module.shapes()]  # type: ignore[attr-defined]


def _child(kind: str, name: str) -> None:
    """Run one shape, print one JSON line: cpu seconds and peak RSS (MB)."""
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S[kind], CPU_LIMIT_S[kind] + 1))
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT[kind], AS_LIMIT[kind]))
    from datetime import date

    from models.calendar import inspect_calendar
    from models.classify import inspect_mail

    raw = _shape_bytes(kind, name)
    before = resource.getrusage(resource.RUSAGE_SELF)
    if kind == "mail":
        summary: dict[str, object] = inspect_mail(raw, today=date(2026, 11, 20))
    else:
        summary = inspect_calendar(raw, start=None, end=None, default_tz="UTC")
    json.dumps(summary, default=str)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    outcome = str(summary.get("kind", "")) if kind == "mail" else f"{summary.get('components')} ev"
    reason = str(summary.get("reason", ""))[:60]
    figures = {"cpu": cpu, "rss_mb": after.ru_maxrss / 1024, "size": len(raw)}
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


def _run(kind: str, name: str) -> Result:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_hostile", "--child", kind, name],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=CPU_LIMIT_S[kind] * 4,
    )  # fmt: skip
    if proc.returncode != 0 or not proc.stdout.strip():
        why = f"killed (signal {-proc.returncode})" if proc.returncode < 0 else "failed"
        tail = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
        return Result(kind, name, None, None, 0, f"{why} {' '.join(tail)[:60]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    outcome = data["outcome"] + (f" ({data['reason']})" if data.get("reason") else "")
    return Result(kind, name, data["cpu"], data["rss_mb"], data["size"], outcome)


def _table(results: list[Result], base: Result) -> str:
    lines = [
        f"| {base.kind} shape | size | CPU s | × baseline | peak RSS MB | outcome | in budget |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in [base, *results]:
        cpu = "—" if r.cpu is None else f"{r.cpu:.3f}"
        ratio = "—" if r.cpu is None or not base.cpu else f"{r.cpu / base.cpu:.0f}"
        rss = "—" if r.rss_mb is None else f"{r.rss_mb:.0f}"
        ok = "yes" if r.within() else "**no**"
        lines.append(f"| {r.name} | {r.size:,} | {cpu} | {ratio} | {rss} | {r.outcome} | {ok} |")
    return "\n".join(lines)


def main() -> None:
    """Run every shape (or the --match ones) in a child and print a table per kind."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "NAME"), help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("mail", "calendar"))
    parser.add_argument("--match", default="")
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    failures = 0
    for kind in ("mail", "calendar"):
        if args.only and kind != args.only:
            continue
        names = [n for n in _shape_names(kind) if args.match in n]
        if not names:
            continue
        base = _run(kind, BASELINE)
        base.name = "baseline (small normal " + ("reply)" if kind == "mail" else "calendar)")
        results = []
        for name in names:
            results.append(_run(kind, name))
            print(f"  {kind} {name}: {results[-1].cpu} s, {results[-1].rss_mb} MB", file=sys.stderr)
        cpu_budget, rss_budget = BUDGETS[kind]
        print(f"\n{kind}: budget {cpu_budget:g} s CPU, {rss_budget:g} MB peak RSS per input\n")
        print(_table(results, base))
        over = [r.name for r in results if not r.within()]
        failures += len(over)
        print(f"\n{len(results) - len(over)}/{len(results)} within budget" + (
            f"; over: {', '.join(over)}" if over else ""))  # fmt: skip
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
