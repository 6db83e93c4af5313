"""What waits for the user (``status``'s *needs you*): each item says what and which command.

Pure reads over the database and the rest of the status report; bounded: at most SHOWN items
of each kind, the rest counted in one more line.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.models.store.tables import Contact, ContactEmail, Interview, Outbox, Referral

SHOWN = 10
_KIND = {
    "outreach": "request",
    "thank_you": "thank-you",
    "prep_sheet": "prep sheet",
    "intro_request": "introduction request",
}


def _item(kind: str, text: str, command: str | None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "command": command}


def needs_you(session: Session, account_id: int, report: dict[str, Any]) -> list[dict[str, Any]]:
    """Drafts, interrupted mail, referrals, bounces, unreadable and suspicious mail, old
    meetings never thanked, paused sending and failing sources: in that order."""
    items = [*_outbox(session, account_id), *_referrals(session, account_id)]
    if not report["contacts"]:
        items.append(
            _item(
                "no_contacts",
                "no contacts yet: add one, or import a LinkedIn "
                "export, vCard or CSV (`coffeechat contacts import FILE`)",
                'coffeechat contacts add "NAME" --email ADDRESS',
            )
        )
    items += _undeliverable(report)
    unreadable = report["unreadable"]["count"]
    if unreadable:
        text = f"unreadable mail: {unreadable}, kept but not acted on"
        items.append(_item("unreadable", text, "coffeechat status --json"))
    suspicious = report["suspicious"]["count"]
    if suspicious:
        items.append(
            _item(
                "suspicious",
                f"{suspicious} emails claimed to be from a contact "
                "without proof; they changed nothing",
                "coffeechat status --json",
            )
        )
    for old in report["not_thanked"][:SHOWN]:
        items.append(
            _item(
                "not_thanked",
                f"met {old['contact']} on {old['met_on']}, not thanked",
                old["command"],
            )
        )
    if report["sending_paused"]:
        items.append(
            _item(
                "sending_paused",
                f"sending paused: {report['sending_paused']}",
                "coffeechat resume-sending",
            )
        )
    for src in report["sources"]:
        if src["failing"]:
            items.append(
                _item(
                    "source_failing",
                    f"{src['kind']} {src['source']} failing "
                    f"({src['consecutive_failures']}x): {src['last_error']}",
                    "coffeechat connect",
                )
            )
    return items


def _outbox(session: Session, account_id: int) -> list[dict[str, Any]]:
    where = (
        Outbox.account_id == account_id,
        Outbox.status.in_(("draft", "needs_review", "failed")),
    )
    total = session.scalar(select(func.count()).select_from(Outbox).where(*where))
    rows = session.execute(
        select(Outbox, Contact.name)
        .join(Interview, Interview.id == Outbox.interview_id)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(*where)
        .order_by(Outbox.id)
        .limit(SHOWN)
    ).all()
    items = []
    for row, name in rows:
        kind = _KIND.get(row.kind, row.kind)
        if row.status == "draft":
            items.append(
                _item(
                    "draft",
                    f"{kind} to {name} <{row.to_addr}> waits in Drafts",
                    f"coffeechat approve {row.id}",
                )
            )
        else:
            what = "failed" if row.status == "failed" else "was interrupted; did it arrive?"
            items.append(
                _item(
                    "review",
                    f"{kind} to {name} <{row.to_addr}> {what}",
                    f"coffeechat review {row.id} sent|resend|drop",
                )
            )
    if int(total or 0) > len(rows):
        items.append(
            _item("draft", f"... and {int(total or 0) - len(rows)} more", "coffeechat queue")
        )
    return items


def _referrals(session: Session, account_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Referral, Contact)
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
        .order_by(Referral.id)
        .limit(SHOWN)
    ).all()
    items = []
    for ref, by in rows:
        who = f"{ref.name} <{ref.address}>" if ref.name and ref.address else ref.name
        who = who or ref.address or "someone"
        command = f"coffeechat referrals accept {ref.id}"
        items.append(_item("referral", f"{by.name} suggested talking to {who}", command))
    return items


def _undeliverable(report: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for person in report["people"]:
        if person["state"] == "undeliverable":
            step = person["next"]
            text = f"{person['contact']} <{person['email']}>: {step['what']}"
            items.append(_item("undeliverable", text, step["command"]))
    return items
