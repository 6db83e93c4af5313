"""The context step: is a human message a reply to our outreach, other contact mail, or neither?"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from coffeechat.models.classify import autoreply
from coffeechat.models.classify.address import normalise_address
from coffeechat.models.classify.model import ParsedMail

_ADDR_IN_NAME = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;:]+")
_FROM_DEFECTS = (
    "from-multiple-headers",
    "from-address-ambiguous",
    "from-address-invalid",
    "from-address-unparseable",
)


@dataclass(frozen=True)
class ThreadContext:
    """What the database knows: our Message-IDs, contacts' addresses, and whom we wrote to."""

    our_message_ids: frozenset[str] = frozenset()
    contact_addresses: Mapping[str, int] = field(default_factory=dict)
    outreach_recipients: Mapping[int, frozenset[str]] = field(default_factory=dict)

    @cached_property
    def normalised_ids(self) -> frozenset[str]:
        """our_message_ids in <angle brackets>, worked out once per context, not per message."""
        return frozenset(_norm_id(i) for i in self.our_message_ids)


class Relation(StrEnum):
    """How a human message relates to our outreach."""

    REPLY = "reply"
    CORRESPONDENCE = "correspondence"
    UNRELATED = "unrelated"
    SUSPICIOUS = "suspicious"


@dataclass(frozen=True)
class Match:
    """The relation found, the contact it concerns (if any) and why."""

    relation: Relation
    contact_id: int | None
    reason: str


def _norm_id(value: str) -> str:
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


def _names_other_contact(mail: ParsedMail, ctx: ThreadContext, sender: str) -> int | None:
    # "jane@example.com" <mallory@example.net>: the display name borrows a contact's address
    for addr in _ADDR_IN_NAME.findall(mail.from_name):
        lowered = normalise_address(addr.strip("."))
        if lowered != sender and lowered in ctx.contact_addresses:
            return ctx.contact_addresses[lowered]
    return None


def _sender_problem(mail: ParsedMail) -> str | None:
    if not mail.from_addrs:
        return "no readable From address"
    if len(mail.from_addrs) > 1:
        return f"{len(mail.from_addrs)} From addresses"
    bad = [d for d in mail.parse_defects if d in _FROM_DEFECTS]
    return f"From header is not trustworthy ({bad[0]})" if bad else None


def _via_list(mail: ParsedMail) -> bool:
    """Delivered by a mailing list or group (List-* headers, Precedence: list)."""
    return autoreply.list_header(mail) is not None or autoreply.bulk_precedence(mail) == "list"


def match_reply(mail: ParsedMail, ctx: ThreadContext) -> Match:
    """REPLY only from the exact addr-spec we wrote to; else CORRESPONDENCE/UNRELATED/SUSPICIOUS."""
    problem = _sender_problem(mail)
    ours = ctx.normalised_ids
    in_thread = any(i in ours for i in (mail.in_reply_to, *mail.references) if i)
    if problem:
        return Match(Relation.SUSPICIOUS, None, problem)
    sender = mail.from_addrs[0]
    borrowed = _names_other_contact(mail, ctx, sender)
    if borrowed is not None:
        return Match(Relation.SUSPICIOUS, borrowed, "display name names a contact's address")
    contact = ctx.contact_addresses.get(sender)
    if contact is None:
        if in_thread:
            return Match(Relation.CORRESPONDENCE, None, "in our thread, from an unknown address")
        return Match(Relation.UNRELATED, None, "not from a contact, not in our threads")
    if sender not in ctx.outreach_recipients.get(contact, frozenset()):
        return Match(Relation.CORRESPONDENCE, contact, "from a contact address we did not write to")
    if not in_thread and _via_list(mail):
        # The contact posting to a list the user reads has not answered the user.
        return Match(Relation.CORRESPONDENCE, contact, "through a mailing list, not our thread")
    if in_thread:
        return Match(Relation.REPLY, contact, "answers a message we sent")
    return Match(Relation.REPLY, contact, "from the contact we wrote to")
