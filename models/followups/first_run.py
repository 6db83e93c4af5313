"""The first run over an account that already has history: when it was connected, what is old.

"Connected" is the moment coffeechat first planned follow-ups for the account, which the
cycle allows only once the mailbox has been read (Sent and INBOX over the backfill window). It
is stored once, on the account (``Account.connected_at``), and never moves.
A meeting that ended before ``connected - first_run_horizon_hours`` happened before
coffeechat knew the account: it is never thanked automatically, only listed (``status``) so the
user can ask for a thank-you with ``coffeechat thank CONTACT``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.models.contacts.records import find_contact_or_none
from coffeechat.models.followups.cadence import horizon_start
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.states import Kind
from coffeechat.models.store.tables import Account, Contact, Interview, Meeting, Outbox
from coffeechat.models.store.uow import UnitOfWork

# `coffeechat status` prints at most this many old meetings; the rest are counted.
NOT_THANKED_SHOWN = 20


def connected_at(session: Session, account_id: int) -> datetime | None:
    """When follow-ups were first planned for the account, or None before that."""
    return session.scalar(select(Account.connected_at).where(Account.id == account_id))


def mark_connected(uow: UnitOfWork, now: datetime) -> datetime:
    """Store ``now`` as the connection time unless one is stored; return the stored one."""
    account = uow.session.get(Account, uow.account_id)
    assert account is not None
    if account.connected_at is None:
        account.connected_at = now
    return account.connected_at


def not_thanked(
    session: Session, account_id: int, horizon_hours: float, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Met before the horizon, no thank-you from us or from the user: the user's call."""
    start = horizon_start(connected_at(session, account_id), horizon_hours)
    if start is None:
        return []
    latest: dict[int, tuple[Meeting, Contact]] = {}
    for meeting, contact in session.execute(
        select(Meeting, Contact)
        .join(Interview, Interview.id == Meeting.interview_id)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(
            Meeting.account_id == account_id,
            Meeting.status != "CANCELLED",
            Interview.state == State.HELD.value,
        )
        .order_by(Meeting.end_utc, Meeting.id)
    ):
        latest[meeting.interview_id or 0] = (meeting, contact)
    out = []
    for meeting, contact in latest.values():
        if meeting.end_utc > start or _thank_you_queued(session, meeting.id):
            continue  # inside the horizon: the planner handles it
        out.append(
            {
                "contact": contact.name,
                "contact_id": contact.id,
                "meeting_id": meeting.id,
                "ended": meeting.end_utc.isoformat(),
                "met_on": meeting.end_utc.astimezone(zone).strftime("%d %b %Y"),
                "command": f"coffeechat thank {_reference(session, account_id, contact)}",
            }
        )
    return out


def _reference(session: Session, account_id: int, contact: Contact) -> str:
    """The contact's first name when it finds them alone, else their id (shell-safe either way)."""
    first = contact.name.split()[0] if contact.name.split() else ""
    if first.isalnum() and find_contact_or_none(session, account_id, first) is contact:
        return first
    return str(contact.id)


def _thank_you_queued(session: Session, meeting_id: int) -> bool:
    return (
        session.scalar(
            select(Outbox.id).where(
                Outbox.kind == Kind.THANK_YOU, Outbox.occurrence == f"meeting:{meeting_id}:thanks"
            )
        )
        is not None
    )
