"""Referrals as people read them: each one's status in words, what came of it, the next command,
and the chain of introductions around one contact (``contacts show``, ``referrals``, export).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.models.contacts.referrals import status_word
from coffeechat.models.outbox.states import Kind, Status
from coffeechat.models.store.tables import Contact, Interview, Meeting, Outbox, Referral


def outcome(session: Session, contact_id: int | None, now: datetime | None) -> dict[str, bool]:
    """What came of a referral's contact: written to (an outreach went), and met.

    Met: a meeting that was not cancelled and has ended (by ``now``; without a clock, one the
    calendar sync has already handled as ended).
    """
    if contact_id is None:
        return {"contacted": False, "met": False}
    contacted = session.scalar(
        select(Outbox.id)
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(
            Interview.contact_id == contact_id,
            Outbox.kind == Kind.OUTREACH,
            Outbox.status == Status.SENT,
        )
        .limit(1)
    )
    ended = Meeting.ended_handled.is_(True) if now is None else Meeting.end_utc <= now
    met = session.scalar(
        select(Meeting.id)
        .where(Meeting.contact_id == contact_id, Meeting.status != "CANCELLED", ended)
        .limit(1)
    )
    return {"contacted": contacted is not None, "met": met is not None}


def next_command(ref: Referral) -> str:
    """The command that moves this referral on."""
    if ref.status == "proposed":
        if ref.address:
            return f"coffeechat referrals accept {ref.id}"
        # Named without an address: accept by name, or ask the introducer to introduce you.
        return (
            f"coffeechat referrals accept {ref.id} [--email ADDRESS], or "
            f"coffeechat referrals ask {ref.id} (ask for an introduction)"
        )
    if ref.status == "dismissed":
        return f"coffeechat referrals accept {ref.id} (if you change your mind)"
    if not ref.address:
        return (
            f"coffeechat referrals ask {ref.id} (ask for an introduction), or "
            f"coffeechat referrals accept {ref.id} --email ADDRESS"
        )
    return f"coffeechat outreach #{ref.to_contact_id}"


def describe(session: Session, ref: Referral, now: datetime | None) -> dict[str, Any]:
    """One referral, JSON-friendly: who suggested whom, where it stands, what came of it."""
    by = session.get(Contact, ref.from_contact_id)
    to = session.get(Contact, ref.to_contact_id) if ref.to_contact_id else None
    came = outcome(session, ref.to_contact_id, now)
    return {
        "id": ref.id,
        "introducer": {"id": ref.from_contact_id, "name": by.name if by else ""},
        "name": ref.name or (to.name if to else ""),
        "address": ref.address,
        "company": ref.company,
        "note": ref.note,
        "origin": ref.origin,
        "status": status_word(ref),
        "contact": {"id": to.id, "name": to.name} if to else None,
        **came,
        "created_at": ref.created_at.isoformat(),
        "decided_at": ref.decided_at.isoformat() if ref.decided_at else None,
        # Once written to, the conversation itself is where it goes on.
        "next": f"coffeechat contacts show #{ref.to_contact_id}"
        if came["contacted"]
        else next_command(ref),
    }


def list_referrals(
    session: Session, account_id: int, now: datetime, *, everything: bool = True
) -> list[dict[str, Any]]:
    """Every referral of the account (or only the proposed ones), oldest first."""
    q = select(Referral).where(Referral.account_id == account_id).order_by(Referral.id)
    if not everything:
        q = q.where(Referral.status == "proposed")
    return [describe(session, r, now) for r in session.scalars(q)]


def chain(session: Session, contact: Contact, now: datetime) -> dict[str, Any]:
    """Who introduced ``contact`` (and through which referral), and whom they introduced."""
    made = session.scalars(
        select(Referral).where(Referral.from_contact_id == contact.id).order_by(Referral.id)
    )
    came = session.scalars(
        select(Referral).where(Referral.to_contact_id == contact.id).order_by(Referral.id)
    ).first()
    by = session.get(Contact, contact.introduced_by_id) if contact.introduced_by_id else None
    introduced_by = None
    if by is not None:
        introduced_by = {"id": by.id, "name": by.name, "referral_id": came.id if came else None}
    return {
        "introduced_by": introduced_by,
        "introduced": [describe(session, r, now) for r in made],
    }
