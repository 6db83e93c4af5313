"""Which contact a referral is about: the pure linking rules, and linking on add or import.

A referral names someone by address, by name (and company), or both. It is the contact who
owns its address; without an address, the one contact with that name (at that company, when
the referral names one); several such contacts are for the user to choose between, never us.
Kept apart from records.py and referrals.py so both can use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coffeechat.models.store.tables import Contact, Referral

OPEN = ("proposed", "approved")
"""Referral statuses that still wait for their contact (a declined one never links)."""


@dataclass(frozen=True)
class Candidate:
    """A contact as the linking rules see it."""

    id: int
    name: str
    company: str
    addresses: tuple[str, ...] = ()


class AmbiguousLink(LookupError):
    """Several contacts fit a referral made by name; the user picks one."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(", ".join(f"#{c.id} {c.name}" for c in candidates))


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def choose(
    candidates: Sequence[Candidate], *, address: str | None, name: str, company: str
) -> Candidate | None:
    """The contact a referral is about, None when nobody fits; AmbiguousLink when several do.

    By address first (an address is one person); else by name, narrowed by company when the
    referral names one. A name alone that fits several people is ambiguous, and so is a name
    with a company when the company leaves several (or when nobody's company is known).
    """
    if address:
        wanted = address.strip().lower()
        owner = [c for c in candidates if wanted in (a.lower() for a in c.addresses)]
        if owner:
            return owner[0]
    if not name.strip():
        return None
    named = [c for c in candidates if _same(c.name, name)]
    if company.strip():
        at = [c for c in named if _same(c.company, company)]
        # A namesake whose company is unknown may still be them: only a company that
        # differs rules someone out.
        named = at or [c for c in named if not c.company.strip()]
    if len(named) > 1:
        raise AmbiguousLink(named)
    return named[0] if named else None


def link_by_address(
    session: Session, account_id: int, owners: Mapping[str, int], *, now: datetime
) -> list[int]:
    """Link every open referral whose address is in ``owners`` (address -> contact id).

    The contact gets the introducer as ``introduced_by`` unless it already has one (what the
    user wrote wins), and a proposed referral becomes accepted: the person is a contact now.
    Returns the ids of the referrals linked.
    """
    if not owners:
        return []
    linked = []
    wanted = {a.lower(): c for a, c in owners.items()}
    for ref in session.scalars(
        select(Referral)
        .where(
            Referral.account_id == account_id,
            Referral.to_contact_id.is_(None),
            Referral.address.is_not(None),
            Referral.status.in_(OPEN),
        )
        .order_by(Referral.id)
    ):
        contact_id = wanted.get((ref.address or "").lower())
        if contact_id is None or contact_id == ref.from_contact_id:
            continue
        ref.to_contact_id = contact_id
        if ref.status == "proposed":
            ref.status, ref.decided_at = "approved", now
        session.execute(
            update(Contact)
            .where(Contact.id == contact_id, Contact.introduced_by_id.is_(None))
            .values(introduced_by_id=ref.from_contact_id)
        )
        linked.append(ref.id)
    return linked
