"""``coffeechat prep CONTACT``: the prep sheet on demand, never sent."""

from __future__ import annotations

import sys
import webbrowser
from enum import StrEnum
from typing import Annotated

import typer

from coffeechat.deployments.cli.runtime import err_console, runtime, utcnow
from coffeechat.flows.steps.prep_sheets import question_bank
from coffeechat.integrations.prep_files import save_prep_html
from coffeechat.integrations.render import render
from coffeechat.models.contacts.records import find_contact
from coffeechat.models.prep import (
    ThankYouRules,
    load_contact_prep_context,
    load_prep_context,
    next_meeting_id,
)


class SheetFormat(StrEnum):
    """The renderings a sheet can be printed in."""

    HTML = "html"
    MD = "md"
    TXT = "txt"


def prep(
    ctx: typer.Context,
    contact: Annotated[
        str, typer.Argument(help="Contact: #id, email address or part of the name.")
    ],
    open_: Annotated[
        bool, typer.Option("--open", help="Save the HTML sheet and open it in a browser.")
    ] = False,
    fmt: Annotated[
        SheetFormat, typer.Option("--format", help="What to print: html, md or txt.")
    ] = SheetFormat.TXT,
) -> None:
    """Show the prep sheet for a contact's next meeting (or a general one): nothing is sent."""
    rt = runtime(ctx)
    settings, now = rt.settings, utcnow()
    bank = question_bank(settings.templates_dir)
    rules = ThankYouRules.of(settings.cadence, settings.modes.thank_you, settings.debrief)
    with rt.factory() as session:
        person = find_contact(session, rt.account_id, contact)
        meeting_id = next_meeting_id(session, person.id, now)
        sheet = (
            load_prep_context(session, meeting_id, now, bank=bank, thank_you=rules)
            if meeting_id is not None
            else load_contact_prep_context(session, person.id, now, bank=bank)
        )
    if open_:
        html = render("prep/sheet", {"sheet": sheet}, fmt="html", user_dir=settings.templates_dir)
        path = save_prep_html(settings.data_dir, sheet.day, sheet.who.name, html)
        err_console.print(f"saved {path}", highlight=False, markup=False)
        webbrowser.open(path.as_uri())
        return
    sys.stdout.write(
        render("prep/sheet", {"sheet": sheet}, fmt=fmt.value, user_dir=settings.templates_dir)
    )
