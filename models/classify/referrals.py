"""Email addresses a contact suggests in what they just wrote (never in the quoted history)."""

from __future__ import annotations

import re

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.classify.model import ParsedMail
from coffeechat.models.classify.quoting import new_text

_ADDR = re.compile(
    r"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-@])"
    r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
    r"[A-Za-z0-9])?)*\.[A-Za-z]{2,24})\b"
)
# Robots and role accounts are not people to meet.
_NOT_A_PERSON = re.compile(
    r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|notifications?|calendar"
    r"|calendar-notification|unsubscribe|abuse|privacy|support|info|sales|hello|admin|webmaster"
    r"|root|hostmaster|security)(?:[+\-_.].*)?@",
    re.IGNORECASE,
)
_MAX_SUGGESTIONS = 10


def suggested_addresses(mail: ParsedMail) -> tuple[str, ...]:
    """Addresses in the new part of a reply, minus the people already on it and robot accounts."""
    text = new_text(mail.text_new[:20_000], drop_signature=True)
    already = set(mail.from_addrs) | set(mail.to_addrs) | set(mail.cc_addrs)
    found: dict[str, None] = {}
    for match in _ADDR.finditer(text):
        addr = normalise_address(match.group(1).rstrip("."))
        if addr in already or _NOT_A_PERSON.match(addr):
            continue
        found.setdefault(addr, None)
        if len(found) >= _MAX_SUGGESTIONS:
            break
    return tuple(found)
