"""``coffeechat debrief CONTACT``: the debrief of a meeting typed at the terminal, not emailed."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import click
import typer
from rich.markup import escape
from sqlalchemy import select

from coffeechat.deployments.cli.runtime import console, err_console, runtime, utcnow
from coffeechat.models.contacts.records import ContactNotFound, find_contact
from coffeechat.models.debrief.fields import DebriefFields
from coffeechat.models.debrief.parse import parse_debrief
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.store.tables import Account, Meeting

# What is read from the editor or standard input at most: a debrief is a few paragraphs.
MAX_CHARS = 100_000

TEMPLATE = """\
# How did it go with {name}? Write in any form; the headings are only a guide.
# Lines starting with '#' are ignored. Save and close to store it; leave it empty to cancel.

What I learned:

Their advice:

People to talk to:

What I promised:

What they offered:

Next step:
"""


def debrief(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="#id, email address or part of the name.")],
    meeting: Annotated[
        int | None, typer.Option("--meeting", help="The meeting's id (default: the last one).")
    ] = None,
) -> None:
    """Record how a meeting went: opens $EDITOR on the template, or reads standard input."""
    rt = runtime(ctx)
    now = utcnow()
    with rt.uow() as uow:
        try:
            found = find_contact(uow.session, rt.account_id, contact)
        except ContactNotFound as err:
            _fail(str(err), "`coffeechat contacts list` shows them")
        query = select(Meeting).where(
            Meeting.account_id == rt.account_id,
            Meeting.contact_id == found.id,
            Meeting.status != "CANCELLED",
        )
        if meeting is not None:
            chosen = uow.session.scalars(query.where(Meeting.id == meeting)).first()
        else:
            chosen = uow.session.scalars(
                query.where(Meeting.end_utc <= now).order_by(Meeting.end_utc.desc(), Meeting.id)
            ).first()
        if chosen is None:
            what = f"no meeting #{meeting} with" if meeting is not None else "no past meeting with"
            _fail(f"{what} {found.name}", "`coffeechat contacts show` lists their meetings")
        account = uow.session.get(Account, rt.account_id)
        assert account is not None
        text = _read(TEMPLATE.format(name=found.name))
        fields = parse_debrief(text, today=now.date())
        if fields.empty:
            _fail("nothing written, nothing stored", "write a line or two under any heading")
        store_debrief(uow, meeting_id=chosen.id, fields=fields,
                      source=f"cli:{now.isoformat()}", written_at=now, now=now)  # fmt: skip
        uow.commit()
        console.print(f"debrief of meeting #{chosen.id} with {found.name} stored: "
                      f"{summary(fields)}", highlight=False, markup=False,
                      soft_wrap=True)  # fmt: skip


def summary(fields: DebriefFields) -> str:
    """What was read, counted ("2 advice, 1 promise")."""
    parts = [
        (len(fields.learned), "learned"), (len(fields.advice), "advice"),
        (len(fields.people), "people"), (len(fields.promises), "promises"),
        (len(fields.offers), "offers"), (len(fields.next_step), "next steps"),
        (len(fields.unplaced), "notes"),
    ]  # fmt: skip
    return ", ".join(f"{n} {label}" for n, label in parts if n) or "nothing"


def _read(template: str) -> str:
    """The debrief from standard input when it is not a terminal, else from $EDITOR."""
    if not sys.stdin.isatty():
        text = sys.stdin.read(MAX_CHARS)
    else:
        text = click.edit(template, extension=".txt") or ""
    lines = [line for line in text[:MAX_CHARS].splitlines() if not line.lstrip().startswith("#")]
    return "\n".join(lines)


def _fail(message: str, hint: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}; {hint}", highlight=False,
                      soft_wrap=True)  # fmt: skip
    raise typer.Exit(2)
