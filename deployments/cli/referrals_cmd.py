"""``coffeechat referrals`` (list, accept, decline, ask) and ``coffeechat refer``.

Every message ends with the next command that moves the referral on: accepting names the
outreach (or, without an address, the introduction request), a refusal names what fixes it.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from coffeechat.deployments.cli.followup_cmd import text_renderer
from coffeechat.deployments.cli.review_drafts import to_drafts
from coffeechat.deployments.cli.runtime import console, err_console, print_json, runtime, utcnow
from coffeechat.models.contacts.referral_report import list_referrals, next_command
from coffeechat.models.contacts.referrals import (
    ReferralRefused,
    accept,
    decline,
    refer,
    status_word,
)
from coffeechat.models.followups.introductions import ask_introduction
from coffeechat.models.store.tables import Account

app = typer.Typer(
    help="People your contacts suggested you talk to: list, accept, decline, ask for an intro.",
    invoke_without_command=True,
)


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def _refused(err: Exception) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2) from None


@app.callback()
def referrals(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """List referrals: who suggested whom, where each stands, and the next command."""
    if ctx.invoked_subcommand is not None:
        return
    rt = runtime(ctx)
    now = utcnow()
    with rt.factory() as session:
        rows = list_referrals(session, rt.account_id, now)
    if as_json:
        print_json({"referrals": rows})
        return
    if not rows:
        _say('no referrals yet; record one with `coffeechat refer INTRODUCER "NAME" [EMAIL]`')
        return
    for r in rows:
        _say(_line(r))


def _line(r: dict[str, Any]) -> str:
    who = r["name"] or r["address"] or "someone"
    if r["address"] and r["name"]:
        who = f"{r['name']} <{r['address']}>"
    came = [w for w in ("contacted", "met") if r[w]]
    linked = f" (contact #{r['contact']['id']})" if r["contact"] else ""
    status = ", ".join([r["status"], *came])
    by = r["introducer"]["name"]
    return f"#{r['id']} {by} suggested {who}{linked}: {status}; next: {r['next']}"


@app.command("accept")
def accept_cmd(
    ctx: typer.Context,
    referral_id: Annotated[int, typer.Argument(help="The referral's number (`referrals`).")],
    email: Annotated[str, typer.Option("--email", "-e", help="Their address, if known.")] = "",
    contact: Annotated[
        str, typer.Option("--contact", help="The contact it is about, when several fit.")
    ] = "",
    name: Annotated[
        str, typer.Option("--name", help="Their full name, if the reply lacked it.")
    ] = "",
) -> None:
    """Accept a referral: the person becomes a contact introduced by whoever suggested them."""
    rt = runtime(ctx)
    with rt.uow() as uow:
        try:
            ref, person, created = accept(
                uow, referral_id, now=utcnow(), email=email, contact_ref=contact, name=name
            )
        except ReferralRefused as err:
            _refused(err)
        uow.commit()
        what = "added" if created else "linked"
        _say(
            f"referral #{ref.id} accepted: {what} #{person.id} {person.name}, "
            f"introduced by #{ref.from_contact_id}; next: {next_command(ref)}"
        )


@app.command("decline")
def decline_cmd(
    ctx: typer.Context,
    referral_id: Annotated[int, typer.Argument(help="The referral's number (`referrals`).")],
) -> None:
    """Decline a referral: it stays on record and nothing is ever sent because of it."""
    rt = runtime(ctx)
    with rt.uow() as uow:
        try:
            ref = decline(uow, referral_id, now=utcnow())
        except ReferralRefused as err:
            _refused(err)
        uow.commit()
        _say(f"referral #{ref.id} {status_word(ref)}; to undo: {next_command(ref)}")


@app.command("ask")
def ask_cmd(
    ctx: typer.Context,
    referral_id: Annotated[int, typer.Argument(help="The referral's number (`referrals`).")],
) -> None:
    """Ask the introducer to introduce you (for someone whose address you do not have)."""
    rt = runtime(ctx)
    settings = rt.settings
    with rt.uow() as uow:
        account = uow.session.get(Account, rt.account_id)
        assert account is not None
        try:
            row = ask_introduction(
                uow,
                referral_id,
                now=utcnow(),
                cadence=settings.cadence,
                mode=settings.modes.intro_request,
                user_email=account.email,
                render=text_renderer(settings),
            )
        except ReferralRefused as err:
            _refused(err)
        uow.commit()
        row_id, mode, to = row.id, row.mode, row.to_addr
        when = row.not_before
    how = to_drafts(rt, row_id) if mode == "review" else f"goes out {when:%a %d %b %H:%M} UTC"
    _say(f"introduction request #{row_id} to <{to}> queued: {how}")


def refer_cmd(
    ctx: typer.Context,
    introducer: Annotated[str, typer.Argument(help="Who suggested them: #id, email or name.")],
    name: Annotated[str, typer.Argument(help="The person's full name.")],
    email: Annotated[str, typer.Argument(help="Their address, if you have it.")] = "",
    company: Annotated[str, typer.Option(help="Where they work.")] = "",
    note: Annotated[str, typer.Option(help="Why, in your words.")] = "",
) -> None:
    """Record that a contact suggested you talk to someone (then accept it, or ask for an intro)."""
    rt = runtime(ctx)
    with rt.uow() as uow:
        try:
            ref = refer(
                uow, introducer, name, now=utcnow(), email=email, company=company, note=note
            )
        except ReferralRefused as err:
            _refused(err)
        uow.commit()
        ask = "" if ref.address else f", or `coffeechat referrals ask {ref.id}`"
        _say(
            f"referral #{ref.id} recorded ({status_word(ref)}); next: "
            f"`coffeechat referrals accept {ref.id}`{ask}"
        )
