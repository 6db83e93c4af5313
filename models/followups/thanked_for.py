"""Whom a thank-you thanks for an introduction: each person once, and only what is true.

Candidates are the people the meeting's debrief names and the referrals this contact made since
the previous meeting with them (or the previous thank-you to them, when later): an older one had
its thank-you already. Left out: anyone the user declined (a dismissed referral, by address or
name, also when the debrief names them again), and anyone the contact was already told about,
in an earlier thank-you or update that went or will go (the person's name or address in its
text, or an update that said the user got to speak with them). "Passed on how to reach them" is
said only when the contact gave the address: in their reply (a referral found in it) or on the
debrief's line naming the person, never an address the user found (``referrals accept
--email``, ``refer``), which is left out here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.followups.thank_you import Suggested, public_people
from coffeechat.models.outbox.states import OUT_OR_GOING, Kind
from coffeechat.models.store.tables import Contact, Debrief, Interview, Meeting, Outbox, Referral
from coffeechat.models.text import clean_line

# The newest emails to the contact searched for a name already told (a thank-you is once a
# meeting, an update rarer still: this reaches back years).
_TOLD_ROWS = 50


def people_to_thank(
    session: Session,
    *,
    account_id: int,
    meeting: Meeting,
    fields: Mapping[str, Any] | None,
    as_of: datetime,
    now: datetime,
    occurrence: str,
) -> tuple[dict[str, Any] | None, list[Suggested]]:
    """The debrief fields with only the people to thank for, and the referrals to thank for.

    ``as_of``: referrals recorded after it are not this thank-you's (the row's writing, for a
    row written again); declined by ``now`` counts. ``occurrence``: this thank-you's own key
    (its row, once written, is not an earlier one).
    """
    contact_id = meeting.contact_id
    if contact_id is None:
        return (None if fields is None else {**fields, "people": []}), []
    refs = list(
        session.scalars(
            select(Referral)
            .where(
                Referral.account_id == account_id,
                Referral.from_contact_id == contact_id,
                Referral.created_at <= now,
            )
            .order_by(Referral.created_at, Referral.id)
        )
    )
    declined = {k for r in refs if r.status == "dismissed" for k in _key(r.name, r.address)}
    told = _told(session, account_id, contact_id, occurrence, refs)
    since = _since(session, account_id, meeting, occurrence)
    given = _addresses_given(session, account_id, contact_id)

    def wanted(person: Suggested) -> bool:
        keys = _key(person.name, person.address)
        return not keys & declined and not keys & told

    spoken = [p for p in public_people(fields) if wanted(p)]
    recent = [
        Suggested(r.name or "", r.address if _contact_gave(r, given) else None)
        for r in refs
        if r.status != "dismissed"
        and r.created_at <= as_of
        and (since is None or r.created_at > since)
    ]
    kept = None if fields is None else {**fields, "people": [_plain(p) for p in spoken]}
    return kept, [p for p in recent if wanted(p)]


def _key(name: str | None, address: str | None) -> frozenset[str]:
    """What names one person: the casefolded name and the address, whichever are known."""
    keys = set()
    if name and clean_line(name):
        keys.add("name:" + clean_line(name).casefold())
    if address and address.strip():
        keys.add("address:" + normalise_address(address))
    return frozenset(keys)


def _plain(person: Suggested) -> dict[str, Any]:
    return {"name": person.name, "address": person.address}


def _since(session: Session, account_id: int, meeting: Meeting, occurrence: str) -> datetime | None:
    """The previous meeting's end, or the previous thank-you's writing when that is later."""
    previous = session.scalar(
        select(func.max(Meeting.end_utc)).where(
            Meeting.account_id == account_id,
            Meeting.contact_id == meeting.contact_id,
            Meeting.status != "CANCELLED",
            Meeting.id != meeting.id,
            Meeting.end_utc <= meeting.start_utc,
        )
    )
    thanked = session.scalar(
        select(func.max(Outbox.created_at))
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(
            *_earlier_mail(account_id, meeting.contact_id, occurrence),
            Outbox.kind == Kind.THANK_YOU,
        )
    )
    return max((t for t in (previous, thanked) if t is not None), default=None)


def _earlier_mail(account_id: int, contact_id: int | None, occurrence: str) -> tuple[Any, ...]:
    """Thank-yous and updates to the contact that went or will go, other than this one."""
    return (
        Outbox.account_id == account_id,
        Interview.contact_id == contact_id,
        Outbox.kind.in_((Kind.THANK_YOU, Kind.UPDATE)),
        Outbox.status.in_(OUT_OR_GOING),
        Outbox.occurrence != occurrence,
    )


def _told(
    session: Session, account_id: int, contact_id: int, occurrence: str, refs: Iterable[Referral]
) -> frozenset[str]:
    """The keys of the people the contact already heard about from us."""
    # Whitespace folded: a name wrapped across two lines is still the name.
    bodies = [
        " ".join(b.split()).casefold()
        for b in session.scalars(
            select(Outbox.body_text)
            .join(Interview, Interview.id == Outbox.interview_id)
            .where(*_earlier_mail(account_id, contact_id, occurrence))
            .order_by(Outbox.id.desc())
            .limit(_TOLD_ROWS)
        )
    ]
    told: set[str] = set()
    for ref in refs:
        if ref.to_contact_id is not None and _met_reported(session, ref.to_contact_id):
            told |= _key(ref.name, ref.address)
    people = [
        *(Suggested(r.name, r.address) for r in refs),
        *_debrief_people(session, account_id, contact_id),
    ]
    for key in {k for p in people for k in _key(p.name, p.address)}:
        word = re.compile(rf"(?<![\w@.]){re.escape(key.partition(':')[2])}(?![\w@])")
        if any(word.search(body) for body in bodies):
            told.add(key)
    return frozenset(told)


def _met_reported(session: Session, contact_id: int) -> bool:
    contact = session.get(Contact, contact_id)
    return contact is not None and contact.introduction_reported_at is not None


def _debrief_people(session: Session, account_id: int, contact_id: int) -> list[Suggested]:
    """The people named in the debriefs of every meeting with the contact."""
    fields = session.scalars(
        select(Debrief.fields).where(
            Debrief.account_id == account_id, Debrief.contact_id == contact_id
        )
    )
    return [p for f in fields for p in public_people(f)]


def _addresses_given(session: Session, account_id: int, contact_id: int) -> set[str]:
    """Addresses the user wrote on a debrief line naming a person this contact suggested."""
    people = _debrief_people(session, account_id, contact_id)
    return {normalise_address(p.address) for p in people if p.address}


def _contact_gave(ref: Referral, given: set[str]) -> bool:
    """Whether the contact gave the referral's address (their reply, or the debrief line)."""
    if not ref.address:
        return False
    return ref.origin == "reply" or normalise_address(ref.address) in given
