"""``coffeechat status``, ``export`` and ``db``."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coffeechat.deployments.cli.present import local, moment, out, print_table, relative, when_text
from coffeechat.deployments.cli.runtime import console, print_json, runtime, utcnow
from coffeechat.models.followups.first_run import NOT_THANKED_SHOWN
from coffeechat.models.reports.export import write_export
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.db import current_revision, head_revision, make_engine, upgrade

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


def status(
    ctx: typer.Context,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON (shape: models/reports/status.py).")
    ] = False,
) -> None:
    """What needs you, each conversation and what comes next, meetings, mail and sources."""
    rt = runtime(ctx)
    now = utcnow()
    with rt.factory() as session:
        cadence = rt.settings.cadence
        report = status_report(
            session,
            rt.account_id,
            now,
            horizon_hours=cadence.first_run_horizon_hours,
            cadence=cadence,
        )
    if json_out:
        print_json(report)
        return
    print_status(report, now)


def print_status(report: dict[str, Any], now: datetime) -> None:
    """The status report as a person reads it (times local to the account's zone)."""
    con, zone = out(), ZoneInfo(report["timezone"])
    stages = ", ".join(f"{k} {v}" for k, v in report["stages"].items() if v) or "no interviews yet"
    con.print(
        f"[bold]{escape(report['account'])}[/bold] — {local(now, now, zone)} "
        f"({report['timezone']})",
        highlight=False,
    )
    con.print(f"{report['contacts']} contacts; {stages}", highlight=False)
    mail = report["mail"]
    con.print(
        f"mail: {mail['queued']} queued, {mail['sent_today']} sent today, "
        f"{mail['awaiting_approval']} awaiting approval, "
        f"{mail['needs_review']} need review, {mail['failed']} failed",
        highlight=False,
    )
    _needs_you(con, report)
    _people(con, report, now, zone)
    _meetings(con, report, now, zone)
    _details(con, report, now, zone)


def _needs_you(con: Console, report: dict[str, Any]) -> None:
    needs = report["needs_you"]
    con.print()
    if not needs:
        con.print("[bold]needs you:[/bold] nothing")
        return
    con.print(f"[bold]needs you ({len(needs)}):[/bold]")
    for item in needs:
        command = f": `{item['command']}`" if item["command"] else ""
        purpose = " to send one" if item["kind"] == "not_thanked" else ""
        con.print(f"  • {item['text']}{command}{purpose}", markup=False, highlight=False)


def _people(con: Console, report: dict[str, Any], now: datetime, zone: ZoneInfo) -> None:
    """Each conversation on two lines: who and where it stands, then what comes next."""
    if not report["people"]:
        return
    con.print()
    con.print("[bold]conversations:[/bold]")
    for p in report["people"]:
        since = relative(datetime.fromisoformat(p["since"]), now)
        email = f", {p['email']}" if p["email"] else ""
        _plain(con, f"  {p['contact']} (#{p['contact_id']}{email}): {p['state']} {since}")
        _plain(con, f"      next: {next_text(p['next'], now, zone)}")
    if report.get("people_more"):
        con.print(f"  ... and {report['people_more']} more (`coffeechat status --json`)")


def next_text(step: dict[str, Any], now: datetime, zone: ZoneInfo) -> str:
    """A next step in words: ``you: approve the nudge in Drafts: `coffeechat approve 3```."""
    who = {"you": "you: ", "them": "them: "}.get(step["who"], "")
    command = f": `{step['command']}`" if step["command"] else ""
    if not step["at"]:
        return f"{who}{step['what']}{command}"
    when = when_text(step["at"], now, zone)
    if step["who"] == "them":  # "away until <when>"
        return f"{who}{step['what']} {when}{command}"
    return f"{when}: {who}{step['what']}{command}"


def _meetings(con: Console, report: dict[str, Any], now: datetime, zone: ZoneInfo) -> None:
    if not report["next_meetings"]:
        return
    con.print()
    table = Table(
        "when",
        "contact",
        "summary",
        "prep sheet",
        title="next meetings",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for m in report["next_meetings"]:
        start = moment(datetime.fromisoformat(m["start"]), now, zone)
        table.add_row(
            start, escape(str(m["contact"] or "?")), escape(m["summary"]), m["prep_sheet"]
        )
    print_table(con, table)


def _details(con: Console, report: dict[str, Any], now: datetime, zone: ZoneInfo) -> None:
    """Unreadable and suspicious mail, old meetings, sources: the detail behind *needs you*."""
    unreadable = report.get("unreadable") or {"count": 0}
    for m in unreadable.get("latest", []):
        where = f"{m['folder']} uid {m['uid']}, {m['from'] or '?'}, {m['subject']!r}"
        con.print(f"unreadable: {where}: {m['reason']}")
    for line in report["suspicious"]["to_confirm"]:
        _plain(con, f"suspicious: {line}")
    if len(report["not_thanked"]) > NOT_THANKED_SHOWN:
        more = len(report["not_thanked"]) - NOT_THANKED_SHOWN
        _plain(con, f"... and {more} more not thanked (`coffeechat status --json`)")
    if report["sources"]:
        con.print()
    for src in report["sources"]:
        health = f"failing ({src['consecutive_failures']}x)" if src["failing"] else "ok"
        last = when_text(src["last_success"], now, zone)
        con.print(f"{src['kind']} {src['source']}: {health}, last success {last}")
        if src["last_error"]:
            _plain(con, f"  last error: {src['last_error']}")
        for skip in src["skipped"]:
            _plain(con, f"  skipped {skip['item']}: {skip['reason']}")


def _plain(con: Console, text: str) -> None:
    con.print(text, markup=False, highlight=False)


def resume_sending(ctx: typer.Context) -> None:
    """Let mail go out again after a refused login or TLS problem was fixed."""
    from coffeechat.flows.steps.send import resume_sending as resume

    reason = resume(runtime(ctx).app)
    console.print(
        f"sending resumed (it was paused: {escape(reason)})" if reason else "sending was not paused"
    )


def export(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (the only format).")] = True,
) -> None:
    """Every record of the account as one JSON document (shape: models/reports/export.py)."""
    rt = runtime(ctx)
    with rt.factory() as session:
        write_export(session, rt.account_id, current_revision(rt.engine), sys.stdout)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the schema to the newest revision."""
    rt = runtime(ctx)
    engine = make_engine(rt.settings.db_url)
    before = current_revision(engine)
    upgrade(engine)
    console.print(f"database at {head_revision()} (was {before or 'empty'})")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the database."""
    rt = runtime(ctx)
    rev = current_revision(make_engine(rt.settings.db_url))
    console.print(f"{rev or 'empty'} (newest: {head_revision()})")
