"""``coffeechat contacts ...`` and ``coffeechat note``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coffeechat.deployments.cli.contact_view import contact_document, print_contact
from coffeechat.deployments.cli.present import (
    out,
    print_table,
)
from coffeechat.deployments.cli.runtime import console, err_console, print_json, runtime, utcnow
from coffeechat.models.classify.address import normalise_address
from coffeechat.models.contacts.importing import (
    ContactRow,
    ImportFormatError,
    decode,
    detect_format,
    parse,
    split_emails,
)
from coffeechat.models.contacts.records import (
    contact_by_email,
    find_contact,
    import_rows,
    upsert_contact,
)
from coffeechat.models.contacts.referral_links import link_by_address
from coffeechat.models.reports.people import bounced_only
from coffeechat.models.store.events import NoteAdded
from coffeechat.models.store.tables import Contact, ContactEmail, Interview, Note
from coffeechat.models.text import clean_line

app = typer.Typer(help="Add, import, list, show and edit contacts.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Full name.")],
    email: Annotated[
        list[str] | None, typer.Option("--email", "-e", help="Address (repeatable).")
    ] = None,
    company: Annotated[str, typer.Option(help="Company.")] = "",
    role: Annotated[str, typer.Option(help="Role or job title.")] = "",
    linkedin: Annotated[str, typer.Option(help="LinkedIn profile URL.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag (repeatable).")] = None,
    introduced_by: Annotated[str, typer.Option(help="Who introduced you (contact ref).")] = "",
    timezone: Annotated[str, typer.Option(help="The contact's IANA time zone.")] = "",
) -> None:
    """Add a contact (or merge into the one that has the same address)."""
    emails, bad = split_emails(" ".join(email or []))
    if bad:
        raise ImportFormatError(f"invalid email address {bad[0]!r}")
    row = ContactRow(
        line=0,
        name=clean_line(name),
        emails=tuple(emails),
        company=company,
        role=role,
        linkedin_url=linkedin,
        tags=tuple(tag or ()),
        timezone=timezone,
        introduced_by=introduced_by,
    )
    rt = runtime(ctx)
    with rt.uow() as uow:
        contact, created = upsert_contact(uow, row, source="manual", now=utcnow())
        uow.commit()
        console.print(f"{'added' if created else 'merged into'} #{contact.id} {contact.name}")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    fmt: Annotated[str, typer.Option("--format", help="auto, linkedin, vcard or csv.")] = "auto",
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="FIELD=COLUMN for a CSV (fields: name, email, company, role, "
            "linkedin_url, tags, notes, timezone, introduced_by).",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import contacts from a LinkedIn export, a vCard file or a CSV; bad rows are reported."""
    text = decode(file.read_bytes())
    chosen = detect_format(file.name, text) if fmt == "auto" else fmt
    mapping = {}
    for item in map_ or []:
        key, sep, column = item.partition("=")
        if not sep:
            raise ImportFormatError(f"--map {item!r}: use FIELD=COLUMN")
        mapping[key.strip().lower()] = column.strip()
    parsed = parse(text, chosen, mapping)
    rt = runtime(ctx)
    with rt.uow() as uow:
        report = import_rows(uow, parsed.rows, source=chosen, now=utcnow())
        uow.commit()
    errors = sorted([*parsed.errors, *report.errors], key=lambda e: e.line)
    if json_out:
        print_json(
            {
                "format": chosen,
                "added": report.added,
                "merged": report.merged,
                "errors": [{"line": e.line, "reason": e.reason} for e in errors],
            }
        )
    else:
        console.print(
            f"{file.name} ({chosen}): {report.added} added, {report.merged} merged, "
            f"{len(errors)} rejected"
        )
        for e in errors:
            err_console.print(f"  line {e.line}: {e.reason}", highlight=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List contacts with their current stage."""
    rt = runtime(ctx)
    with rt.factory() as session:
        contacts = session.scalars(
            select(Contact)
            .where(Contact.account_id == rt.account_id)
            .options(selectinload(Contact.emails))
            .order_by(Contact.id)
        ).all()
        stages = _stages(session, rt.account_id)
    rows = [
        {
            "id": c.id,
            "name": c.name,
            "email": c.emails[0].address if c.emails else "",
            "company": c.company,
            "role": c.role,
            "stage": "undeliverable"
            if bounced_only(c) and c.id in stages
            else stages.get(c.id, "-"),
            "do_not_contact": c.do_not_contact,
        }
        for c in contacts
    ]
    if json_out:
        print_json(rows)
        return
    table = Table("#", "name", "email", "company", "role", "stage")
    for r in rows:
        stage = "do not contact" if r["do_not_contact"] else str(r["stage"])
        cells = (r["id"], r["name"], r["email"], r["company"], r["role"], stage)
        table.add_row(*(escape(str(cell)) for cell in cells))
    print_table(out(), table)


def _stages(session: object, account_id: int) -> dict[int, str]:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    latest: dict[int, str] = {}
    for contact_id, state in session.execute(
        select(Interview.contact_id, Interview.state)
        .where(Interview.account_id == account_id)
        .order_by(Interview.id)
    ):
        latest[contact_id] = state  # the newest interview wins
    return latest


@app.command("show")
def show(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="#id, email address or part of the name.")],
    json_out: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print JSON (shape: docs/cli-json.md).",
        ),
    ] = False,
) -> None:
    """Show a contact's details, each conversation with what comes next, and the timeline."""
    rt = runtime(ctx)
    now = utcnow()
    with rt.factory() as session:
        found = find_contact(session, rt.account_id, contact)
        doc = contact_document(session, rt.account_id, found, now, rt.settings.cadence)
    if json_out:
        print_json(doc)
        return
    print_contact(doc, now)


@app.command("edit")
def edit(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="#id, email address or part of the name.")],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    company: Annotated[str | None, typer.Option(help="New company.")] = None,
    role: Annotated[str | None, typer.Option(help="New role.")] = None,
    linkedin: Annotated[str | None, typer.Option(help="New LinkedIn URL.")] = None,
    timezone: Annotated[str | None, typer.Option(help="New IANA time zone.")] = None,
    add_email: Annotated[list[str] | None, typer.Option(help="Add an address.")] = None,
    add_tag: Annotated[list[str] | None, typer.Option(help="Add a tag.")] = None,
    goal: Annotated[
        str | None, typer.Option(help="What you want from this person (shapes the prep sheet).")
    ] = None,
    pin: Annotated[
        list[str] | None, typer.Option(help="A question of your own, first on their prep sheet.")
    ] = None,
    clear_pins: Annotated[
        bool, typer.Option("--clear-pins", help="Forget the questions pinned for them.")
    ] = False,
    do_not_contact: Annotated[
        bool | None,
        typer.Option("--do-not-contact/--may-contact", help="Never mail this person again."),
    ] = None,
) -> None:
    """Change a contact's details."""
    rt = runtime(ctx)
    now = utcnow()
    with rt.uow() as uow:
        found = find_contact(uow.session, rt.account_id, contact)
        for attr, value in (
            ("name", name),
            ("company", company),
            ("role", role),
            ("linkedin_url", linkedin),
            ("timezone", timezone),
        ):
            if value is not None:
                setattr(found, attr, clean_line(value))
        if do_not_contact is not None:
            found.do_not_contact = do_not_contact
        if add_tag:
            found.tags = list(dict.fromkeys([*found.tags, *add_tag]))
        if goal is not None:
            found.goal = goal.strip()
        if clear_pins or pin:
            kept = [] if clear_pins else list(found.pinned_questions)
            found.pinned_questions = _pinned(kept, pin or [])
        if add_email:
            emails, bad = split_emails(" ".join(add_email))
            if bad:
                raise ImportFormatError(f"invalid email address {bad[0]!r}")
            _add_addresses(uow.session, rt.account_id, found, emails)
        found.updated_at = now
        uow.commit()
        console.print(f"updated #{found.id} {found.name}", highlight=False)


def _pinned(kept: list[str], new: list[str]) -> list[str]:
    """The pinned questions after adding ``new``: one line each, no duplicates, order kept."""
    seen = {q.casefold() for q in kept}
    for raw in new:
        line = clean_line(raw, limit=300)
        if line and line.casefold() not in seen:
            seen.add(line.casefold())
            kept.append(line)
    return kept


def _add_addresses(session: Session, account_id: int, contact: Contact, emails: list[str]) -> None:
    """Give ``contact`` these addresses (a working one after a bounce, a second one)."""
    for address in map(normalise_address, emails):
        owner = contact_by_email(session, account_id, address)
        if owner is not None and owner.id != contact.id:
            raise ImportFormatError(f"{address} is already the address of #{owner.id} {owner.name}")
        if owner is None:
            contact.emails.append(
                ContactEmail(
                    account_id=account_id,
                    address=address,
                    is_primary=not contact.emails,
                    status="ok",
                )
            )
    session.flush()
    # A referral waiting for one of these addresses finds its person now.
    link_by_address(
        session, account_id, {e.address: contact.id for e in contact.emails}, now=utcnow()
    )


def note(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="#id, email address or part of the name.")],
    text: Annotated[str, typer.Argument(help="The note.")],
    for_update: Annotated[
        bool,
        typer.Option("--for-update", help="News to report back to this person in the next update."),
    ] = False,
) -> None:
    """Add a private note on a contact (with --for-update: news told in their next update)."""
    rt = runtime(ctx)
    now = utcnow()
    with rt.uow() as uow:
        found = find_contact(uow.session, rt.account_id, contact)
        interview = uow.session.scalars(
            select(Interview).where(Interview.contact_id == found.id).order_by(Interview.id.desc())
        ).first()
        uow.session.add(
            Note(
                account_id=rt.account_id,
                contact_id=found.id,
                interview_id=interview.id if interview else None,
                text=text,
                for_update=for_update,
                created_at=now,
            )
        )
        uow.record(
            NoteAdded(
                occurred_at=now,
                contact_id=found.id,
                interview_id=interview.id if interview else None,
                text=text,
                for_update=for_update,
            )
        )
        uow.commit()
    console.print(f"noted for #{found.id} {found.name}", highlight=False)
