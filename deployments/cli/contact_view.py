"""``coffeechat contacts show``: the contact as one JSON document, and as a person reads it.

The document (``--json``) is ``{contact, notes, conversations, timeline, lines,
timeline_left_out}``, described in docs/cli-json.md; the text form is printed from it, so both
always say the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.deployments.cli.present import grouped_words, local, out, relative
from coffeechat.deployments.cli.records import next_text
from coffeechat.models.contacts.referral_report import chain
from coffeechat.models.followups.cadence import CadenceRules
from coffeechat.models.reports.export import record
from coffeechat.models.reports.people import bounced_only, next_step, timeline
from coffeechat.models.store.tables import Account, Contact, Interview, Note


def contact_document(
    session: Session, account_id: int, found: Contact, now: datetime, cadence: CadenceRules
) -> dict[str, Any]:
    """Everything ``contacts show`` prints, JSON-friendly; times ISO, in UTC."""
    account = session.get(Account, account_id)
    zone = ZoneInfo(account.timezone if account else "UTC")
    details = {
        **record(found),
        "emails": [{"address": e.address, "status": e.status} for e in found.emails],
    }
    conversations = [
        {
            "interview_id": i.id,
            "state": "undeliverable" if bounced_only(found) else i.state,
            "since": i.state_changed_at.isoformat(),
            "next": next_step(session, i, found, now, cadence=cadence, zone=zone).as_dict(),
        }
        for i in session.scalars(
            select(Interview).where(Interview.contact_id == found.id).order_by(Interview.id)
        )
    ]
    entries, left_out = timeline(session, found.id)
    notes = session.scalars(
        select(Note.text).where(Note.contact_id == found.id).order_by(Note.id)
    ).all()
    return {
        "contact": details,
        "notes": list(notes),
        "conversations": conversations,
        # One entry per event (its type and fields), in date order.
        "timeline": [
            {"at": e.at.isoformat(), "type": kind, "interview_id": e.interview_id, **payload}
            for e in entries
            for kind, payload in e.events
        ],
        # The same in words, a state change joined to its cause, as the text form shows them.
        "lines": [
            {"at": e.at.isoformat(), "interview_id": e.interview_id, "text": text}
            for e in entries
            for text, _events in grouped_words(e.events, found.name, now, zone)
        ],
        "timeline_left_out": left_out,
        "timezone": zone.key,
        # Who introduced them, and whom they introduced with what came of it.
        "chain": chain(session, found, now),
    }


def print_contact(doc: dict[str, Any], now: datetime) -> None:
    """The document as a person reads it: details, conversations, then the timeline."""
    con, zone, details = out(), ZoneInfo(doc["timezone"]), doc["contact"]

    def line(text: str) -> None:
        con.print(text, highlight=False, markup=False)

    con.print(f"[bold]#{details['id']} {escape(details['name'])}[/bold]", highlight=False)
    for key in ("company", "role", "linkedin_url", "timezone", "source", "tags"):
        if details.get(key):
            value = details[key]
            line(f"  {key}: {', '.join(value) if isinstance(value, list) else value}")
    for e in details["emails"]:
        line(f"  email: {e['address']}" + ("" if e["status"] == "ok" else f" ({e['status']})"))
    for text in doc["notes"]:
        line(f"  note: {text}")
    _print_chain(doc.get("chain"), line)
    for c in doc["conversations"]:
        since = relative(datetime.fromisoformat(c["since"]), now)
        line(f"  {c['state']} {since}; next: {next_text(c['next'], now, zone)}")
    if doc["lines"]:
        line("timeline:")
    if doc["timeline_left_out"]:
        line(f"  ({doc['timeline_left_out']} older events: `coffeechat export`)")
    for item in doc["lines"]:
        line(f"  {local(datetime.fromisoformat(item['at']), now, zone)}  {item['text']}")


def _print_chain(chain: dict[str, Any] | None, line: Callable[[str], None]) -> None:
    if not chain:
        return
    by = chain["introduced_by"]
    if by:
        line(f"  introduced by {by['name']} (#{by['id']})")
    for r in chain["introduced"]:
        who = r["name"] or r["address"] or "someone"
        if r["contact"]:
            who = f"{who} (#{r['contact']['id']})"
        came = [w for w in ("contacted", "met") if r[w]]
        line(f"  introduced {who}: {', '.join([r['status'], *came])}; next: {r['next']}")
