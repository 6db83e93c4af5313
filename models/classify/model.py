"""Frozen values shared by the classification rules: the parsed message and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Kind(StrEnum):
    """What an inbound message is, as far as the interview lifecycle cares."""

    INVITATION = "invitation"
    CANCELLATION = "cancellation"
    ATTENDEE_RESPONSE = "attendee_response"
    BOUNCE = "bounce"
    DELAY_NOTICE = "delay_notice"
    COMPLAINT = "complaint"
    READ_RECEIPT = "read_receipt"
    AUTO_REPLY = "auto_reply"
    HUMAN = "human"
    UNREADABLE = "unreadable"
    SUSPICIOUS = "suspicious"


@dataclass(frozen=True)
class ParsedMail:
    """The parts of one message the rules look at, decoded once and safe to log.

    ``headers`` holds only the (lower-cased) header fields some rule needs, in message order.
    ``text_body`` is the whole readable text (capped); ``text_new`` is its new part, without
    quoted history. ``report_type``/``report_text`` come from a multipart/report, and
    ``embedded_message_ids`` are Message-IDs of messages quoted back to us (bounces, complaints).
    """

    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    from_addrs: tuple[str, ...] = ()
    from_name: str = ""
    to_addrs: tuple[str, ...] = ()
    cc_addrs: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = ""
    report_type: str = ""
    report_text: str = ""
    embedded_message_ids: tuple[str, ...] = ()
    text_body: str = ""
    text_new: str = ""
    text_excerpt: str = ""
    calendar: str | None = None
    calendar_method_param: str = ""
    size: int = 0
    part_count: int = 0
    parse_defects: tuple[str, ...] = ()
    # Authentication-Results values, topmost first (read from the raw header block, capped)
    auth_results: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """First value of a kept header field (name is case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def has_header(self, name: str) -> bool:
        """True when the kept header field is present, even if empty."""
        return self.header(name) is not None


@dataclass(frozen=True)
class Verdict:
    """The decision for one message and the rule that made it.

    ``failed_recipients`` is filled for bounces, ``complainants`` (the reporting recipient,
    ``Original-Rcpt-To``) for complaints, ``return_date`` for auto-replies and
    ``opt_out``/``suggested_addresses`` for human mail, ``reason`` for unreadable mail.
    ``auth``/``auth_reason`` hold what the user's provider said about the sender (pass, fail,
    neutral, unknown) and why.
    """

    kind: Kind
    rule: str
    mail: ParsedMail
    return_date: date | None = None
    failed_recipients: tuple[str, ...] = ()
    original_message_id: str | None = None
    calendar_method: str | None = None
    opt_out: bool = False
    suggested_addresses: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    complainants: tuple[str, ...] = field(default=())
    auth: str = "unknown"
    auth_reason: str = ""
    auth_by: str = ""
    reason: str = ""
