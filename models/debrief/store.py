"""Keeping a debrief: who may answer a request, and storing the newest answer for a meeting.

An email answers a debrief request only when its In-Reply-To or References name the request's
Message-ID, it comes from the user's own address (the account's, or another of theirs) and it
was written by a person (an auto-reply or a bounce is no answer). Anything else naming a
request is refused: recorded, changing nothing. For each meeting the answer with the newest
Date is kept (ties: the greater Message-ID), so the result does not depend on the order the
answers are read in; a newer answer replaces the fields, promises and still-proposed referrals
of the older one. Promises and advice the user already marked done are never undone: an item
the newer answer repeats keeps its row (and ID), one it drops is deleted only while still open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select, update

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.debrief.fields import DebriefFields
from coffeechat.models.debrief.parse import parse_debrief
from coffeechat.models.debrief.request import Ask, meeting_of, occurrence
from coffeechat.models.followups.promises import text_key
from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import UNSENT, Kind, Move
from coffeechat.models.store.events import DebriefReceived, DebriefRefused, PromiseMade
from coffeechat.models.store.tables import Advice, Debrief, Meeting, Outbox, Promise, Referral
from coffeechat.models.store.uow import UnitOfWork

R = TypeVar("R", Promise, Advice)

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
    older_source = current.source_message_id if current is not None else None
    if current is None:
        current = Debrief(account_id=uow.account_id, meeting_id=meeting_id)
        s.add(current)
    current.interview_id, current.contact_id = meeting.interview_id, meeting.contact_id
    current.source_message_id, current.written_at, current.received_at = source, written_at, now
    current.fields = fields_json(fields)
    s.flush()
    _record_promises(uow, meeting, current, fields, now)
    people, named = _referrals(uow, meeting, fields, source, now)
    if older_source is not None:
        _forget_older_answer(uow, meeting, older_source, source, keep=named)
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


def _forget_older_answer(
    uow: UnitOfWork, meeting: Meeting, older: str, newer: str, *, keep: set[int]
) -> None:
    """Drop the older answer's referrals the user has not acted on and the newer one no longer
    names; the ones it names again keep their row and number (``referrals accept 3`` must
    not reach someone else), now credited to the newer answer. Promises and advice are
    matched against the newer answer by ``_record_promises``."""
    if meeting.contact_id is None:
        return
    mine = (
        Referral.account_id == uow.account_id,
        Referral.from_contact_id == meeting.contact_id,
        Referral.source_message_id == older,
        Referral.status == "proposed",  # one the user acted on stays as it is
    )
    uow.session.execute(delete(Referral).where(*mine, Referral.id.not_in(keep)))
    uow.session.execute(
        update(Referral).where(*mine, Referral.id.in_(keep)).values(source_message_id=newer)
    )


def _record_promises(
    uow: UnitOfWork, meeting: Meeting, debrief: Debrief, fields: DebriefFields, now: datetime
) -> None:
    """The answer's promises and advice as rows: one the debrief has already (same text) stays
    with its ID, a new one is added open (a promise with its event), an old one the answer no
    longer names is dropped while open and kept once done (never undone)."""
    s = uow.session
    old_promises = _by_text(s.scalars(select(Promise).where(Promise.debrief_id == debrief.id)))
    for promise in fields.promises:
        found = _claim(old_promises, promise.text)
        if found is not None:
            if found.status == "open":  # the newer words and date; a done one stays as it was
                found.text, found.due = promise.text, promise.due
            continue
        s.add(Promise(account_id=uow.account_id, debrief_id=debrief.id,
                      contact_id=meeting.contact_id, text=promise.text, due=promise.due,
                      status="open", done_note="", created_at=now))  # fmt: skip
        uow.record(PromiseMade(occurred_at=now, interview_id=meeting.interview_id,
                               contact_id=meeting.contact_id, text=promise.text[:500],
                               due=promise.due))  # fmt: skip
    old_advice = _by_text(s.scalars(select(Advice).where(Advice.debrief_id == debrief.id)))
    # Advice the parser only guessed from prose under no heading is the user's to read, not an
    # item whose "acted on" an update would say back to the contact in those words.
    unheaded = set(fields.unheaded_advice)
    for advice in (a for a in fields.advice if a not in unheaded):
        kept = _claim(old_advice, advice)
        if kept is not None:
            kept.text = advice if kept.status == "open" else kept.text
        else:
            s.add(Advice(account_id=uow.account_id, debrief_id=debrief.id,
                         contact_id=meeting.contact_id, text=advice, status="open",
                         done_note="", created_at=now))  # fmt: skip
    for rows in (_rest(old_promises), _rest(old_advice)):
        for row in rows:
            if row.status == "open":
                s.delete(row)
    s.flush()


def _by_text(rows: Iterable[R]) -> dict[str, list[R]]:
    found: dict[str, list[R]] = {}
    for row in rows:
        found.setdefault(text_key(row.text), []).append(row)
    return found


def _claim(rows: dict[str, list[R]], text: str) -> R | None:
    """The first unclaimed row with ``text`` (a done one first: it must never be lost)."""
    same = rows.get(text_key(text))
    if not same:
        return None
    same.sort(key=lambda r: (r.status != "done", r.id))
    return same.pop(0)


def _rest(rows: dict[str, list[R]]) -> list[R]:
    return [r for same in rows.values() for r in same]


def _referrals(
    uow: UnitOfWork, meeting: Meeting, fields: DebriefFields, source: str, now: datetime
) -> tuple[int, set[int]]:
    """People the contact named, as proposed referrals (introducer: this contact): how many
    are new, and the ids of all the answer names.

    Someone named without an address is a referral too (one per name and introducer), to be
    accepted by name or asked about through the introducer; an address given later completes
    it. Re-reading the same answer finds the referrals it made and adds none.
    """
    # Imported here, not at the top: the contacts package is this function's alone.
    from coffeechat.models.contacts.referrals import ReferralRefused, suggest

    if meeting.contact_id is None:
        return 0, set()
    count, named = 0, set()
    for person in fields.people:
        try:
            referral, new = suggest(uow, meeting.contact_id, person.name, now=now,
                             email=person.address or "", note=person.note, origin="debrief",
                             source_message_id=source)  # fmt: skip
        except (ReferralRefused, ValueError):
            continue  # nothing usable (no name, an unusable address): the debrief keeps it
        count += new
        named.add(referral.id)
    return count, named


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
