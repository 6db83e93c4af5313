"""``coffeechat status``, ``export`` and ``db``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from coffeechat.deployments.cli.runtime import console, print_json, runtime, utcnow
from coffeechat.models.followups.first_run import NOT_THANKED_SHOWN
from coffeechat.models.reports.export import write_export
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.db import current_revision, head_revision, make_engine, upgrade

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


def status(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Contacts by stage, next meetings, mail queued and sent, and the health of each source."""
    rt = runtime(ctx)
    with rt.factory() as session:
        horizon = rt.settings.cadence.first_run_horizon_hours
        report = status_report(session, rt.account_id, utcnow(), horizon_hours=horizon)
    if json_out:
        print_json(report)
        return
    stages = ", ".join(f"{k} {v}" for k, v in report["stages"].items() if v) or "no interviews yet"
    console.print(f"[bold]{report['account']}[/bold]: {report['contacts']} contacts; {stages}")
    mail = report["mail"]
    console.print(
        f"mail: {mail['queued']} queued, {mail['sent_today']} sent today, "
        f"{mail['awaiting_approval']} awaiting approval, "
        f"{mail['needs_review']} need review, {mail['failed']} failed"
    )
    unreadable = report.get("unreadable") or {"count": 0}
    if unreadable["count"]:
        console.print(f"[yellow]unreadable mail:[/yellow] {unreadable['count']}, not acted on")
        for m in unreadable["latest"]:
            where = f"{m['folder']} uid {m['uid']}, {m['from'] or '?'}, {m['subject']!r}"
            line = f"  {where}: {m['reason']}"
            console.print(line, markup=False, highlight=False)
    if report["sending_paused"]:
        console.print(
            f"[red]sending paused:[/red] {escape(report['sending_paused'])} "
            "(fix the account, then `coffeechat resume-sending`)"
        )
    if report["suspicious"]["count"]:
        console.print(f"[yellow]suspicious: {report['suspicious']['count']}, to confirm[/yellow]")
        for line in report["suspicious"]["to_confirm"]:
            console.print(f"  {line}", markup=False, highlight=False)
    if report["next_meetings"]:
        table = Table("start (UTC)", "contact", "summary", "prep sheet", title="next meetings")
        for m in report["next_meetings"]:
            table.add_row(m["start"], str(m["contact"] or "?"), m["summary"], m["prep_sheet"])
        console.print(table)
    old_meetings = report["not_thanked"]
    for old in old_meetings[:NOT_THANKED_SHOWN]:
        console.print(
            f"met {old['contact']} on {old['met_on']}, not thanked: `{old['command']}` to send one",
            markup=False,
            highlight=False,
        )
    if len(old_meetings) > NOT_THANKED_SHOWN:
        console.print(f"... and {len(old_meetings) - NOT_THANKED_SHOWN} more (`status --json`)")
    for src in report["sources"]:
        health = f"[red]failing ({src['consecutive_failures']}x)[/red]" if src["failing"] else "ok"
        console.print(
            f"{src['kind']} {src['source']}: {health}, last success "
            f"{src['last_success'] or 'never'}"
        )
        if src["last_error"]:
            console.print(f"  last error: {src['last_error']}", markup=False, highlight=False)
        for skip in src["skipped"]:
            console.print(
                f"  skipped {skip['item']}: {skip['reason']}", markup=False, highlight=False
            )


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
