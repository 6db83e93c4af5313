"""Deciding from the header block alone whether a message is worth fetching in full.

Most of a mailbox is none of coffeechat's business: newsletters, the user's private mail.
Parsing every header with the email package costs more than fetching it, so this scans the
raw header bytes with a few regular expressions and keeps only what the rules might need.
Being generous is safe (the full classifier decides); being stingy would miss replies.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

_FIELD = re.compile(
    rb"^(from|to|cc|in-reply-to|references|content-type|x-failed-recipients|return-path|"
    rb"message-id|subject)[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)",
    re.IGNORECASE | re.MULTILINE,
)
_ADDR = re.compile(rb"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")
_MSGID = re.compile(rb"<[^<>\s]+>")
_DAEMON = re.compile(rb"^(mailer-daemon|postmaster|mail-daemon|bounces?|mdaemon)[@+]", re.I)
# Calendar services send invitations from their own addresses, not the organiser's.
_CALENDAR_SENDERS = re.compile(
    rb"(calendar-notification@google\.com|noreply@email\.apple\.com|@calendar\.|"
    rb"no-?reply@.*(calendar|outlook|icloud))",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    rb"undeliver|delivery (status|failure|has failed)|failure notice|returned mail|"
    rb"mail delivery|delivery notification|nondeliverable|non remis|unzustellbar",
    re.I,
)


@dataclass(frozen=True)
class HeaderFacts:
    """The few header facts needed to pick relevant mail, as lower-cased bytes-free values."""

    message_id: str | None
    from_addrs: tuple[str, ...]
    recipients: tuple[str, ...]
    thread_ids: tuple[str, ...]
    signals: tuple[str, ...]


def scan_headers(header: bytes) -> HeaderFacts:
    """Pull addresses, thread ids and bounce/calendar signals out of a raw header block."""
    from_addrs: list[bytes] = []
    recipients: list[bytes] = []
    thread: list[bytes] = []
    signals: list[str] = []
    message_id: bytes | None = None
    for match in _FIELD.finditer(header):
        name = match.group(1).lower()
        value = match.group(2)
        if name == b"from":
            from_addrs += _ADDR.findall(value)
        elif name in (b"to", b"cc"):
            recipients += _ADDR.findall(value)
        elif name in (b"in-reply-to", b"references"):
            thread += _MSGID.findall(value)
        elif name == b"message-id" and message_id is None:
            ids = _MSGID.findall(value)
            message_id = ids[0] if ids else None
        elif name == b"content-type":
            lowered = value.lower()
            if b"multipart/report" in lowered or b"text/calendar" in lowered:
                signals.append("report" if b"report" in lowered else "calendar")
        elif name == b"x-failed-recipients":
            signals.append("failed-recipients")
        elif name == b"return-path" and value.strip() in (b"<>", b""):
            signals.append("null-return-path")
        elif name == b"subject" and _BOUNCE_SUBJECT.search(value):
            signals.append("bounce-subject")
    for addr in from_addrs:
        if _DAEMON.match(addr):
            signals.append("daemon")
        if _CALENDAR_SENDERS.search(addr):
            signals.append("calendar-sender")
    return HeaderFacts(
        message_id=message_id.decode("ascii", "replace") if message_id else None,
        from_addrs=tuple(a.decode("ascii", "replace").lower() for a in from_addrs),
        recipients=tuple(a.decode("ascii", "replace").lower() for a in recipients),
        thread_ids=tuple(t.decode("ascii", "replace") for t in thread),
        signals=tuple(signals),
    )


def is_relevant(
    facts: HeaderFacts, *, contact_addresses: Collection[str], our_ids: Collection[str]
) -> str | None:
    """Why this message might concern an interview (a short reason), or None to count and skip."""
    if any(a in contact_addresses for a in facts.from_addrs):
        return "from-contact"
    if any(a in contact_addresses for a in facts.recipients):
        return "to-contact"
    if any(t in our_ids for t in facts.thread_ids):
        return "in-our-thread"
    if facts.message_id is not None and facts.message_id in our_ids:
        return "our-message"
    if facts.signals:
        return facts.signals[0]
    return None
