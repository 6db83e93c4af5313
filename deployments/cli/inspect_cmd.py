"""``coffeechat inspect mail|calendar``: how coffeechat reads one file, for bug reports.

Both commands exit 0 for every file they could read, however odd, and never print a
traceback: the explanation of a strange file is the answer, not a crash.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from coffeechat.deployments.cli.runtime import print_json

app = typer.Typer(help="Show how a mail or calendar file is understood.", no_args_is_help=True)

MAX_INPUT = 200_000_000  # refuse absurd files before reading them into memory


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_INPUT:
            raise OSError(f"file is {size} bytes, more than {MAX_INPUT}")
        return path.read_bytes()
    except OSError as err:
        sys.stderr.write(f"error: cannot read {path}: {err.strerror or err}\n")
        raise typer.Exit(2) from None


@app.command("mail")
def mail(
    file: Annotated[Path, typer.Argument(help="A message as .eml (RFC 5322).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    today: Annotated[
        str | None, typer.Option(help="Date to read relative return dates against (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Classify one message: kind, deciding rule, sender, thread ids, return date."""
    from coffeechat.models.classify import inspect_mail, render_text

    raw = _read(file)
    day = date.fromisoformat(today) if today else datetime.now(UTC).date()
    summary = inspect_mail(raw, today=day)
    if json_out:
        print_json(summary)
    else:
        sys.stdout.write(render_text(summary) + "\n")


def _day(value: str | None, *, end: bool) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        sys.stderr.write(f"error: {value!r} is not a date (use YYYY-MM-DD)\n")
        raise typer.Exit(2) from None
    if len(value) <= 10:  # a bare date: the whole day
        parsed = datetime.combine(parsed.date(), time.max if end else time.min)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("calendar")
def calendar(
    file: Annotated[Path, typer.Argument(help="An iCalendar file (.ics).")],
    from_: Annotated[str | None, typer.Option("--from", help="Window start (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Window end (YYYY-MM-DD).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    tz: Annotated[str, typer.Option("--tz", help="Zone for floating times.")] = "UTC",
) -> None:
    """List the occurrences a calendar file holds inside a window, and what was skipped.

    Exits 1, after the report, when the file is not a calendar at all (or over the size cap).
    """
    from coffeechat.models.calendar import MAX_CALENDAR_BYTES, inspect_calendar, oversized_report

    try:
        size = file.stat().st_size
    except OSError:
        size = 0  # _read reports the error
    if size > MAX_CALENDAR_BYTES:  # refused before reading: such a file is never loaded
        report = oversized_report(size)
    else:
        report = inspect_calendar(
            _read(file), start=_day(from_, end=False), end=_day(to, end=True), default_tz=tz
        )
    if json_out:
        print_json(report)
    elif report.get("readable") is not False:  # an unreadable file gets the one error line
        _calendar_text(report)
    if report.get("readable") is False:
        skipped = report.get("skipped") or [{}]
        reason = skipped[0].get("reason", "unreadable")  # type: ignore[index]
        sys.stderr.write(f"error: {file} is not a readable calendar: {reason}\n")
        raise typer.Exit(1)


def _calendar_text(report: dict[str, object]) -> None:
    occurrences = report.get("occurrences", [])
    skipped = report.get("skipped", [])
    sys.stdout.write(f"{report.get('components')} events; {len(occurrences)} occurrences\n")  # type: ignore[arg-type]
    for occ in occurrences:  # type: ignore[attr-defined]
        sys.stdout.write(f"  {occ['start']}  {occ['status']:<9}  {occ['summary']}\n")
    for skip in skipped:  # type: ignore[attr-defined]
        which = f"event {skip['uid']}" if skip.get("uid") else "an event without a UID"
        sys.stdout.write(f"  skipped {which}: {skip['reason']}\n")
