"""Keeping a debrief: who may answer a request, and storing the newest answer for a meeting.

An email answers a debrief request only when its In-Reply-To or References name the request's
Message-ID, it comes from the user's own address (the account's, or another of theirs) and it
was written by a person (an auto-reply or a bounce is no answer). Anything else naming a
request is refused: recorded, changing nothing. For each meeting the answer with the newest
Date is kept (ties: the greater Message-ID), so the result does not depend on the order the
answers are read in; a newer answer replaces the fields, promises and still-proposed referrals
of the older one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.debrief.fields import DebriefFields
from coffeechat.models.debrief.parse import parse_debrief
from coffeechat.models.debrief.request import Ask, meeting_of, occurrence
from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import UNSENT, Kind, Move
from coffeechat.models.store.events import DebriefReceived, DebriefRefused, PromiseMade
from coffeechat.models.store.tables import Debrief, Meeting, Outbox, Promise, Referral
from coffeechat.models.store.uow import UnitOfWork

REFUSED_NOT_USER = "not from the user's own address"
REFUSED_AUTOMATIC = "automatic mail (auto-reply, bounce), not an answer"


def refusal(from_addrs: Sequence[str], own: Iterable[str], *, by_person: bool) -> str | None:
    """Why mail naming a debrief request is no answer to it, or None when it is one (pure)."""
    mine = {normalise_address(a) for a in own if a}
    if len(from_addrs) != 1 or normalise_address(from_addrs[0]) not in mine:
        return REFUSED_NOT_USER  # several From addresses: not one person, not the user alone
    return None if by_person else REFUSED_AUTOMATIC


def requests_named(uow: UnitOfWork, thread: Iterable[str | None]) -> dict[str, int]:
    """The debrief requests (Message-ID -> meeting id) that ``thread`` names."""
    ids = {t for t in thread if t}
    if not ids:
        return {}
    found = {}
    for message_id, key in uow.session.execute(
        select(Outbox.message_id, Outbox.occurrence).where(
            Outbox.account_id == uow.account_id,
            Outbox.kind == Kind.DEBRIEF_REQUEST,
            Outbox.message_id.in_(ids),
        )
    ):
        meeting_id = meeting_of(key)
        if meeting_id is not None:
            found[message_id] = meeting_id
    return found


def refuse(uow: UnitOfWork, *, message_id: str, sender: str, reason: str, now: datetime) -> None:
    """Record mail that named a debrief request without being its answer."""
    uow.record(DebriefRefused(occurred_at=now, message_id=message_id, sender=sender[:320],
                              reason=reason))  # fmt: skip


def fields_json(fields: DebriefFields) -> dict[str, Any]:
    """The fields as JSON-friendly values (dates as ISO strings)."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return {k: plain(v) for k, v in asdict(fields).items()}


def store_debrief(
    uow: UnitOfWork,
    *,
    meeting_id: int,
    fields: DebriefFields,
    source: str,
    written_at: datetime,
    now: datetime,
) -> list[str]:
    """Keep ``fields`` as the meeting's debrief unless a newer answer is kept already."""
    s = uow.session
    meeting = s.get(Meeting, meeting_id)
    if meeting is None or meeting.account_id != uow.account_id:
        return []
    current = s.scalars(
        select(Debrief).where(
            Debrief.account_id == uow.account_id, Debrief.meeting_id == meeting_id
        )
    ).first()
    if current is not None and (current.written_at, current.source_message_id) >= (
        written_at,
        source,
    ):
        return ["debrief-older"] if current.source_message_id != source else []
    replaced = current is not None
    if current is None:
        current = Debrief(account_id=uow.account_id, meeting_id=meeting_id)
        s.add(current)
    else:
        _forget_older_answer(uow, meeting, current)
    current.interview_id, current.contact_id = meeting.interview_id, meeting.contact_id
    current.source_message_id, current.written_at, current.received_at = source, written_at, now
    current.fields = fields_json(fields)
    s.flush()
    _record_promises(uow, meeting, current, fields, now)
    people = _referrals(uow, meeting, fields, source, now)
    # An answer makes the reminder pointless: one not sent yet is stopped here. (The request
    # itself is left alone: an answer to it shows it went, whatever its row says.)
    move(s, Move.CANCEL, Outbox.account_id == uow.account_id,
         Outbox.kind == Kind.DEBRIEF_REQUEST,
         Outbox.occurrence == occurrence(meeting_id, Ask.REMINDER), frm=UNSENT,
         last_error="answered")  # fmt: skip
    uow.record(
        DebriefReceived(occurred_at=now, interview_id=meeting.interview_id,
                        contact_id=meeting.contact_id, meeting_id=meeting_id, source=source,
                        replaced=replaced, promises=len(fields.promises), people=people)
    )  # fmt: skip
    return ["debrief-replaced" if replaced else "debrief"]


def _forget_older_answer(uow: UnitOfWork, meeting: Meeting, older: Debrief) -> None:
    """Drop what the older answer made: its promises, and referrals the user has not acted on."""
    s = uow.session
    s.execute(delete(Promise).where(Promise.debrief_id == older.id))
    if meeting.contact_id is not None:
        s.execute(
            delete(Referral).where(
                Referral.account_id == uow.account_id,
                Referral.from_contact_id == meeting.contact_id,
                Referral.source_message_id == older.source_message_id,
                Referral.status == "proposed",  # one the user acted on stays
            )
        )


def _record_promises(
    uow: UnitOfWork, meeting: Meeting, debrief: Debrief, fields: DebriefFields, now: datetime
) -> None:
    """One open promise row (and event) for each promise the answer names."""
    for promise in fields.promises:
        uow.session.add(Promise(account_id=uow.account_id, debrief_id=debrief.id,
                                contact_id=meeting.contact_id, text=promise.text,
                                due=promise.due, status="open", done_note="",
                                created_at=now))  # fmt: skip
        uow.record(PromiseMade(occurred_at=now, interview_id=meeting.interview_id,
                               contact_id=meeting.contact_id, text=promise.text[:500],
                               due=promise.due))  # fmt: skip


def _referrals(
    uow: UnitOfWork, meeting: Meeting, fields: DebriefFields, source: str, now: datetime
) -> int:
    """People the contact named, as proposed referrals (introducer: this contact); how many new.

    Someone named without an address is a referral too (one per name and introducer), to be
    accepted by name or asked about through the introducer; an address given later completes
    it. Re-reading the same answer finds the referrals it made and adds none.
    """
    # Imported here, not at the top: the contacts package is this function's alone.
    from coffeechat.models.contacts.referrals import ReferralRefused, suggest

    if meeting.contact_id is None:
        return 0
    count = 0
    for person in fields.people:
        try:
            _, new = suggest(uow, meeting.contact_id, person.name, now=now,
                             email=person.address or "", note=person.note, origin="debrief",
                             source_message_id=source)  # fmt: skip
        except (ReferralRefused, ValueError):
            continue  # nothing usable (no name, an unusable address): the debrief keeps it
        count += new
    return count


def take_answer(
    uow: UnitOfWork,
    *,
    message_id: str,
    in_reply_to: str | None,
    references: Sequence[str],
    from_addrs: Sequence[str],
    by_person: bool,
    text: str,
    own: Iterable[str],
    written_at: datetime,
    today: date,
    now: datetime,
) -> list[str] | None:
    """Effects of mail that names a debrief request; None when it names none (not ours to judge).

    The request's own copies (the reminder threads under the request) are no answer either.
    """
    named = requests_named(uow, [in_reply_to, *references])
    if not named or message_id in named or _is_ours(uow, message_id):
        return None
    reason = refusal(from_addrs, own, by_person=by_person)
    if reason is not None:
        refuse(uow, message_id=message_id, sender=from_addrs[0] if from_addrs else "",
               reason=reason, now=now)  # fmt: skip
        return ["debrief-refused"]
    # The message it answers directly decides the meeting; else the nearest in References.
    chain = [in_reply_to, *reversed(references)]
    meeting_id = next(named[m] for m in chain if m in named)
    fields = parse_debrief(text, today=today)
    if fields.empty:
        return ["debrief-empty"]
    return store_debrief(uow, meeting_id=meeting_id, fields=fields, source=message_id,
                         written_at=written_at, now=now)  # fmt: skip


def _is_ours(uow: UnitOfWork, message_id: str) -> bool:
    return (
        uow.session.scalar(
            select(Outbox.id).where(
                Outbox.account_id == uow.account_id, Outbox.message_id == message_id
            )
        )
        is not None
    )
