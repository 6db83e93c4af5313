"""Follow-up commands: ``outreach``, ``milestone``, ``approve``, ``queue``, ``plan``, ``thank``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.deployments.cli.present import moment, out, print_table
from coffeechat.deployments.cli.review_drafts import (
    outbox_hint,
    quoted,
    ready_for_approval,
    refusal_hint,
    to_drafts,
)
from coffeechat.deployments.cli.runtime import (
    Runtime,
    console,
    err_console,
    print_json,
    runtime,
    utcnow,
)
from coffeechat.integrations.config import Settings
from coffeechat.integrations.render import render
from coffeechat.models.contacts.records import ContactNotFound, find_contact
from coffeechat.models.followups.mail import Renderer
from coffeechat.models.followups.plan import OutreachRefused, create_outreach
from coffeechat.models.followups.updates import HELPED
from coffeechat.models.outbox.states import OPEN, Mode
from coffeechat.models.store.tables import Account, Contact, Interview, Milestone, Outbox

# Rows still on their way (or stuck); ``--all`` adds what is done.


def text_renderer(settings: Settings) -> Renderer:
    """Render mail templates as plain text, the user's template folder first."""

    def rendered(name: str, context: Mapping[str, object]) -> str:
        return render(name, context, fmt="txt", user_dir=settings.templates_dir)

    return rendered


def outreach(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="#id, email address or part of the name.")],
    send_now: Annotated[
        bool, typer.Option("--send-now", help="Skip review and the send window for this one.")
    ] = False,
    nudge: Annotated[
        bool, typer.Option("--nudge", help="Allow one polite follow-up if there is no reply.")
    ] = False,
) -> None:
    """Queue a request for a conversation (mentions who introduced you, when someone did)."""
    rt = runtime(ctx)
    settings = rt.settings
    with rt.uow() as uow:
        found = _contact(uow.session, rt.account_id, contact)
        try:
            row = create_outreach(
                uow,
                found.id,
                now=utcnow(),
                cadence=settings.cadence,
                mode=settings.modes.outreach,
                user_email=_user_email(rt),
                render=text_renderer(settings),
                send_now=send_now,
                nudge=nudge,
            )
        except OutreachRefused as err:
            _fail(err, refusal_hint(found))
        uow.commit()
    zone = _zone(rt)
    when = row.not_before.astimezone(zone).strftime("%a %d %b %H:%M")
    how = to_drafts(rt, row.id) if row.mode == Mode.REVIEW else f"goes out {when}"
    console.print(
        f"outreach #{row.id} to {found.name} <{row.to_addr}> queued: {how}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def milestone(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The news, e.g. 'I start at Acme in May'.")],
) -> None:
    """Record news in your search; it goes to everyone who helped, in their next update."""
    rt = runtime(ctx)
    with rt.uow() as uow:
        uow.session.add(
            Milestone(account_id=rt.account_id, text=text.strip(), recorded_at=utcnow())
        )
        helped = uow.session.scalars(
            select(Contact.name)
            .join(Interview, Interview.contact_id == Contact.id)
            .where(
                Interview.account_id == rt.account_id,
                Interview.state.in_(HELPED),
                Contact.do_not_contact.is_(False),
            )
            .distinct()
        ).all()
        uow.commit()
    console.print(
        f"milestone recorded; {len(helped)} people who helped will hear about it "
        "(each no sooner than the update interval after their last email)",
        highlight=False,
        soft_wrap=True,
    )


def approve(
    ctx: typer.Context,
    outbox_id: Annotated[int, typer.Argument(help="The outbox row (see `coffeechat queue`).")],
) -> None:
    """Send a reviewed email that waits in Drafts (once; not again if you already sent it)."""
    # Imported here: the sender pulls in SMTP and IMAP, which other commands never need.
    from coffeechat.flows.steps.app import build_app
    from coffeechat.flows.steps.send import approve as send_approved
    from coffeechat.integrations.imap import MailboxError
    from coffeechat.models.outbox.steps import OutboxStateError

    rt = runtime(ctx)
    try:
        ready_for_approval(rt, outbox_id)
        report = send_approved(build_app(rt.settings, rt.account_slug or None), outbox_id, utcnow())
    except OutboxStateError as err:
        _fail(err, outbox_hint(str(err)))
    except MailboxError as err:
        _fail(err, f"once the mailbox answers, `coffeechat approve {outbox_id}` again")
    outcome = "sent" if outbox_id in report.sent else "not sent: see `coffeechat queue`"
    console.print(f"outbox #{outbox_id} {outcome}", highlight=False, soft_wrap=True)


def review(
    ctx: typer.Context,
    outbox_id: Annotated[int, typer.Argument(help="The outbox row (see `coffeechat queue`).")],
    decision: Annotated[
        str,
        typer.Argument(help="sent (it arrived), resend (send it again, same Message-ID) or drop."),
    ],
) -> None:
    """Settle an email whose sending was interrupted (needs review) or that failed."""
    from coffeechat.models.outbox.steps import OutboxStateError, settle_review

    rt = runtime(ctx)
    try:
        settle_review(rt.factory, rt.account_id, outbox_id, decision.lower(), utcnow())
    except OutboxStateError as err:
        _fail(err, outbox_hint(str(err)))
    console.print(f"outbox #{outbox_id}: {decision.lower()}", highlight=False)


def queue(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    all_rows: Annotated[bool, typer.Option("--all", help="Include sent and cancelled.")] = False,
) -> None:
    """List outgoing emails: what is queued, waiting for review, stuck or (with --all) done."""
    rt = runtime(ctx)
    zone = _zone(rt)
    with rt.factory() as session:
        stmt = (
            select(Outbox, Contact.name)
            # Outer: mail about no interview (the digest) goes to the user and is listed too.
            .outerjoin(Interview, Interview.id == Outbox.interview_id)
            .outerjoin(Contact, Contact.id == Interview.contact_id)
            .where(Outbox.account_id == rt.account_id)
            .order_by(Outbox.not_before, Outbox.id)
        )
        if not all_rows:
            stmt = stmt.where(Outbox.status.in_(OPEN))
        rows = [_queue_row(row, name or "you", zone) for row, name in session.execute(stmt)]
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print("nothing queued")
        return
    table = Table("#", "kind", "status", "to", "when", "subject", "note")
    now = utcnow()
    for r in rows:
        when = moment(datetime.fromisoformat(r["not_before"]), now, zone)
        status = f"{r['status']} (review)" if r["mode"] == "review" else r["status"]
        table.add_row(
            str(r["id"]), r["kind"], status, escape(f"{r['contact']} <{r['to']}>"), when,
            escape(r["subject"]),
            escape(r["note"]),
        )  # fmt: skip
    print_table(out(), table)


def plan(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what the next cycle would send, and to whom, without sending or saving anything."""
    print_preview(runtime(ctx), json_out=json_out)


def print_preview(rt: Runtime, *, json_out: bool = False) -> None:
    """Plan inside a rolled-back transaction and print the outcome (``plan``, ``run --dry-run``)."""
    from coffeechat.flows.steps.preview import preview_cycle

    zone = _zone(rt)
    rows = preview_cycle(rt.app, utcnow())
    if json_out:
        print_json(
            [{**vars(r), "when": r.when.astimezone(zone).isoformat()} for r in rows]
        )  # fmt: skip
        return
    if not rows:
        console.print("the next cycle would send nothing; nothing is queued")
        return
    what = {"send": "sends", "draft": "puts in Drafts for review:", "later": "later:",
            "refused": "cancels"}  # fmt: skip
    for r in rows:
        when = r.when.astimezone(zone).strftime("%a %d %b %H:%M")
        line = f"{what[r.action]} {r.kind} to {r.contact} <{r.to}> '{r.subject}' ({when})"
        line += " [new]" if r.new else ""
        console.print(line + (f" - {r.note}" if r.note else ""), markup=False, highlight=False,
                      soft_wrap=True)  # fmt: skip
    now_rows = sum(r.action in ("send", "draft") for r in rows)
    console.print(
        f"{now_rows} email(s) would go out or to Drafts now; nothing was sent or saved",
        highlight=False,
    )


def thank(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="#id, email address or part of the name.")],
    send_now: Annotated[
        bool,
        typer.Option("--send", help="Let it go out on its own in the send window (no review)."),
    ] = False,
) -> None:
    """Queue a thank-you for your last meeting with someone (e.g. one before coffeechat)."""
    from coffeechat.models.followups.late_thanks import NothingToThank, request_thank_you

    rt = runtime(ctx)
    settings = rt.settings
    with rt.uow() as uow:
        found = _contact(uow.session, rt.account_id, contact)
        try:
            row = request_thank_you(
                uow,
                found,
                now=utcnow(),
                cadence=settings.cadence,
                modes=settings.modes,
                user_email=_user_email(rt),
                render=text_renderer(settings),
                send=send_now,
            )
        except NothingToThank as err:
            _fail(err, f"`coffeechat contacts show {quoted(found.name)}` shows where it stands")
        uow.commit()
    when = row.not_before.astimezone(_zone(rt)).strftime("%a %d %b %H:%M")
    how = f"goes out {when}" if row.mode == Mode.AUTO else "goes to Drafts for your review"
    console.print(
        f"thank-you #{row.id} to {found.name} <{row.to_addr}> queued: {how}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def _queue_row(row: Outbox, contact: str, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "mode": row.mode,
        "contact": contact,
        "to": row.to_addr,
        "subject": row.subject,
        "not_before": row.not_before.astimezone(zone).isoformat(),
        "not_after": row.not_after.astimezone(zone).isoformat() if row.not_after else None,
        "sent_at": row.sent_at.astimezone(zone).isoformat() if row.sent_at else None,
        "note": row.last_error,
    }


def _contact(session: Session, account_id: int, ref: str) -> Contact:
    """The contact ``ref`` names; when none does, say how to find or add one."""
    try:
        return find_contact(session, account_id, ref)
    except ContactNotFound as err:
        _fail(err, "`coffeechat contacts list` shows them, `coffeechat contacts add` adds one")


def _fail(err: Exception, hint: str) -> NoReturn:
    """One line: what went wrong and, unless it already does, the next command to run."""
    message = str(err)
    if "`coffeechat " not in message:
        message = f"{message}; {hint}"
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2) from None


def _zone(rt: Runtime) -> ZoneInfo:
    with rt.factory() as session:
        account = session.get(Account, rt.account_id)
        return ZoneInfo(account.timezone if account else "UTC")


def _user_email(rt: Runtime) -> str:
    with rt.factory() as session:
        account = session.get(Account, rt.account_id)
        assert account is not None
        return account.email
