"""Promises kept and advice acted on: the items the user marks done, and telling each once.

A debrief leaves two kinds of item for a contact: what the user promised (table ``promise``: a
reminder with a due date) and each piece of the contact's advice (table ``advice``: no task,
only news once acted on). Both live the same life: ``open``; ``done`` when the user says so
(``coffeechat done ID [NOTE]``, with ``done_at`` and the note); told once an update to that
contact carries it (``told.py``: while that update went out or still will). Until it is told
the user may change the note (``done ID NOTE`` again) or take the ``done`` back (``--undo``);
once told, neither: the contact has (or will have) read it.

ID scheme: ``P<n>`` is promise row n and ``A<n>`` advice row n. Input ignores case, spaces and a
leading ``#``; a bare number is a promise (the reminders in status and the digest are promises).
Every listing gives each item's ``ref`` and the ``command`` that marks it done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from coffeechat.models.followups.told import Telling, mark, telling, untold
from coffeechat.models.store.events import PromiseKept, PromiseRevised
from coffeechat.models.store.tables import Advice, Contact, Outbox, Promise
from coffeechat.models.store.uow import UnitOfWork

# A note goes into an email verbatim: a few sentences, not a document.
MAX_NOTE_CHARS = 1000


class ItemKind(StrEnum):
    """What an item is: something the user promised, or advice the contact gave."""

    PROMISE = "promise"
    ADVICE = "advice"


_PREFIX = {ItemKind.PROMISE: "P", ItemKind.ADVICE: "A"}
_TABLE: dict[ItemKind, type[Promise] | type[Advice]] = {
    ItemKind.PROMISE: Promise,
    ItemKind.ADVICE: Advice,
}


class ItemRefused(Exception):
    """A ``done`` the model will not do: unknown ID, another account's, a note too long, or a
    change to an item its contact was already told."""


@dataclass(frozen=True)
class Item:
    """One promise or piece of advice, as listings and the CLI show it."""

    kind: ItemKind
    id: int
    contact_id: int | None
    contact_name: str
    text: str
    due: date | None  # promises only
    status: str  # open | done
    note: str
    created_at: datetime
    done_at: datetime | None
    reported_at: datetime | None  # when an update that went or will go was planned to tell it
    told: Telling | None = None  # that update; None while no email tells it

    @property
    def ref(self) -> str:
        """The ID the user types: ``P12`` or ``A3``."""
        return item_ref(self.kind, self.id)

    @property
    def command(self) -> str:
        """The command that marks it done."""
        return f"coffeechat done {self.ref}"

    def as_json(self) -> dict[str, Any]:
        """JSON-friendly fields (dates as ISO strings)."""
        told = self.told
        return {
            "ref": self.ref, "kind": self.kind.value, "id": self.id,
            "contact": {"id": self.contact_id, "name": self.contact_name},
            "text": self.text, "due": self.due.isoformat() if self.due else None,
            "status": self.status, "note": self.note,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "reported_at": self.reported_at.isoformat() if self.reported_at else None,
            "told": None if told is None else {
                "outbox_id": told.row_id, "sent": told.sent, "on": told.on.isoformat()},
            "command": self.command,
        }  # fmt: skip


@dataclass(frozen=True)
class Marked:
    """What ``mark_done`` did: the item as it now is; ``already`` when it was done before;
    ``edited`` when that earlier done got the new note."""

    item: Item
    already: bool
    edited: bool = False


def item_ref(kind: ItemKind, item_id: int) -> str:
    """``P12`` for promise 12, ``A3`` for advice 3."""
    return f"{_PREFIX[kind]}{item_id}"


def parse_ref(ref: str | int) -> tuple[ItemKind, int]:
    """The kind and row id an ID names (``P12``, ``#a3``, ``12``); ItemRefused if it names none."""
    raw = "".join(str(ref).split()).lstrip("#").upper()
    kind = ItemKind.PROMISE
    if raw[:1] in ("P", "A"):
        kind = ItemKind.PROMISE if raw[0] == "P" else ItemKind.ADVICE
        raw = raw[1:]
    if not raw.isdigit() or len(raw) > 12:
        raise ItemRefused(
            f"{str(ref)[:40]!r} is no promise or advice ID (P12 for a promise, A3 for advice)"
        )
    return kind, int(raw)


def _filters(
    table: type[Promise] | type[Advice], account_id: int, status: str | None, contact_id: int | None
) -> list[ColumnElement[bool]]:
    where = [table.account_id == account_id]
    if status is not None:
        where.append(table.status == status)
    if contact_id is not None:
        where.append(table.contact_id == contact_id)
    return where


def list_items(
    session: Session,
    account_id: int,
    *,
    kinds: Sequence[ItemKind] = (ItemKind.PROMISE, ItemKind.ADVICE),
    status: str | None = "open",
    contact_id: int | None = None,
    limit: int | None = None,
) -> list[Item]:
    """Items of the account (``status`` None: any); promises by due date, then advice; the
    first ``limit`` of them (None: all; ``count_items`` says how many there are)."""
    found: list[Item] = []
    for kind in (k for k in ItemKind if k in kinds):  # promises first
        left = None if limit is None else limit - len(found)
        if left is not None and left <= 0:
            break
        table = _TABLE[kind]
        order = [table.id] if kind == ItemKind.ADVICE else [Promise.due.is_(None), Promise.due]
        found += _items(session, kind, *_filters(table, account_id, status, contact_id),
                        order=[*order, table.id], limit=left)  # fmt: skip
    return found


def count_items(
    session: Session,
    account_id: int,
    *,
    kinds: Sequence[ItemKind] = (ItemKind.PROMISE, ItemKind.ADVICE),
    status: str | None = "open",
    contact_id: int | None = None,
) -> int:
    """How many items ``list_items`` without a limit would give."""
    return sum(
        session.scalar(
            select(func.count())
            .select_from(_TABLE[kind])
            .where(*_filters(_TABLE[kind], account_id, status, contact_id))
        )
        or 0
        for kind in kinds
    )


def open_promises(session: Session, account_id: int) -> list[Item]:
    """The promises not kept yet, soonest due first: the reminders (status, digest, prep)."""
    return list_items(session, account_id, kinds=(ItemKind.PROMISE,))


def get_item(session: Session, account_id: int, ref: str | int) -> Item:
    """The item ``ref`` names; ItemRefused for an unknown ID or another account's."""
    kind, item_id = parse_ref(ref)
    what = "promise" if kind == ItemKind.PROMISE else "advice"
    found = _items(session, kind, _TABLE[kind].id == item_id)
    if not found:
        raise ItemRefused(f"no {what} {item_ref(kind, item_id)}; `coffeechat done` lists them")
    owner = session.scalar(select(_TABLE[kind].account_id).where(_TABLE[kind].id == item_id))
    if owner != account_id:
        raise ItemRefused(
            f"{what} {item_ref(kind, item_id)} belongs to another account "
            "(choose that account with --account)"
        )
    return found[0]


def mark_done(uow: UnitOfWork, ref: str | int, note: str = "", *, now: datetime) -> Marked:
    """Mark the item ``ref`` done with the user's ``note``. Done already: a new note replaces
    the old one while no email tells it (``edited``), else nothing changes (``already``).
    ItemRefused for an unknown ID, another account's, a note too long, a new note too late."""
    item = get_item(uow.session, uow.account_id, ref)
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ItemRefused(f"the note has {len(note)} characters; at most {MAX_NOTE_CHARS}")
    table = _TABLE[item.kind]
    if item.status == "done":
        if not note or note == item.note:
            return Marked(item, already=True)
        if not _change(uow.session, item, done_note=note):
            raise ItemRefused(f"{item.ref} {_told_words(uow, item)}: its note stays")
        uow.record(PromiseRevised(occurred_at=now, contact_id=item.contact_id, ref=item.ref,
                                  change="note", note=note[:500]))  # fmt: skip
        return Marked(_fresh(uow, item), already=True, edited=True)
    uow.session.execute(
        update(table)
        .where(table.id == item.id, table.status == "open")
        .values(status="done", done_note=note, done_at=now)
    )
    uow.record(PromiseKept(occurred_at=now, contact_id=item.contact_id, kind=item.kind.value,
                           ref=item.ref, text=item.text[:500], note=note[:500]))  # fmt: skip
    return Marked(_fresh(uow, item), already=False)


def undo_done(uow: UnitOfWork, ref: str | int, *, now: datetime) -> Item:
    """Make the done item ``ref`` open again (its note gone) while no email tells it.

    ItemRefused for an item not done, or one its contact was told (or an update carrying it
    is on its way): that cannot be taken back.
    """
    item = get_item(uow.session, uow.account_id, ref)
    if item.status != "done":
        raise ItemRefused(f"{item.ref} is not done: nothing to undo")
    reopened = _change(uow.session, item, status="open", done_note="", done_at=None,
                       reported_at=None, reported_in=None)  # fmt: skip
    if not reopened:
        raise ItemRefused(f"{item.ref} {_told_words(uow, item)}: it stays done")
    uow.record(PromiseRevised(occurred_at=now, contact_id=item.contact_id, ref=item.ref,
                              change="undone"))  # fmt: skip
    return _fresh(uow, item)


def _change(session: Session, item: Item, **values: object) -> bool:
    """Update a done item no email tells (a planner may tell it meanwhile: then False)."""
    table = _TABLE[item.kind]
    done = session.execute(
        update(table)
        .where(table.id == item.id, table.status == "done", untold(table))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(cast(Any, done).rowcount)


def _fresh(uow: UnitOfWork, item: Item) -> Item:
    return get_item(uow.session, uow.account_id, item.ref)


def _told_words(uow: UnitOfWork, item: Item) -> str:
    told, who = _fresh(uow, item).told, item.contact_name or "the contact"
    return told.words(who) if told is not None else f"changed meanwhile for {who}"


def kept_news(session: Session, contact_id: int, now: datetime) -> list[Item]:
    """Items done for ``contact_id`` by ``now`` that no email tells them (oldest first)."""
    found = []
    for kind, table in _TABLE.items():
        found += _items(
            session,
            kind,
            table.contact_id == contact_id,
            table.status == "done",
            table.done_at <= now,
            untold(table),
        )
    return sorted(found, key=lambda i: (i.done_at or now, i.kind, i.id))


def mark_reported(session: Session, items: Iterable[Item], now: datetime, *, row_id: int) -> None:
    """Record that outbox row ``row_id`` (an update) tells these items: none is told again."""
    chosen = list(items)
    for kind, table in _TABLE.items():
        mark(session, table, [i.id for i in chosen if i.kind == kind], row_id=row_id, now=now)


def _items(
    session: Session,
    kind: ItemKind,
    *where: ColumnElement[bool],
    order: Sequence[Any] = (),
    limit: int | None = None,
) -> list[Item]:
    table = _TABLE[kind]
    stmt = (
        select(table, Contact.name, Outbox.status, Outbox.sent_at, Outbox.not_before)
        .outerjoin(Contact, Contact.id == table.contact_id)
        .outerjoin(Outbox, Outbox.id == table.reported_in)
        .where(*where)
        .order_by(*(order or [table.id]))
        .limit(limit)
    )
    found = []
    for row, name, status, sent_at, not_before in session.execute(stmt):
        item = cast("Promise | Advice", row)
        told = telling(item.reported_at, item.reported_in, status, sent_at, not_before)
        found.append(_item(kind, item, name, told))
    return found


def _item(
    kind: ItemKind, row: Promise | Advice, contact_name: str | None, told: Telling | None
) -> Item:
    return Item(
        kind=kind, id=row.id, contact_id=row.contact_id, contact_name=contact_name or "",
        text=row.text, due=row.due if isinstance(row, Promise) else None, status=row.status,
        note=row.done_note, created_at=row.created_at, done_at=row.done_at,
        reported_at=row.reported_at if told is not None else None, told=told,
    )  # fmt: skip


def text_key(text: str) -> str:
    """Two texts are the same item when equal whitespace-collapsed, casefolded, without a final
    ``.!;,``: a newer debrief answer repeating an item keeps its row."""
    return " ".join(text.split()).casefold().rstrip(".!;, ")
