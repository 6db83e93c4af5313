"""What waits for the user: one list, the same in ``status``, the digest and the assistant's read.

Each item says what, and the command that settles it. ``status`` shows the whole list; the
digest asks only for what is new since the last digest (``since``) and goes out when one item is
*pressing*; the MCP server shapes the same items as JSON. Pure reads (``now`` is a parameter);
bounded: at most SHOWN items of each kind, the rest counted in one more line.

Order: sending paused, mail to approve or settle, promises (soonest due first, undated last),
referrals, no contacts, undeliverable contacts, unreadable and suspicious mail, old meetings
never thanked, failing sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from coffeechat.models.followups.first_run import not_thanked
from coffeechat.models.interviews.authority import MessageSuspected
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.states import NEEDS_USER, Mode, Status
from coffeechat.models.reports.people import next_step
from coffeechat.models.store.tables import (
    Account,
    Contact,
    ContactEmail,
    EventLog,
    Interview,
    Message,
    Outbox,
    Promise,
    Referral,
    SyncCursor,
)
from coffeechat.models.text import clean_line

SHOWN = 10
REASON_CHARS = 200
_KIND = {
    "outreach": "request",
    "thank_you": "thank-you",
    "prep_sheet": "prep sheet",
    "intro_request": "introduction request",
}


@dataclass(frozen=True)
class Need:
    """One thing waiting for the user: what, the command that settles it, what it is about."""

    kind: str
    text: str
    command: str | None
    id: int | None = None  # the outbox row, referral or promise it is about
    due: date | None = None  # a promise's due date
    contact_id: int | None = None  # a promise's contact
    pressing: bool = True  # reason enough, on its own, to send a digest

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``status --json``): promises add ``due`` and ``contact_id``."""
        out: dict[str, Any] = {
            "kind": self.kind, "text": self.text, "command": self.command, "id": self.id,
        }  # fmt: skip
        if self.kind == "promise" and self.id is not None:
            out["due"] = self.due.isoformat() if self.due else None
            out["contact_id"] = self.contact_id
        return out

    def line(self) -> str:
        """The item in one line: ``text: `command```."""
        return f"{self.text}: `{self.command}`" if self.command else self.text


def needs_you(
    session: Session,
    account_id: int,
    now: datetime,
    *,
    horizon_hours: float = 24,
    since: datetime | None = None,
) -> list[Need]:
    """Everything that waits for the user at ``now``, in the order of this module's docstring.

    With ``since`` (the digest), what the user cannot settle with a command is told only when it
    is new: unreadable and suspicious mail counted since then, no old meetings, no empty-account
    hint. What waits on a command (mail, promises, referrals, paused sending...) is always there.
    """
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account with id {account_id}")
    zone = ZoneInfo(account.timezone)
    items: list[Need] = []
    if account.sending_paused:
        reason = clean_line(account.sending_paused)[:REASON_CHARS]
        text = f"sending paused: {reason}"
        items.append(Need("sending_paused", text, "coffeechat resume-sending"))
    items += _outbox(session, account_id)
    items += _promises(session, account_id, now.astimezone(zone).date())
    items += _referrals(session, account_id)
    if since is None and not _has_contacts(session, account_id):
        items.append(
            Need(
                "no_contacts",
                "no contacts yet: add one, or import a LinkedIn "
                "export, vCard or CSV (`coffeechat contacts import FILE`)",
                'coffeechat contacts add "NAME" --email ADDRESS',
            )
        )
    items += _undeliverable(session, account_id, now, zone)
    items += _mail_set_aside(session, account_id, since)
    if since is None:
        items += _not_thanked(session, account_id, horizon_hours, zone)
    items += _failing(session, account_id)
    return items


def due_words(due: date | None, today: date) -> str:
    """A promise's due date in words: ``due tomorrow``, ``due Friday``, ``overdue since 3 Dec``."""
    if due is None:
        return "no due date"
    days = (due - today).days
    if days < 0:
        return f"overdue since {_day(due, today)}"
    if days < 2:
        return "due today" if days == 0 else "due tomorrow"
    if days < 7:
        return f"due {due:%A}"
    return f"due {_day(due, today)}"


def _day(when: date, today: date) -> str:
    return f"{when.day} {when:%b}" + ("" if when.year == today.year else f" {when.year}")


def _more(kind: str, total: int, shown: int, command: str | None, what: str = "") -> list[Need]:
    """The line that counts what a bounded kind left out (none when nothing was)."""
    if total <= shown:
        return []
    return [Need(kind, f"... and {total - shown} more{what}", command)]


def _outbox(session: Session, account_id: int) -> list[Need]:
    where: tuple[ColumnElement[bool], ...] = (
        Outbox.account_id == account_id,
        or_(
            Outbox.status.in_(NEEDS_USER),
            # Review mode with no Drafts copy yet: `approve` takes it all the same.
            and_(Outbox.status == Status.PENDING, Outbox.mode == Mode.REVIEW),
        ),
    )
    query = (
        select(Outbox, Contact.name)
        .join(Interview, Interview.id == Outbox.interview_id)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(*where)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = []
    for row, name in session.execute(query.order_by(Outbox.id).limit(SHOWN)):
        what = f"{_KIND.get(row.kind, row.kind)} to {clean_line(name)} <{row.to_addr}>"
        if row.status in (Status.DRAFT, Status.PENDING):
            where_ = "waits in Drafts" if row.status == Status.DRAFT else "waits for your approval"
            items.append(Need("draft", f"{what} {where_}", f"coffeechat approve {row.id}", row.id))
            continue
        if row.status == Status.FAILED:
            reason = clean_line(row.last_error or "")[:REASON_CHARS]
            state = f"failed: {reason}" if reason else "failed"
        else:
            state = "was interrupted; did it arrive?"
        command = f"coffeechat review {row.id} sent|resend|drop"
        items.append(Need("review", f"{what} {state}", command, row.id))
    return items + _more("draft", int(total or 0), len(items), "coffeechat queue")


def _promises(session: Session, account_id: int, today: date) -> list[Need]:
    where = (Promise.account_id == account_id, Promise.status == "open")
    total = session.scalar(select(func.count()).select_from(Promise).where(*where))
    rows = session.execute(
        select(Promise, Contact.name)
        .outerjoin(Contact, Contact.id == Promise.contact_id)
        .where(*where)
        .order_by(Promise.due.is_(None), Promise.due, Promise.id)
        .limit(SHOWN)
    ).all()
    items = []
    for promise, name in rows:
        to = f" {clean_line(name)}" if name else ""
        text = f"you promised{to}: {clean_line(promise.text)[:REASON_CHARS]}"
        items.append(
            Need(
                "promise",
                f"{text} ({due_words(promise.due, today)})",
                f"coffeechat done P{promise.id}",
                promise.id,
                due=promise.due,
                contact_id=promise.contact_id,
                # Overdue or due by tomorrow: worth a digest of its own.
                pressing=promise.due is not None and promise.due <= today + timedelta(days=1),
            )
        )
    more = _more("promise", int(total or 0), len(items), "coffeechat done", " promises")
    return items + [Need(m.kind, m.text, m.command, pressing=False) for m in more]


def _referrals(session: Session, account_id: int) -> list[Need]:
    query = (
        select(Referral, Contact.name)
        .join(Contact, Contact.id == Referral.from_contact_id)
        .where(Referral.account_id == account_id, Referral.status == "proposed")
        .where(Referral.to_contact_id.is_(None))
        # Added as a contact since (by hand, with `contacts add`): no longer waiting.
        .where(
            ~select(ContactEmail.id)
            .where(ContactEmail.account_id == account_id)
            .where(ContactEmail.address == func.lower(Referral.address))
            .exists()
        )
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = []
    for ref, by in session.execute(query.order_by(Referral.id).limit(SHOWN)):
        name, address = clean_line(ref.name or ""), ref.address or ""
        who = f"{name} <{address}>" if name and address else (name or address or "someone")
        text = f"{clean_line(by)} suggested talking to {who}"
        items.append(Need("referral", text, f"coffeechat referrals accept {ref.id}", ref.id))
    return items + _more("referral", int(total or 0), len(items), "coffeechat referrals")


def _has_contacts(session: Session, account_id: int) -> bool:
    found = session.scalar(select(Contact.id).where(Contact.account_id == account_id).limit(1))
    return found is not None


def _undeliverable(session: Session, account_id: int, now: datetime, zone: ZoneInfo) -> list[Need]:
    """Open conversations with a contact whose every address bounced, newest change first."""
    of_contact = ContactEmail.contact_id == Contact.id
    query = (
        select(Interview, Contact)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(Interview.account_id == account_id, Interview.state != State.CLOSED.value)
        .where(select(ContactEmail.id).where(of_contact).exists())
        .where(~select(ContactEmail.id).where(of_contact, ContactEmail.status == "ok").exists())
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(
        query.order_by(Interview.state_changed_at.desc(), Interview.id.desc()).limit(SHOWN)
    ).all()
    items = []
    for interview, contact in rows:
        step = next_step(session, interview, contact, now, cadence=None, zone=zone)
        text = f"{clean_line(contact.name)} <{contact.emails[0].address}>: {step.what}"
        items.append(Need("undeliverable", text, step.command or None))
    return items + _more("undeliverable", int(total or 0), len(items), "coffeechat contacts list")


def _mail_set_aside(session: Session, account_id: int, since: datetime | None) -> list[Need]:
    """Unreadable mail (kept, not acted on) and mail that claimed what it could not prove."""
    unread = select(func.count()).select_from(Message)
    unread = unread.where(Message.account_id == account_id, Message.kind == "unreadable")
    suspect = select(func.count()).select_from(EventLog)
    suspect = suspect.where(
        EventLog.account_id == account_id, EventLog.type == MessageSuspected.__name__
    )
    if since is not None:
        unread = unread.where(Message.recorded_at >= since)
        suspect = suspect.where(EventLog.recorded_at >= since)
    items = []
    unreadable = int(session.scalar(unread) or 0)
    if unreadable:
        text = f"unreadable mail: {unreadable}, kept but not acted on"
        items.append(Need("unreadable", text, "coffeechat status --json"))
    suspicious = int(session.scalar(suspect) or 0)
    if suspicious:
        text = (
            f"{suspicious} emails claimed to be from a contact without proof; they changed nothing"
        )
        items.append(Need("suspicious", text, "coffeechat status --json"))
    return items


def _not_thanked(
    session: Session, account_id: int, horizon_hours: float, zone: ZoneInfo
) -> list[Need]:
    """Met before coffeechat knew the account and never thanked: only the user decides."""
    old = not_thanked(session, account_id, horizon_hours, zone)
    items = [
        Need("not_thanked", f"met {clean_line(o['contact'])} on {o['met_on']}, not thanked",
             o["command"])
        for o in old[:SHOWN]
    ]  # fmt: skip
    return items + _more("not_thanked", len(old), len(items), "coffeechat status --json")


def _failing(session: Session, account_id: int) -> list[Need]:
    items = []
    for cur in session.scalars(
        select(SyncCursor)
        .where(SyncCursor.account_id == account_id, SyncCursor.consecutive_failures > 0)
        .order_by(SyncCursor.source_kind, SyncCursor.source)
        .limit(SHOWN)
    ):
        error = clean_line(cur.last_error or "")[:REASON_CHARS]
        text = (
            f"{cur.source_kind} {cur.source} is failing ({cur.consecutive_failures} tries): {error}"
        )
        items.append(Need("source_failing", text, "coffeechat connect"))
    return items
