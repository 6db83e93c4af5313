"""Benchmark: contacts at scale, ``coffeechat contacts import`` and ``export --json``.

Run: .venv/bin/python -m bench.bench_contacts [--rows 100000] [--photo-mb 20]

Each command runs as its own process against a fresh SQLite database, as a person would run
it; wall time and the child's peak memory are measured. The baseline, measured in the same run
on the same file, is the floor any importer pays: Python's csv module reading the rows and
json.dumps writing them. Targets (issue 13): 100,000 rows imported in under 20 s; their export
in under 5 s and 300 MB; a vCard with a 20 MB folded PHOTO read in linear time.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = '[account]\nname = "Jo Seeker"\nemail = "jo@example.com"\ntimezone = "Europe/Paris"\n'


def make_csv(rows: int) -> str:
    """A LinkedIn-like CSV of ``rows`` distinct people."""
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["Name", "Email", "Company", "Title", "Tags", "Notes"])
    for i in range(rows):
        out.writerow(
            [
                f"Person {i}",
                f"person{i}@example{i % 97}.com",
                f"Company {i % 500}",
                "Engineer",
                "bench;csv",
                f"met at event {i % 13}",
            ]
        )
    return buf.getvalue()


def make_vcard(photo_mb: int) -> str:
    """One card whose PHOTO is ``photo_mb`` MB of base64 folded at 75 columns, then a normal one."""
    body = "A" * (photo_mb * 1_000_000)
    folded = "\r\n ".join(body[i : i + 74] for i in range(0, len(body), 74))
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Big Photo\r\nEMAIL:photo@example.com\r\n"
        f"PHOTO;ENCODING=b;TYPE=JPEG:{folded}\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Next Card\r\nEMAIL:next@example.com\r\nEND:VCARD\r\n"
    )


def run_child(args: list[str], env: dict[str, str], stdout: int | None = None) -> tuple[float, int]:
    """Run one coffeechat command; return (seconds, peak RSS in MB of that child alone)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", "from coffeechat.deployments.cli import main; main()", *args],
        env=env,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"coffeechat {' '.join(args)} failed ({child.returncode})")
    return seconds, usage.ru_maxrss // 1024


def baseline(path: Path) -> float:
    """Seconds to read the CSV with the csv module and dump every row as JSON."""
    started = time.perf_counter()
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    with open(os.devnull, "w") as sink:
        for row in rows:
            sink.write(json.dumps(row) + "\n")
    return time.perf_counter() - started


def main() -> None:
    """Generate the inputs, run import and export as processes, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--photo-mb", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "config.toml").write_text(CONFIG)
        env = {
            **os.environ,
            "COFFEECHAT_CONFIG": str(work / "config.toml"),
            "COFFEECHAT_DATA_DIR": str(work / "data"),
            "COFFEECHAT_DATABASE_URL": f"sqlite:///{work / 'cc.db'}",
        }
        big = work / "contacts.csv"
        big.write_text(make_csv(args.rows))
        card = work / "photo.vcf"
        card.write_text(make_vcard(args.photo_mb))
        floor = baseline(big)
        run_child(["db", "upgrade"], env)
        vcard_s, vcard_mb = run_child(["contacts", "import", str(card)], env)
        import_s, import_mb = run_child(["contacts", "import", str(big)], env)
        export_s, export_mb = run_child(["export", "--json"], env)
        with (work / "out.json").open("w") as out:
            run_child(["export", "--json"], env, stdout=out.fileno())
        exported = json.loads((work / "out.json").read_text())
    print(f"rows: {args.rows:,}; baseline (csv read + json dump): {floor:.2f} s")
    print(f"vCard, {args.photo_mb} MB folded PHOTO: {vcard_s:.2f} s, peak {vcard_mb} MB")
    print(
        f"import: {import_s:.2f} s ({import_s / floor:.0f}x baseline), peak {import_mb} MB"
        "  [target < 20 s]"
    )
    print(
        f"export: {export_s:.2f} s ({export_s / floor:.0f}x baseline), peak {export_mb} MB"
        "  [target < 5 s, < 300 MB]"
    )
    print(f"exported contacts: {len(exported['contacts']):,}")


if __name__ == "__main__":
    main()
