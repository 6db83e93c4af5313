"""Mail that could not be classified within its budget: kept, shown, never acted on.

Such a message passed the header scan, so it may concern an interview; but nothing it says can
be trusted to have been read. Its Message-ID, sender address and raw subject are read from the
first bytes of its header with patterns that cannot backtrack (the header may be what made it
unreadable), so status can show it and a second look (another folder, a renumbered folder)
finds it known instead of spending its budget again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from coffeechat.models.classify import Kind
from coffeechat.models.store.tables import Interview, Message
from coffeechat.models.store.uow import UnitOfWork

HEADER_BYTES = 65_536
EXCERPT = 500
_FIELD = re.compile(rb"(?im)^(message-id|from|subject):[ \t]*([^\r\n]{0,998})")
_MSGID = re.compile(rb"<[^<>\s]{1,900}>")
# A whole ASCII address only: a lookalike byte before or after it makes it no address at all,
# rather than a shorter one that might be a contact's.
_ADDR = re.compile(
    rb"(?:^|(?<=[<\s,:;\"]))[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,255}"
    rb"(?=$|[>\s,;\"])"
)


@dataclass(frozen=True)
class UnreadableItem:
    """A relevant message not classified within its budget; ``rule`` names the budget."""

    uid: int
    rule: str
    reason: str
    header: bytes
    size: int = 0


def stand_in_message_id(seed: bytes) -> str:
    """A stable Message-ID for a message without one, derived from its header bytes."""
    digest = hashlib.sha256(seed).hexdigest()[:40]
    return f"<{digest}@no-message-id.coffeechat.invalid>"


def unreadable_fields(header: bytes) -> dict[str, str]:
    """Message-ID, sender address and raw subject from the first bytes of a header, bounded."""
    found: dict[bytes, bytes] = {}
    for match in _FIELD.finditer(header[:HEADER_BYTES]):
        found.setdefault(match.group(1).lower(), match.group(2))
    mid = _MSGID.search(found.get(b"message-id", b""))
    addr = _ADDR.search(found.get(b"from", b""))
    return {
        "message_id": mid.group().decode("ascii", "replace") if mid else "",
        "from_addr": addr.group().decode("ascii", "replace").lower() if addr else "",
        "subject": found.get(b"subject", b"")[:200].decode("utf-8", "replace"),
    }


def unreadable_message_id(header: bytes, fields: Mapping[str, str] | None = None) -> str:
    """The Message-ID an unreadable message is kept under (read without parsing the message)."""
    found = (fields or unreadable_fields(header))["message_id"]
    return found or stand_in_message_id(header)


def known_unreadable(uow: UnitOfWork, headers: Sequence[bytes]) -> set[int]:
    """Indexes of headers whose message is already kept as unreadable: not worth another try."""
    mids = [unreadable_message_id(h) for h in headers]
    stored = set(
        uow.session.scalars(
            select(Message.message_id).where(
                Message.account_id == uow.account_id,
                Message.kind == Kind.UNREADABLE.value,
                Message.message_id.in_(set(mids)),
            )
        )
    )
    return {n for n, mid in enumerate(mids) if mid in stored}


def record_unreadable(
    uow: UnitOfWork,
    items: Sequence[UnreadableItem],
    folder: str,
    outgoing: bool,
    uidvalidity: int,
    now: datetime,
    contacts: Mapping[str, int],
) -> tuple[int, int]:
    """Keep each message (located, with its reason) for status; return (stored, already known)."""
    stored = known = 0
    for item in items:
        fields = unreadable_fields(item.header)
        mid = unreadable_message_id(item.header, fields)
        row = uow.session.scalars(
            select(Message).where(Message.account_id == uow.account_id, Message.message_id == mid)
        ).first()
        if row is not None:  # seen before (another folder, or before a UIDVALIDITY change)
            row.folder, row.uidvalidity, row.uid = folder, uidvalidity, item.uid
            known += 1
            continue
        contact_id = contacts.get(fields["from_addr"])
        uow.session.add(
            Message(
                account_id=uow.account_id,
                contact_id=contact_id,
                interview_id=_latest_interview(uow, contact_id),
                message_id=mid,
                direction="out" if outgoing else "in",
                folder=folder,
                uidvalidity=uidvalidity,
                uid=item.uid,
                from_addr=fields["from_addr"][:320],
                subject=fields["subject"][:998],
                excerpt=item.reason[:EXCERPT],
                kind=Kind.UNREADABLE.value,
                rule=item.rule[:100],
                size=item.size or None,
                flags=["unreadable"],
                recorded_at=now,
            )
        )
        uow.session.flush()  # the same Message-ID twice in one chunk is stored once
        stored += 1
    return stored, known


def _latest_interview(uow: UnitOfWork, contact_id: int | None) -> int | None:
    if contact_id is None:
        return None
    return uow.session.scalar(
        select(Interview.id)
        .where(Interview.account_id == uow.account_id, Interview.contact_id == contact_id)
        .order_by(Interview.id.desc())
        .limit(1)
    )
