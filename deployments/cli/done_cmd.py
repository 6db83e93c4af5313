"""``coffeechat done [ID] [NOTE...]``: mark a promise kept or advice acted on; without ID, list.

IDs are ``P12`` (a promise) and ``A3`` (a piece of advice); a bare number is a promise. The note
is the user's own words, sent to the contact as written in their next update (which tells it
once); the words after the ID are the note, quoted or not. Until that update goes (or while
it can no longer go), ``done ID "new note"`` replaces the note and ``done ID --undo`` takes the
``done`` back; once the contact was told, neither. The listing shows ``LIST_LIMIT`` items at
most, and how many more there are.
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
    Marked,
    count_items,
    list_items,
    mark_done,
    undo_done,
)
from coffeechat.models.followups.updates import why_no_update

LIST_LIMIT = 50


def done(
    ctx: typer.Context,
    item_id: Annotated[
        str, typer.Argument(help="P12 (a promise) or A3 (advice); none: list them.")
    ] = "",
    note: Annotated[
        list[str] | None,
        typer.Argument(
            help="What you did, in your words: sent to the contact as written in their next "
            "update (quotes optional). Again on a done item not yet told: replaces the note.",
            show_default=False,
        ),
    ] = None,
    undo: Annotated[
        bool, typer.Option("--undo", help="Take a done back (only until the contact is told).")
    ] = False,
    show_all: Annotated[bool, typer.Option("--all", help="List done ones too.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="List at most this many (0: all).")
    ] = LIST_LIMIT,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Record that you kept a promise or acted on advice; without ID, list the open ones.

    The note goes to the contact: their next update says it as you wrote it.
    """
    rt = runtime(ctx)
    words = " ".join(note or []).strip()
    if not item_id:
        _list(ctx, show_all=show_all, limit=limit or None, as_json=as_json)
        return
    if undo and words:
        _refused(ValueError("--undo takes no note"))
    with rt.uow() as uow:
        try:
            if undo:
                item = undo_done(uow, item_id, now=utcnow())
            else:
                marked = mark_done(uow, item_id, words, now=utcnow())
                item = marked.item
        except ItemRefused as err:
            _refused(err)
        blocked = why_no_update(uow.session, item.contact_id)
        uow.commit()
    if undo:
        if as_json:
            print_json({"item": item.as_json(), "undone": True})
        else:
            _say(f"{item.ref} is open again (its note is gone): {item.text}")
        return
    said = news_line(item.kind, item.text, item.note, item.contact_name or "")
    if as_json:
        print_json({"item": item.as_json(), "already": marked.already, "edited": marked.edited,
                    "news": said, "no_update": blocked})  # fmt: skip
        return
    _tell(marked, said, blocked)


def _tell(marked: Marked, said: str, blocked: str | None) -> None:
    item = marked.item
    who = item.contact_name or "the contact"
    if marked.already and not marked.edited:
        when = f"{item.done_at:%Y-%m-%d}" if item.done_at else "before"
        if item.told is not None:
            _say(f"{item.ref} was already done on {when} and {item.told.words(who)}; "
                 "nothing changed")  # fmt: skip
            return
        _say(f"{item.ref} was already done on {when}; nothing changed")
        _say(f'(not told yet: `coffeechat done {item.ref} "new note"` replaces the note, '
             f"`coffeechat done {item.ref} --undo` takes it back)")  # fmt: skip
        return
    if marked.edited:
        _say(f"{item.ref}'s note changed (not told to {who} yet): {item.note}")
    else:
        _say(f"{item.ref} done: {item.text}")
    if blocked is not None:
        _say(f"No update will tell this for now: {blocked}.")
    elif said:
        _say(f"{who}'s next update will say: {said}")
    else:
        # Nothing vague goes to the contact: without a note a kept promise is not told.
        _say(f"No update will mention it without a note: `coffeechat done {item.ref} what you "
             "did` adds one (it goes to the contact as written).")  # fmt: skip


def _list(ctx: typer.Context, *, show_all: bool, limit: int | None, as_json: bool) -> None:
    rt = runtime(ctx)
    status = None if show_all else "open"
    with rt.factory() as session:
        items = list_items(session, rt.account_id, status=status, limit=limit)
        more = count_items(session, rt.account_id, status=status) - len(items)
    if as_json:
        print_json({"items": [i.as_json() for i in items], "more": more})
        return
    if not items:
        _say("nothing open: promises and advice come from your debriefs (`coffeechat debrief`)")
        return
    for item in items:
        _say(_line(item))
    if more > 0:
        _say(f"... and {more} more (`coffeechat done --limit 0` lists them all, "
             "`--json` for a script)")  # fmt: skip
    _say("mark one: coffeechat done ID what you did (the note goes to them in their next update)")


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
        what += f" [done {when}{', told' if item.told is not None else ''}]"
    return f"{item.ref:<5} {what}"


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def _refused(err: Exception) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2) from None
