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
from coffeechat.models.store.tables import Contact, Debrief, Interview, Meeting, Outbox, Promise

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
        return f"the meeting with {who} ended: how did it go? (your answer stays private)", []
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
        news = [f"you met {', '.join(met)}, whom {name.split()[0]} introduced"] if met else []
        news += ["you kept your promise"] if kept else []
        return "news: " + (" and ".join(news) or "since the thank-you"), met + kept
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


def _kept_told(session: Session, contact: Contact | None, body: str) -> list[str]:
    """The notes of promises kept for ``contact`` that this email tells."""
    if contact is None:
        return []
    notes = session.scalars(
        select(Promise.done_note).where(
            Promise.contact_id == contact.id, Promise.status == "done", Promise.done_note != ""
        )
    )
    return [n for n in notes if _key(n) in _key(body)]


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
