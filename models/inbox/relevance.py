"""Deciding from the header block alone whether a message is worth fetching in full.

Most of a mailbox is none of coffeechat's business: newsletters, the user's private mail.
Parsing every header with the email package costs more than fetching it, so this looks at
the raw bytes with a few regular expressions run over the whole block at C speed, and no
per-field Python work. It errs on the generous side (an address in a Received line also
counts): the full classifier decides later, but anything dropped here is never seen again.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from coffeechat.models.classify.address import address_forms
from coffeechat.models.classify.budget import HEADER_BLOCK_CAP

# An address is a run of local-part characters, '@' and a run of domain characters, found as
# ``[local]+@[domain]+`` would find them left to right. That regex restarts at every letter of a
# long run without '@' (a 200 kB subject took 39 s), so the scan starts at each '@' instead and
# reads the local part backwards, never before the end of the previous address: linear.
_LOCAL_RUN = re.compile(rb"[a-z0-9!#$%&'*+/=?^_`{|}~.-]*")
# Every address ends in "@" + one of these runs, and '@' never occurs inside one; so when no
# run names a contact's domain, no address can be a contact's.
_DOMAIN = re.compile(rb"@([a-z0-9.-]+)")
_MSGID = re.compile(rb"<[^<>\s]+>")
# Delivery reports, calendar messages and bounce-looking mail may concern a contact without
# naming one in the headers (the failed recipient is in the body).
# Each alternative starts a header line: anchored on a literal newline (the block is scanned with
# one prepended) the engine jumps from line to line instead of trying every byte (2x faster).
_SIGNALS = re.compile(
    rb"\n(?:content-type:[^\r\n]*(?P<report>multipart/report)"
    rb"|content-type:[^\r\n]*(?P<calendar>text/calendar)"
    rb"|(?P<failed>x-failed-recipients):"
    rb"|return-path:[ \t]*(?P<null><>)"
    rb"|from:[^\r\n]*(?P<daemon>mailer-daemon|postmaster|mail-daemon)"
    # Invitations whose organiser is not (yet) a contact: the attendee list is in the body.
    rb"|(?:from|sender):[^\r\n]*(?P<calsender>calendar-notification@google\.com|noreply@email\.apple"
    rb"|@calendly\.com|@acuityscheduling\.com|@savvycal\.com)"
    rb"|(?P<exchange>x-ms-exchange-calendar|content-class:[^\r\n]*calendarmessage)"
    # Subject prefixes of calendar software (Outlook, Thunderbird, Calendly) in a few languages.
    rb"|subject:[ \t]*(?P<invitation>(?:updated )?invitation\b|cancell?ed(?: event)?:"
    rb"|(?:updated|confirmed|new event|accepted|declined|tentative|canceled|einladung"
    rb"|aktualisiert|invitaci\xc3\xb3n|uitnodiging|invito|convite|zaproszenie)[ \t]*:)"
    rb"|subject:[^\r\n]*(?P<bounce>undeliver|delivery status notification|failure notice"
    rb"|returned mail|mail delivery fail|delivery has failed|nondeliverable|unzustellbar))"
)


def _addresses(lowered: bytes) -> list[bytes]:
    """The addresses in a lower-cased header block, as the left-to-right regex would find them."""
    found: list[bytes] = []
    backwards = lowered[::-1]
    size, searched_from = len(lowered), 0
    for at_domain in _DOMAIN.finditer(lowered):
        at = at_domain.start()
        run = _LOCAL_RUN.match(backwards, size - at)
        start = max(searched_from, at - (run.end() - run.start() if run else 0))
        if start < at:
            found.append(lowered[start : at_domain.end()])
            searched_from = at_domain.end()
    return found


@dataclass(frozen=True)
class RelevanceIndex:
    """What the database knows, in the form the scan compares against (lower-case bytes)."""

    addresses: frozenset[bytes]
    message_ids: frozenset[bytes]
    domains: frozenset[bytes] = field(init=False)

    def __post_init__(self) -> None:
        """Derive the contacts' domains (text after the last '@') for the quick address check."""
        domains = frozenset(a.rpartition(b"@")[2] for a in self.addresses)
        object.__setattr__(self, "domains", domains)

    @classmethod
    def build(cls, addresses: Collection[str], message_ids: Collection[str]) -> RelevanceIndex:
        """Index contacts' addresses and the Message-IDs of our threads."""
        return cls(
            frozenset(f.encode("utf-8", "replace") for a in addresses for f in address_forms(a)),
            frozenset(m.lower().encode("utf-8", "replace") for m in message_ids),
        )


def relevance(header: bytes, index: RelevanceIndex) -> str | None:
    """Why this message might concern an interview (a short reason), or None to count and skip."""
    # only the first megabyte is read: a longer header block is unreadable anyway
    lowered = b"\n" + header[:HEADER_BLOCK_CAP].lower()
    if not index.domains.isdisjoint(_DOMAIN.findall(lowered)) and not index.addresses.isdisjoint(
        _addresses(lowered)
    ):
        return "names-a-contact"
    if not index.message_ids.isdisjoint(_MSGID.findall(lowered)):
        return "in-our-thread"
    signal = _SIGNALS.search(lowered)
    if signal is not None:
        return signal.lastgroup or "signal"
    return None
