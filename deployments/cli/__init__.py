"""The ``coffeechat`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from coffeechat.deployments.cli import (
    connect_cmd,
    contacts,
    debrief_cmd,
    done_cmd,
    followup_cmd,
    inspect_cmd,
    prep_cmd,
    records,
    referrals_cmd,
    run_cmd,
)
from coffeechat.deployments.cli.runtime import Runtime, err_console
from coffeechat.integrations.config import ConfigError
from coffeechat.integrations.render import TemplateMissing
from coffeechat.integrations.secrets import SecretUnavailable
from coffeechat.models.contacts.importing import ImportFormatError
from coffeechat.models.contacts.records import AmbiguousContact, ContactNotFound
from coffeechat.models.followups.plan import OutreachRefused
from coffeechat.models.prep import PrepSourceMissing, QuestionBankError

app = typer.Typer(
    name="coffeechat",
    help="Runs your information interviews: watches mail and calendar, preps, follows up.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Config file (default: COFFEECHAT_CONFIG, then the user config dir).",
            envvar="COFFEECHAT_CONFIG",
        ),
    ] = None,
    account: Annotated[
        str, typer.Option("--account", help="Account slug, for advisers with several clients.")
    ] = "",
) -> None:
    ctx.obj = Runtime(config=config, account_slug=account)


app.command("connect")(connect_cmd.connect)
app.command("run")(run_cmd.run)
app.add_typer(contacts.app, name="contacts")
app.command("note")(contacts.note)
app.command("status")(records.status)
app.command("resume-sending")(records.resume_sending)
app.command("export")(records.export)
app.add_typer(records.db_app, name="db")
app.add_typer(inspect_cmd.app, name="inspect")
app.command("prep")(prep_cmd.prep)
app.command("outreach")(followup_cmd.outreach)
app.command("milestone")(followup_cmd.milestone)
app.command("approve")(followup_cmd.approve)
app.command("review")(followup_cmd.review)
app.command("queue")(followup_cmd.queue)
app.command("plan")(followup_cmd.plan)
app.command("thank")(followup_cmd.thank)
app.add_typer(referrals_cmd.app, name="referrals")
app.command("refer")(referrals_cmd.refer_cmd)
app.command("debrief")(debrief_cmd.debrief)
app.command("done")(done_cmd.done)


@app.command("mcp")
def mcp(ctx: typer.Context) -> None:
    """Serve this account to an AI assistant over stdio (MCP): it reads and drafts, never sends."""
    from coffeechat.deployments.mcp.server import (
        mcp as serve,  # the MCP SDK loads only for this command
    )

    serve(ctx)


@app.command("demo")
def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Keep the demo world here (running again in it continues the story)."),
    ] = None,
    keep: Annotated[
        bool,
        typer.Option("--keep", help="Leave the servers running for a mail client until Ctrl-C."),
    ] = False,
    until: Annotated[
        str | None,
        typer.Option(help="Stop the story at this moment (`today`: the first run only; the "
                     "moments are listed in docs/demo.md)."),
    ] = None,
) -> None:
    """Run the demo world: local IMAP, SMTP and CalDAV servers and the real flows (no account)."""
    from coffeechat.deployments.cli.runtime import console
    from coffeechat.deployments.demo import run_demo

    summary = run_demo(console, data_dir, keep=keep, until=until)
    if summary["problems"]:
        raise typer.Exit(1)


# Failures the user can act on: one clear line, exit status 2, never a traceback.
_USER_ERRORS = (
    ConfigError,
    SecretUnavailable,
    ImportFormatError,
    ContactNotFound,
    AmbiguousContact,
    OutreachRefused,
    PrepSourceMissing,
    QuestionBankError,
    TemplateMissing,
)


def main() -> None:
    """Entry point of the ``coffeechat`` console script."""
    try:
        app()
    except _USER_ERRORS as err:
        # The message is data, not markup: "[smtp]" in it must print as written.
        err_console.print(f"[red]error:[/red] {escape(str(err))}", markup=True, highlight=False)
        raise SystemExit(2) from None
