"""Contacts in the database: adding, merging by email address, finding."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.contact_import import ContactRow, RowError
from models.events import ContactAdded
from models.tables import Account, Contact, ContactEmail
from models.uow import UnitOfWork


class ContactNotFound(LookupError):
    """No contact matches what the user typed."""


class AmbiguousContact(LookupError):
    """Several contacts match what the user typed."""


@dataclass
class ImportReport:
    """What an import did, row by row."""

    added: int = 0
    merged: int = 0
    errors: list[RowError] = field(default_factory=list)


def ensure_account(
    session: Session,
    *,
    slug: str,
    name: str,
    email: str,
    timezone: str,
    now: datetime,
    **details: str | list[str],
) -> Account:
    """The account with ``slug``, created or updated from the configuration."""
    account = session.scalars(select(Account).where(Account.slug == slug)).first()
    if account is None:
        account = Account(
            slug=slug,
            name=name,
            email=email.lower(),
            timezone=timezone,
            created_at=now,
            other_addresses=[],
        )
        session.add(account)
    account.name, account.email, account.timezone = name, email.lower(), timezone
    for key, value in details.items():
        setattr(account, key, value)
    session.flush()
    return account


def contact_by_email(session: Session, account_id: int, address: str) -> Contact | None:
    """The contact owning ``address`` (case-insensitive), if any."""
    return session.scalars(
        select(Contact)
        .join(ContactEmail)
        .where(ContactEmail.account_id == account_id, ContactEmail.address == address.lower())
    ).first()


def upsert_contact(
    uow: UnitOfWork, row: ContactRow, *, source: str, now: datetime
) -> tuple[Contact, bool]:
    """Add ``row`` as a contact or merge it into the one sharing an address; True when new."""
    session = uow.session
    existing = _match(session, uow.account_id, row)
    if existing is None:
        contact = Contact(
            account_id=uow.account_id,
            name=row.name,
            company=row.company,
            role=row.role,
            linkedin_url=row.linkedin_url,
            source=source,
            timezone=row.timezone or None,
            tags=list(row.tags),
            notes=row.notes,
            do_not_contact=False,
            created_at=now,
            updated_at=now,
        )
        session.add(contact)
        session.flush()
        uow.record(
            ContactAdded(occurred_at=now, contact_id=contact.id, name=row.name, source=source)
        )
        created = True
    else:
        contact, created = existing, False
        _merge_fields(contact, row, now)
    _add_emails(session, contact, row.emails, uow.account_id)
    if row.introduced_by:
        introducer = find_contact_or_none(session, uow.account_id, row.introduced_by)
        if introducer is not None and introducer.id != contact.id:
            contact.introduced_by_id = introducer.id
    return contact, created


def _match(session: Session, account_id: int, row: ContactRow) -> Contact | None:
    for address in row.emails:
        found = contact_by_email(session, account_id, address)
        if found is not None:
            return found
    if row.linkedin_url:
        return session.scalars(
            select(Contact).where(
                Contact.account_id == account_id, Contact.linkedin_url == row.linkedin_url
            )
        ).first()
    return None


def _merge_fields(contact: Contact, row: ContactRow, now: datetime) -> None:
    # Fill gaps, never overwrite what the user already has: an import is not an edit.
    for attr in ("company", "role", "linkedin_url"):
        if not getattr(contact, attr) and getattr(row, attr):
            setattr(contact, attr, getattr(row, attr))
    if not contact.timezone and row.timezone:
        contact.timezone = row.timezone
    contact.tags = list(dict.fromkeys([*contact.tags, *row.tags]))
    if row.notes and row.notes not in contact.notes:
        contact.notes = f"{contact.notes}\n{row.notes}".strip()
    contact.updated_at = now


def _add_emails(session: Session, contact: Contact, emails: Iterable[str], account_id: int) -> None:
    known = {e.address for e in contact.emails}
    for address in emails:
        address = address.lower()
        if address in known:
            continue
        owner = contact_by_email(session, account_id, address)
        if owner is not None:
            continue  # already someone else's: merging people is the user's call
        contact.emails.append(
            ContactEmail(
                account_id=account_id, address=address, is_primary=not contact.emails, status="ok"
            )
        )
        known.add(address)
    session.flush()


def import_rows(
    uow: UnitOfWork, rows: Iterable[ContactRow], *, source: str, now: datetime
) -> ImportReport:
    """Upsert every row; each row in a savepoint so one failure keeps the others."""
    report = ImportReport()
    for row in rows:
        try:
            with uow.session.begin_nested():
                _contact, created = upsert_contact(uow, row, source=source, now=now)
        except ValueError as err:
            report.errors.append(RowError(row.line, str(err)))
            continue
        if created:
            report.added += 1
        else:
            report.merged += 1
    return report


def find_contact_or_none(session: Session, account_id: int, ref: str) -> Contact | None:
    """Like find_contact, but None when nothing (or more than one) matches."""
    try:
        return find_contact(session, account_id, ref)
    except LookupError:
        return None


def find_contact(session: Session, account_id: int, ref: str) -> Contact:
    """Find a contact by id (``#12`` or ``12``), email address, or a unique part of the name."""
    ref = ref.strip()
    base = (
        select(Contact)
        .where(Contact.account_id == account_id)
        .options(selectinload(Contact.emails))
    )
    if ref.lstrip("#").isdigit():
        found = session.scalars(base.where(Contact.id == int(ref.lstrip("#")))).first()
        if found:
            return found
    if "@" in ref:
        found = contact_by_email(session, account_id, ref)
        if found:
            return found
        raise ContactNotFound(f"no contact has the address {ref!r}")
    exact = list(session.scalars(base.where(func.lower(Contact.name) == ref.lower())))
    if len(exact) == 1:
        return exact[0]
    pattern = f"%{ref.lower().replace('%', '').replace('_', '')}%"
    partial = exact or list(session.scalars(base.where(func.lower(Contact.name).like(pattern))))
    if not partial:
        raise ContactNotFound(f"no contact matches {ref!r}")
    if len(partial) > 1:
        names = ", ".join(f"#{c.id} {c.name}" for c in partial[:5])
        raise AmbiguousContact(f"{ref!r} matches several contacts ({names}): use the #id or email")
    return partial[0]
