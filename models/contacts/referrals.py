"""Referrals: people a contact suggested talking to, listed, accepted or declined by the user.

A referral comes from a reply (an address in what the contact wrote), a debrief, or by hand
(``coffeechat refer``). Nothing is ever sent because of one until the user accepts it; accepting
creates the contact or links the one it is about (referral_links.choose), with the introducer as
``introduced_by``, so the outreach says who suggested getting in touch. Stored statuses are
``proposed``, ``approved`` and ``dismissed``; people read them as proposed, accepted, declined.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import find_contact, upsert_contact
from coffeechat.models.contacts.referral_links import AmbiguousLink, Candidate, choose
from coffeechat.models.store.events import ReferralSuggested
from coffeechat.models.store.tables import (
    Contact,
    ContactEmail,
    Referral,
)
from coffeechat.models.store.uow import UnitOfWork
from coffeechat.models.text import clean_line

STATUS_WORDS = {"proposed": "proposed", "approved": "accepted", "dismissed": "declined"}
"""What each stored status is called wherever a person reads it."""


class ReferralRefused(ValueError):
    """A referral command that cannot be done; the message says why and the next command."""


def status_word(ref: Referral) -> str:
    """The referral's status as people read it."""
    return STATUS_WORDS.get(ref.status, ref.status)


def get_referral(session: Session, account_id: int, referral_id: int) -> Referral:
    """The account's referral ``referral_id``, or ReferralRefused naming the list command."""
    ref = session.get(Referral, referral_id)
    if ref is None or ref.account_id != account_id:
        raise ReferralRefused(f"no referral #{referral_id}: `coffeechat referrals` lists them")
    return ref


def refer(
    uow: UnitOfWork,
    introducer_ref: str,
    name: str,
    *,
    now: datetime,
    email: str = "",
    company: str = "",
    note: str = "",
    origin: str = "manual",
) -> Referral:
    """Record that the contact ``introducer_ref`` (#id, address or name) suggested ``name``."""
    introducer = find_contact(uow.session, uow.account_id, introducer_ref)
    return propose(
        uow, introducer.id, name, now=now, email=email, company=company, note=note, origin=origin
    )


def propose(
    uow: UnitOfWork,
    introducer_id: int,
    name: str,
    *,
    now: datetime,
    email: str = "",
    company: str = "",
    note: str = "",
    origin: str = "manual",
    source_message_id: str | None = None,
) -> Referral:
    """A proposed referral from contact ``introducer_id`` (the existing one when already made)."""
    return suggest(uow, introducer_id, name, now=now, email=email, company=company, note=note,
                   origin=origin, source_message_id=source_message_id)[0]  # fmt: skip


def suggest(
    uow: UnitOfWork,
    introducer_id: int,
    name: str,
    *,
    now: datetime,
    email: str = "",
    company: str = "",
    note: str = "",
    origin: str = "manual",
    source_message_id: str | None = None,
) -> tuple[Referral, bool]:
    """The referral for this suggestion and True when it is new (False: already on record).

    The one way to record a referral by name and/or address, whatever its origin (by hand, a
    debrief): the same person suggested twice by the same contact is one referral. Someone
    first named without an address and later with one is still one: the address completes
    the name-only referral (and the contact it was accepted as, if any).
    """
    s = uow.session
    address = normalise_address(email) if email.strip() else None
    name = clean_line(name, limit=200)
    if not name and not address:
        raise ReferralRefused("a referral needs a name or an address")
    mine = (Referral.account_id == uow.account_id, Referral.from_contact_id == introducer_id)
    if address:
        existing = s.scalars(select(Referral).where(*mine, Referral.address == address)).first()
        if existing is None and name:
            existing = _name_only(s, mine, name)
            if existing is not None:
                complete_address(s, existing, address)
        if existing is not None:
            return existing, False
    else:
        existing = _name_only(s, mine, name)
        if existing is not None:
            return existing, False
    ref = Referral(
        account_id=uow.account_id,
        from_contact_id=introducer_id,
        address=address,
        name=name,
        company=clean_line(company, limit=200),
        note=note.strip(),
        origin=origin,
        status="proposed",
        source_message_id=source_message_id,
        created_at=now,
    )
    s.add(ref)
    s.flush()
    uow.record(
        ReferralSuggested(
            occurred_at=now, contact_id=introducer_id, address=address or "", name=name
        )
    )
    return ref, True


def _name_only(s: Session, mine: tuple[ColumnElement[bool], ...], name: str) -> Referral | None:
    # Both sides lowered by the database, as its unique key on name-only referrals is.
    return s.scalars(
        select(Referral)
        .where(*mine, Referral.address.is_(None), func.lower(Referral.name) == func.lower(name))
        .order_by(Referral.id)
    ).first()


def complete_address(s: Session, ref: Referral, address: str) -> None:
    """Give a name-only referral the address learned since (and the contact it became)."""
    ref.address = address
    if ref.to_contact_id is not None:
        target = s.get(Contact, ref.to_contact_id)
        if target is not None:
            _add_address(s, target, address)


def accept(
    uow: UnitOfWork,
    referral_id: int,
    *,
    now: datetime,
    email: str = "",
    contact_ref: str = "",
    name: str = "",
) -> tuple[Referral, Contact, bool]:
    """Accept a referral: link or create its contact; True when the contact is new.

    Accepting again is allowed (to add the address learned since). ``contact_ref`` picks the
    contact when the name fits several; without it, that case raises ReferralRefused listing
    them and the command that picks one.
    """
    s = uow.session
    ref = get_referral(s, uow.account_id, referral_id)
    if email.strip():
        _set_address(s, ref, normalise_address(email))
    if name.strip():
        ref.name = clean_line(name, limit=200)
    target = _target(uow, ref, contact_ref)
    created = target is None
    if target is None:
        row = ContactRow(
            line=0,
            name=ref.name or name_from_address(ref.address or ""),
            emails=(ref.address,) if ref.address else (),
            company=ref.company,
        )
        target, _ = upsert_contact(uow, row, source="referral", now=now)
    elif ref.address:
        _add_address(s, target, ref.address)
    if target.id == ref.from_contact_id:
        raise ReferralRefused(f"referral #{ref.id} points back at the person who made it")
    if target.introduced_by_id is None:
        target.introduced_by_id = ref.from_contact_id
    target.updated_at = now
    ref.to_contact_id, ref.status, ref.decided_at = target.id, "approved", now
    s.flush()
    return ref, target, created


def name_from_address(address: str) -> str:
    """A readable stand-in name from an address: ``charles.babbage@x`` is Charles Babbage."""
    local = address.partition("@")[0].partition("+")[0]
    parts = [p for p in re.split(r"[._\-]+", local) if p]
    return " ".join(p[:1].upper() + p[1:] for p in parts) or address


def _add_address(s: Session, target: Contact, address: str) -> None:
    if address in {e.address for e in target.emails}:
        return
    owner = s.scalar(
        select(ContactEmail.id).where(
            ContactEmail.account_id == target.account_id, ContactEmail.address == address
        )
    )
    if owner is None:  # someone else's address stays theirs: merging people is the user's call
        target.emails.append(
            ContactEmail(
                account_id=target.account_id,
                address=address,
                is_primary=not target.emails,
                status="ok",
            )
        )


def _set_address(s: Session, ref: Referral, address: str) -> None:
    if ref.address == address:
        return
    clash = s.scalar(
        select(Referral.id).where(
            Referral.account_id == ref.account_id,
            Referral.from_contact_id == ref.from_contact_id,
            Referral.address == address,
            Referral.id != ref.id,
        )
    )
    if clash is not None:
        raise ReferralRefused(
            f"referral #{clash} already has {address}: `coffeechat referrals accept {clash}`"
        )
    if ref.address and ref.to_contact_id is not None:
        raise ReferralRefused(
            f"referral #{ref.id} is already {ref.address}; add another address with "
            f"`coffeechat contacts edit #{ref.to_contact_id} --add-email {address}`"
        )
    ref.address = address


def _target(uow: UnitOfWork, ref: Referral, contact_ref: str) -> Contact | None:
    s = uow.session
    if contact_ref:
        return find_contact(s, uow.account_id, contact_ref)
    if ref.to_contact_id is not None:
        linked = s.get(Contact, ref.to_contact_id)
        if linked is not None:
            return linked
    candidates = _candidates(s, uow.account_id, ref)
    try:
        chosen = choose(candidates, address=ref.address, name=ref.name, company=ref.company)
    except AmbiguousLink as err:
        names = "; ".join(
            f"#{c.id} {c.name}" + (f" ({c.company})" if c.company else "") for c in err.candidates
        )
        raise ReferralRefused(
            f"{ref.name!r} could be several contacts: {names}. Pick one with "
            f"`coffeechat referrals accept {ref.id} --contact #{err.candidates[0].id}`, or give "
            f"the address: `coffeechat referrals accept {ref.id} --email ADDRESS`"
        ) from None
    return s.get(Contact, chosen.id) if chosen is not None else None


def _candidates(s: Session, account_id: int, ref: Referral) -> list[Candidate]:
    # Only who could match: the address's owner and the namesakes, never the whole book.
    who: list[ColumnElement[bool]] = []
    if ref.address:
        who.append(
            Contact.id.in_(
                select(ContactEmail.contact_id).where(
                    ContactEmail.account_id == account_id, ContactEmail.address == ref.address
                )
            )
        )
    if ref.name.strip():
        who.append(func.lower(Contact.name) == " ".join(ref.name.split()).lower())
    if not who:
        return []
    rows = s.scalars(
        select(Contact)
        .where(Contact.account_id == account_id, or_(*who))
        .options(selectinload(Contact.emails))
        .order_by(Contact.id)
    )
    return [
        Candidate(c.id, c.name, c.company, tuple(e.address for e in c.emails))
        for c in rows
        if c.id != ref.from_contact_id
    ]


def decline(uow: UnitOfWork, referral_id: int, *, now: datetime) -> Referral:
    """Decline a referral: it stays on record, nothing is ever sent because of it."""
    ref = get_referral(uow.session, uow.account_id, referral_id)
    ref.status, ref.decided_at = "dismissed", now
    return ref
