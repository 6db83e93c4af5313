"""``coffeechat done [ID] [NOTE]``: mark a promise kept or advice acted on; without ID, list them.

IDs are ``P12`` (a promise) and ``A3`` (a piece of advice); a bare number is a promise. The note
is the user's own words for the contact's next update, which tells it once, verbatim; marking
the same item again changes nothing and says so.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.markup import escape

from coffeechat.deployments.cli.runtime import console, err_console, print_json, runtime, utcnow
from coffeechat.models.followups.kept_news import news_line
from coffeechat.models.followups.promises import (
    Item,
    ItemKind,
    ItemRefused,
    list_items,
    mark_done,
)


def done(
    ctx: typer.Context,
    item_id: Annotated[
        str, typer.Argument(help="P12 (a promise) or A3 (advice); none: list them.")
    ] = "",
    note: Annotated[
        str, typer.Argument(help="What you did, in words for their next update (verbatim).")
    ] = "",
    show_all: Annotated[bool, typer.Option("--all", help="List done ones too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Record that you kept a promise or acted on advice; without ID, list the open ones."""
    rt = runtime(ctx)
    if not item_id:
        with rt.factory() as session:
            items = list_items(session, rt.account_id, status=None if show_all else "open")
        if as_json:
            print_json({"items": [i.as_json() for i in items]})
        elif not items:
            _say("nothing open: promises and advice come from your debriefs (`coffeechat debrief`)")
        else:
            for item in items:
                _say(_line(item))
            _say('mark one: coffeechat done ID "what you did" (the note goes in their next update)')
        return
    with rt.uow() as uow:
        try:
            marked = mark_done(uow, item_id, note, now=utcnow())
        except ItemRefused as err:
            _refused(err)
        uow.commit()
    item = marked.item
    said = news_line(item.kind, item.text, item.note)
    if as_json:
        print_json({"item": item.as_json(), "already": marked.already, "news": said})
        return
    if marked.already:
        when = f"{item.done_at:%Y-%m-%d}" if item.done_at else "before"
        told = "; already told in an update" if item.reported_at else ""
        _say(f"{item.ref} was already done on {when}{told}; nothing changed")
        return
    who = item.contact_name or "the contact"
    _say(f"{item.ref} done: {item.text}")
    _say(f"{who}'s next update will say: {said}")
    if not item.note and item.kind == ItemKind.PROMISE:
        _say("(no note given: the update says only that you did what you said)")


def _line(item: Item) -> str:
    who = item.contact_name or "(contact removed)"
    if item.kind == ItemKind.PROMISE:
        what = f"you promised {who}: {item.text}"
        if item.due and item.status == "open":
            what += f" (due {item.due:%a %d %b})"
    else:
        what = f"{who}'s advice: {item.text}"
    if item.status == "done":
        when = f"{item.done_at:%Y-%m-%d}" if item.done_at else ""
        what += f" [done {when}{', told' if item.reported_at else ''}]"
    return f"{item.ref:<5} {what}"


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def _refused(err: Exception) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2) from None
