"""Contacts in the database: adding, merging by email address, finding."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.contacts.importing import ContactRow, RowError
from coffeechat.models.contacts.referral_links import link_by_address
from coffeechat.models.store.events import ContactAdded
from coffeechat.models.store.tables import Account, Contact, ContactEmail
from coffeechat.models.store.uow import UnitOfWork


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
    **details: str | list[str] | int,
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
        .where(
            ContactEmail.account_id == account_id,
            ContactEmail.address == normalise_address(address),
        )
    ).first()


def upsert_contact(
    uow: UnitOfWork, row: ContactRow, *, source: str, now: datetime
) -> tuple[Contact, bool]:
    """Add ``row`` as a contact or merge it into the one sharing an address; True when new."""
    session = uow.session
    existing = _match(session, uow.account_id, row)
    if existing is None:
        contact = _new_contact(uow.account_id, row, source, now)
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
    session.flush()
    # Someone a contact suggested, added now: the referral finds its person by address.
    owners = {e.address: contact.id for e in contact.emails}
    link_by_address(session, uow.account_id, owners, now=now)
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


def _merge_fields(contact: Contact | _NewContact, row: ContactRow, now: datetime) -> None:
    # Fill gaps, never overwrite what the user already has: an import is not an edit. Nothing
    # is assigned unless it changes, so importing the same file again writes nothing.
    changed = False
    for attr in ("company", "role", "linkedin_url", "timezone"):
        if not getattr(contact, attr) and getattr(row, attr):
            setattr(contact, attr, getattr(row, attr))
            changed = True
    tags = list(dict.fromkeys([*contact.tags, *row.tags]))
    if tags != contact.tags:
        contact.tags, changed = tags, True
    if row.notes and row.notes not in contact.notes:
        contact.notes, changed = f"{contact.notes}\n{row.notes}".strip(), True
    if changed:
        contact.updated_at = now


def _add_emails(session: Session, contact: Contact, emails: Iterable[str], account_id: int) -> None:
    known = {e.address for e in contact.emails}
    for address in emails:
        address = normalise_address(address)
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
    """Upsert every row in the caller's one transaction: all or nothing, bad rows reported.

    The account's addresses and profile URLs are read once and new people are written with
    bulk inserts, so the cost is linear in the rows rather than a query, an ORM object and a
    savepoint per row (savepoints could not work anyway: pysqlite turns their RELEASE into a
    commit, which is how a killed import used to leave half the file behind).
    """
    report = ImportReport()
    index = _Index.load(uow.session, uow.account_id)
    added: list[_NewContact] = []
    introductions: list[tuple[Contact | _NewContact, str]] = []
    for row in rows:
        problem = _too_long(row)
        if problem:
            report.errors.append(RowError(row.line, problem))
            continue
        contact = index.match(row)
        if contact is None:
            contact = _NewContact.of(row, now)
            added.append(contact)
        else:
            _merge_fields(contact, row, now)
            report.merged += 1
        index.add(contact, row)
        if row.introduced_by:
            introductions.append((contact, row.introduced_by))
    _insert(uow, added, source, now)
    report.added = len(added)
    for contact, ref in introductions:  # after every row: an introducer may come later in the file
        introducer = find_contact_or_none(uow.session, uow.account_id, ref)
        if introducer is not None and introducer.id != contact.id:
            _set_introducer(uow.session, contact, introducer.id)
    uow.session.flush()
    owners = {a: c.id for a, c in index.by_address.items() if c.id}
    link_by_address(uow.session, uow.account_id, owners, now=now)
    return report


@dataclass
class _NewContact:
    """A contact read from the file and not yet in the database; merged like a Contact."""

    name: str
    company: str
    role: str
    linkedin_url: str
    timezone: str | None
    tags: list[str]
    notes: str
    updated_at: datetime
    emails: list[str] = field(default_factory=list)
    id: int = 0

    @classmethod
    def of(cls, row: ContactRow, now: datetime) -> _NewContact:
        return cls(
            row.name,
            row.company,
            row.role,
            row.linkedin_url,
            row.timezone or None,
            list(row.tags),
            row.notes,
            now,
        )


def _insert(uow: UnitOfWork, added: list[_NewContact], source: str, now: datetime) -> None:
    """Write new contacts, their addresses and their ContactAdded events in three bulk inserts."""
    if not added:
        return
    session, account_id = uow.session, uow.account_id
    session.flush()  # merges into existing contacts go first, like any other pending change
    ids = session.scalars(
        insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
        [
            {
                "account_id": account_id,
                "name": c.name,
                "company": c.company,
                "role": c.role,
                "linkedin_url": c.linkedin_url,
                "source": source,
                "timezone": c.timezone,
                "tags": c.tags,
                "notes": c.notes,
                "do_not_contact": False,
                "created_at": now,
                "updated_at": c.updated_at,
            }
            for c in added
        ],
    ).all()
    for contact, new_id in zip(added, ids, strict=True):
        contact.id = new_id
    addresses = [
        {
            "account_id": account_id,
            "contact_id": c.id,
            "address": a,
            "is_primary": n == 0,
            "status": "ok",
        }
        for c in added
        for n, a in enumerate(c.emails)
    ]
    if addresses:
        session.execute(insert(ContactEmail), addresses)
    uow.record_all(
        [ContactAdded(occurred_at=now, contact_id=c.id, name=c.name, source=source) for c in added]
    )


def _set_introducer(session: Session, contact: Contact | _NewContact, introducer_id: int) -> None:
    if isinstance(contact, Contact):
        contact.introduced_by_id = introducer_id
    else:
        session.execute(
            update(Contact).where(Contact.id == contact.id).values(introduced_by_id=introducer_id)
        )


# Column widths of the contact tables: PostgreSQL refuses a longer value, and one such row
# would otherwise fail the whole import at the end.
_LIMITS = (("name", 200), ("company", 200), ("role", 200), ("linkedin_url", 500), ("timezone", 64))


def _too_long(row: ContactRow) -> str | None:
    for attr, limit in _LIMITS:
        if len(getattr(row, attr)) > limit:
            return f"{attr} is longer than {limit} characters"
    if any(len(e) > 320 for e in row.emails):
        return "an email address is longer than 320 characters"
    return None


def _new_contact(account_id: int, row: ContactRow, source: str, now: datetime) -> Contact:
    return Contact(
        account_id=account_id,
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
        emails=[],
    )


@dataclass
class _Index:
    """Who owns each address and profile URL, kept current as rows are imported."""

    by_address: dict[str, Contact | _NewContact]
    by_linkedin: dict[str, Contact | _NewContact]
    account_id: int

    @classmethod
    def load(cls, session: Session, account_id: int) -> _Index:
        contacts = list(
            session.scalars(
                select(Contact)
                .where(Contact.account_id == account_id)
                .options(selectinload(Contact.emails))
            )
        )
        by_address: dict[str, Contact | _NewContact] = {
            e.address: c for c in contacts for e in c.emails
        }
        by_linkedin: dict[str, Contact | _NewContact] = {}
        for c in contacts:
            if c.linkedin_url:
                by_linkedin.setdefault(c.linkedin_url, c)
        return cls(by_address, by_linkedin, account_id)

    def match(self, row: ContactRow) -> Contact | _NewContact | None:
        for address in row.emails:
            found = self.by_address.get(normalise_address(address))
            if found is not None:
                return found
        return self.by_linkedin.get(row.linkedin_url) if row.linkedin_url else None

    def add(self, contact: Contact | _NewContact, row: ContactRow) -> None:
        for address in row.emails:
            address = normalise_address(address)
            if address in self.by_address:
                continue  # already this contact's, or someone else's: merging people is the user's
            if isinstance(contact, Contact):
                contact.emails.append(
                    ContactEmail(
                        account_id=self.account_id,
                        address=address,
                        is_primary=not contact.emails,
                        status="ok",
                    )
                )
            else:
                contact.emails.append(address)
            self.by_address[address] = contact
        if contact.linkedin_url:
            self.by_linkedin.setdefault(contact.linkedin_url, contact)


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
