"""`coffeechat inspect mail`: one JSON-safe summary of why a message was classified as it was."""

from __future__ import annotations

from datetime import date

from coffeechat.models.classify.calendar_part import calendar_organizer
from coffeechat.models.classify.model import Kind, Verdict
from coffeechat.models.classify.rules import sent_by_coffeechat
from coffeechat.models.classify.safe import classify_bytes


def verdict_dict(verdict: Verdict) -> dict[str, object]:
    """A JSON-serialisable summary of a Verdict and the mail fields it was based on."""
    mail = verdict.mail
    return {
        "kind": str(verdict.kind),
        "rule": verdict.rule,
        "reason": verdict.reason,
        "from": list(mail.from_addrs),
        "from_name": mail.from_name,
        "to": list(mail.to_addrs),
        "cc": list(mail.cc_addrs),
        "subject": mail.subject,
        "date": mail.date.isoformat() if mail.date else None,
        "message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to,
        "references": list(mail.references),
        "return_date": verdict.return_date.isoformat() if verdict.return_date else None,
        "failed_recipients": list(verdict.failed_recipients),
        "original_message_id": verdict.original_message_id,
        "complainants": list(verdict.complainants),
        "calendar_method": verdict.calendar_method,
        "opt_out": verdict.opt_out,
        "suggested_addresses": list(verdict.suggested_addresses),
        "notes": list(verdict.notes),
        "defects": list(mail.parse_defects),
        "size": mail.size,
        "part_count": mail.part_count,
        "excerpt": mail.text_excerpt,
        # additive: who may change a calendar event, what the provider said, why suspicious
        "organizer": calendar_organizer(mail.calendar) if mail.calendar else None,
        "authentication": verdict.auth,
        "authentication_reason": verdict.auth_reason,
        "suspicious_because": list(verdict.notes) if verdict.kind is Kind.SUSPICIOUS else [],
        "sent_by_coffeechat": sent_by_coffeechat(mail),
    }


def inspect_mail(
    raw: bytes, *, today: date | None = None, trusted_authserv: frozenset[str] | None = None
) -> dict[str, object]:
    """Classify raw bytes and summarise the result for humans and --json; never raises.

    Without ``trusted_authserv`` (no account at hand) the topmost Authentication-Results
    header is taken as the provider's: in a file saved from the user's mailbox it is.
    """
    try:
        return verdict_dict(classify_bytes(raw, today=today, trusted_authserv=trusted_authserv))
    except Exception as err:  # inspect must answer for any input; the failure is the answer
        return {"kind": "unreadable", "rule": "inspect_failed", "error": type(err).__name__,
                "reason": f"inspect failed ({type(err).__name__})", "size": len(raw)}  # fmt: skip


def render_text(summary: dict[str, object]) -> str:
    """Plain-text lines for a terminal, one 'field: value' per non-empty field."""
    lines = []
    for key, value in summary.items():
        if value in (None, "", [], False) and key not in ("kind", "rule"):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        lines.append(f"{key:>20}: {shown}")
    return "\n".join(lines)
