"""The story in plain lines: every mail coffeechat sent, to whom, why, and its telling sentence.

Read back from the database after the run: the outbox rows that went out, the contact each was
about, the debrief a thank-you could cite and the introductions an update reported. The quoted
sentence is found in the text that went out, never made up: none is shown when the mail does not
say the specific thing (a thank-you written without a debrief, say).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.models.debrief.request import meeting_of
from coffeechat.models.outbox.states import Kind, Status
from coffeechat.models.store.tables import (
    Advice,
    Contact,
    Debrief,
    Interview,
    Meeting,
    Outbox,
    Promise,
)

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _key(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(".!;, ")


def quote(body: str, needles: list[str]) -> str:
    """The first sentence of ``body`` that says one of ``needles`` (case and spacing ignored)."""
    keys = [_key(n) for n in needles if n.strip()]
    for paragraph in body.split("\n\n"):
        for sentence in _SENTENCE.split(" ".join(paragraph.split())):
            if any(k and k in _key(sentence) for k in keys):
                return sentence.strip()
    return ""


def story_lines(session: Session, account_id: int, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Each sent outbox row, oldest first: when, to whom, why, and the sentence saying it."""
    lines = []
    for row, contact in session.execute(
        select(Outbox, Contact)
        .outerjoin(Interview, Interview.id == Outbox.interview_id)
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .where(Outbox.account_id == account_id, Outbox.status == Status.SENT)
        .order_by(Outbox.sent_at, Outbox.id)
    ):
        to = (
            "you"
            if row.kind in (Kind.PREP_SHEET, Kind.DEBRIEF_REQUEST, Kind.DIGEST)
            else (contact.name if contact is not None else row.to_addr)
        )
        why, needles = _why(session, row, contact)
        at = row.sent_at or row.not_before
        lines.append({"when": f"{at.astimezone(zone):%a %H:%M}", "at": at.isoformat(),
                      "kind": row.kind, "to": to, "to_addr": row.to_addr,
                      "subject": row.subject, "why": why, "message_id": row.message_id,
                      "quote": quote(row.body_text, needles)})  # fmt: skip
    return lines


def _why(session: Session, row: Outbox, contact: Contact | None) -> tuple[str, list[str]]:
    """Why the row went, and what its telling sentence would mention."""
    name = contact.name if contact is not None else ""
    if row.kind == Kind.DEBRIEF_REQUEST:
        meeting = session.get(Meeting, meeting_of(row.occurrence) or 0)
        who = _name(session, meeting.contact_id if meeting else None)
        if row.occurrence.endswith("reminder"):
            return f"one reminder: no answer about {who} came within a day", []
        first = who.split()[0] if who else "them"
        return (
            f"the meeting with {who} ended: how did it go? (only the advice and the people "
            f"named may be quoted to {first}; the rest stays yours)",
            [],
        )
    if row.kind == Kind.PREP_SHEET:
        return f"your prep sheet for the meeting with {name}", []
    if row.kind == Kind.THANK_YOU:
        return _why_thanks(session, row, name)
    if row.kind == Kind.OUTREACH:
        introducer = _name(session, contact.introduced_by_id if contact else None)
        if introducer:
            first = introducer.split()[0]
            return f"you accepted {first}'s referral: a first request, naming {first}", [introducer]
        return "a request for a conversation", []
    if row.kind == Kind.UPDATE:
        met = _introductions_told(session, contact, row.created_at)
        kept = _kept_told(session, contact, row.body_text)
        return "news: " + update_news(name, met, kept), met + [n for _, n in kept]
    return row.kind.replace("_", " "), []


def _why_thanks(session: Session, row: Outbox, name: str) -> tuple[str, list[str]]:
    meeting_id = int(row.occurrence.split(":")[1]) if row.occurrence.startswith("meeting:") else 0
    debrief = session.scalars(select(Debrief).where(Debrief.meeting_id == meeting_id)).first()
    if debrief is None or debrief.received_at > row.created_at:
        return f"after the meeting with {name}; no debrief came, so the generic form", []
    fields = debrief.fields
    needles = [*fields.get("advice", [])[:1], *(p["name"] for p in fields.get("people", [])[:1])]
    if quote(row.body_text, needles):
        return f"after the meeting with {name}, in your words (from your debrief)", needles
    return f"after the meeting with {name} (written without quoting your debrief)", needles


def _name(session: Session, contact_id: int | None) -> str:
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    return contact.name if contact is not None else ""


def update_news(name: str, met: list[str], kept: list[tuple[str, str]]) -> str:
    """What an update told, as one clause: whom the user met, the promise kept, advice acted on."""
    first = name.split()[0] if name else "they"
    parts = [f"you met {_and(met)}, whom {first} introduced"] if met else []
    kinds = {kind for kind, _ in kept}
    if "promise" in kinds:
        parts.append("you kept your promise")
    if "advice" in kinds:
        parts.append(f"you acted on {first}'s advice" if first != "they" else "you acted on advice")
    if not parts:
        return "since the thank-you"
    # Each part has its own subject: a comma before the last "and" keeps them apart.
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _kept_told(session: Session, contact: Contact | None, body: str) -> list[tuple[str, str]]:
    """(kind, note) of each promise kept or advice acted on for ``contact`` this email tells."""
    if contact is None:
        return []
    told = []
    for kind, table in (("promise", Promise), ("advice", Advice)):
        notes = session.scalars(
            select(table.done_note).where(
                table.contact_id == contact.id, table.status == "done", table.done_note != ""
            )
        )
        told += [(kind, n) for n in notes if _key(n) in _key(body)]
    return told


def _introductions_told(session: Session, contact: Contact | None, at: datetime) -> list[str]:
    if contact is None:
        return []
    return list(
        session.scalars(
            select(Contact.name).where(
                Contact.introduced_by_id == contact.id,
                Contact.introduction_reported_at.is_not(None),
                Contact.introduction_reported_at <= at,
            )
        )
    )
