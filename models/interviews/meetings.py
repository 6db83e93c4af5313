"""Applying what a calendar says to the meetings we track, through the lifecycle.

A meeting is stored only when it concerns a contact: an attendee or organiser address equal
to one of theirs, or (with lower confidence, recorded in ``match``) their full name in the
summary while an interview with them is open. The rest of the user's calendar is not ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select

from coffeechat.models.calendar import (
    Merge,
    Occurrence,
    ParsedCalendar,
    Update,
    apply_itip,
    disappeared,
    merge,
)
from coffeechat.models.interviews.authority import refuse_calendar_change
from coffeechat.models.interviews.lifecycle import Event, State
from coffeechat.models.interviews.moves import open_interview, try_apply
from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import UNSENT, Kind, Move, Status
from coffeechat.models.store.events import (
    MeetingCancelled,
    MeetingEnded,
    MeetingRescheduled,
    MeetingScheduled,
)
from coffeechat.models.store.tables import Contact, ContactEmail, Interview, Meeting, Outbox
from coffeechat.models.store.uow import UnitOfWork

MATERIAL = frozenset(("start", "end", "location", "status", "video_link"))
# A meeting first seen long after it ended is history, not something to act on.
_LOOKBACK = timedelta(days=2)


@dataclass(frozen=True)
class Matcher:
    """Contacts' addresses and, for open interviews, their names."""

    addresses: dict[str, int]
    names: dict[int, re.Pattern[str]]
    user_addresses: frozenset[str]

    def match(self, occ: Occurrence) -> tuple[int, str] | None:
        """(contact id, "address" | "name") for an occurrence that concerns a contact."""
        for addr in (*occ.attendees, *((occ.organizer,) if occ.organizer else ())):
            if addr not in self.user_addresses and addr in self.addresses:
                return self.addresses[addr], "address"
        hits = [cid for cid, pattern in self.names.items() if pattern.search(occ.summary)]
        return (hits[0], "name") if len(hits) == 1 else None


def load_matcher(uow: UnitOfWork, user_addresses: frozenset[str]) -> Matcher:
    """Build the matcher from the database."""
    s, account = uow.session, uow.account_id
    addresses = dict(
        s.execute(
            # Bounced addresses too: a meeting with someone is theirs whether or not mail to
            # that address bounced, and whether the bounce was read before the calendar or after.
            select(ContactEmail.address, ContactEmail.contact_id).where(
                ContactEmail.account_id == account
            )
        ).all()
    )
    open_states = [st.value for st in State if st not in (State.CLOSED, State.UNDELIVERABLE)]
    names = {}
    for cid, name in s.execute(
        select(Contact.id, Contact.name)
        .join(Interview, Interview.contact_id == Contact.id)
        .where(
            Contact.account_id == account,
            Interview.state.in_(open_states),
            Contact.do_not_contact.is_(False),
        )
    ):
        if len(name.split()) >= 2:  # a first name alone matches far too much
            names[cid] = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
    return Matcher(addresses, names, user_addresses)


def as_occurrence(m: Meeting) -> Occurrence:
    """A stored meeting in the calendar module's terms, for comparison."""
    return Occurrence(
        uid=m.uid,
        recurrence_id=m.recurrence_id or None,
        start=m.start_utc,
        end=m.end_utc,
        timezone=m.timezone,
        all_day=m.all_day,
        start_date=m.start_date,
        status=m.status,
        summary=m.summary,
        description="",
        location=m.location,
        video_link=m.video_link,
        organizer=None,
        attendees=(),
        sequence=m.sequence,
        dtstamp=m.dtstamp,
        last_modified=m.last_modified,
    )


def apply_calendar(
    uow: UnitOfWork,
    *,
    source: str,
    parsed: ParsedCalendar,
    now: datetime,
    user_addresses: frozenset[str],
    snapshot: bool,
    sender: str | None = None,
) -> list[str]:
    """Apply one source's calendar; ``snapshot`` means it lists everything, so absence counts.

    ``sender`` is the From address of an emailed iTIP message: it may change a meeting we
    hold only as its organizer (RFC 5546), and answer only as an attendee; anything else is
    recorded as suspected and changes nothing.
    """
    matcher = load_matcher(uow, user_addresses)
    rows = _known_rows(uow, parsed, source=source, now=now, snapshot=snapshot)
    if sender is not None:
        refused = refuse_calendar_change(uow, parsed, list(rows.values()), sender.lower(), now)
        if refused:
            return refused
    known = [as_occurrence(m) for m in rows.values()]
    if parsed.method is not None and not snapshot:
        result: Merge = apply_itip(known, parsed, now=now).merge
    else:
        result = merge(known, parsed.occurrences, now=now)
    labels: list[str] = []
    for occ in result.added:
        labels += _add(uow, occ, matcher, source, now, invited_by=sender or "")
    for upd in result.updated:
        labels += _update(uow, rows[upd.old.key], upd, now, how="cancelled")
    for occ in (*result.unchanged, *result.stale):
        if occ.key in rows:
            rows[occ.key].last_seen_at = now
    labels += _cancel_series(uow, rows, parsed.cancelled_uids, now)
    if snapshot:
        labels += _cancel_disappeared(uow, rows, parsed, source, now)
    return labels


def _known_rows(
    uow: UnitOfWork, parsed: ParsedCalendar, *, source: str, now: datetime, snapshot: bool
) -> dict[tuple[str, str | None], Meeting]:
    """The meetings this calendar speaks of; for a snapshot, also this source's future ones."""
    uids = {o.uid for o in parsed.occurrences} | set(parsed.cancelled_uids)
    known = (
        list(
            uow.session.scalars(
                select(Meeting).where(Meeting.account_id == uow.account_id, Meeting.uid.in_(uids))
            )
        )
        if uids
        else []
    )
    if snapshot:  # absence from a full listing counts, so the missing ones are needed too
        known += [
            m
            for m in uow.session.scalars(
                select(Meeting).where(
                    Meeting.account_id == uow.account_id,
                    Meeting.source == source,
                    Meeting.start_utc > now,
                )
            )
            if m.uid not in uids
        ]
    return {(m.uid, m.recurrence_id or None): m for m in known}


def _cancel_series(
    uow: UnitOfWork,
    rows: dict[tuple[str, str | None], Meeting],
    cancelled_uids: Iterable[str],
    now: datetime,
) -> list[str]:
    """Every future instance of a series the calendar cancels as a whole."""
    labels: list[str] = []
    for uid in cancelled_uids:
        for key, row in rows.items():
            if key[0] == uid and row.status != "CANCELLED" and row.start_utc > now:
                gone = Update(
                    as_occurrence(row), _with_status(row, "CANCELLED"), frozenset({"status"})
                )
                labels += _update(uow, row, gone, now, how="series cancelled")
    return labels


def _cancel_disappeared(
    uow: UnitOfWork,
    rows: dict[tuple[str, str | None], Meeting],
    parsed: ParsedCalendar,
    source: str,
    now: datetime,
) -> list[str]:
    """This source's future meetings that a full listing no longer holds."""
    # Keyed afresh: a moved instance's row now carries its new RECURRENCE-ID.
    current = {(m.uid, m.recurrence_id or None): m for m in rows.values()}
    mine = [as_occurrence(m) for m in current.values() if m.source == source]
    labels: list[str] = []
    for occ in disappeared(mine, parsed, now):
        row = current[occ.key]
        if row.status != "CANCELLED":
            labels += _update(
                uow,
                row,
                Update(as_occurrence(row), occ, frozenset({"status"})),
                now,
                how="disappeared",
            )
    return labels


def _with_status(row: Meeting, status: str) -> Occurrence:
    return replace(as_occurrence(row), status=status)


def _add(
    uow: UnitOfWork,
    occ: Occurrence,
    matcher: Matcher,
    source: str,
    now: datetime,
    *,
    invited_by: str = "",
) -> list[str]:
    if occ.status == "CANCELLED" or occ.end < now - _LOOKBACK:
        return []
    found = matcher.match(occ)
    if found is None:
        return []
    contact_id, how = found
    contact = uow.session.get(Contact, contact_id)
    if contact is None:
        return []
    interview = _interview_for(uow, contact, occ, now)
    row = Meeting(
        account_id=uow.account_id,
        interview_id=interview.id if interview is not None else None,
        contact_id=contact_id,
        source=source,
        uid=occ.uid,
        recurrence_id=occ.recurrence_id or "",
        sequence=occ.sequence,
        dtstamp=occ.dtstamp,
        last_modified=occ.last_modified,
        start_utc=occ.start,
        end_utc=occ.end,
        timezone=occ.timezone,
        all_day=occ.all_day,
        start_date=occ.start_date,
        summary=occ.summary[:500],
        location=occ.location[:500],
        video_link=occ.video_link,
        status=occ.status,
        match=how,
        organizer=(occ.organizer or "")[:320],
        invited_by=invited_by[:320],
        version=1,
        ended_handled=False,
        first_seen_at=now,
        last_seen_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    if interview is not None and not contact.do_not_contact:
        try_apply(uow, interview, Event.MEETING_SCHEDULED, now=now, cause=f"calendar:{source}")
    uow.record(
        MeetingScheduled(
            occurred_at=now,
            interview_id=row.interview_id,
            contact_id=contact_id,
            meeting_id=row.id,
            start=occ.start,
            end=occ.end,
        )
    )
    return ["meeting-scheduled"]


def _interview_for(
    uow: UnitOfWork, contact: Contact, occ: Occurrence, now: datetime
) -> Interview | None:
    """The interview a meeting belongs to, or None when it belongs to none we track.

    Stored either way, so the meetings recorded do not depend on what was read first: with a
    contact who opted out it joins their last (closed) conversation without changing it; one
    that ended before coffeechat's outreach of the open interview went is an earlier meeting,
    not the answer to that request.
    """
    if contact.do_not_contact:
        return uow.session.scalars(
            select(Interview)
            .where(Interview.contact_id == contact.id)
            .order_by(Interview.id.desc())
        ).first()
    interview = open_interview(uow, contact, now=now)
    requested = uow.session.scalar(
        select(func.min(Outbox.sent_at)).where(
            Outbox.interview_id == interview.id,
            Outbox.kind == Kind.OUTREACH,
            Outbox.status == Status.SENT,
        )
    )
    if requested is not None and occ.end <= requested:
        return None
    return interview


def _update(uow: UnitOfWork, row: Meeting, upd: Update, now: datetime, *, how: str) -> list[str]:
    new = upd.new
    row.sequence, row.dtstamp, row.last_modified = new.sequence, new.dtstamp, new.last_modified
    row.recurrence_id = new.recurrence_id or ""  # a moved series' instance takes its new key
    row.last_seen_at = now
    material = upd.fields & MATERIAL
    if new.status == "CANCELLED" and row.status != "CANCELLED":
        row.status = "CANCELLED"
        row.version += 1
        return _cancelled(uow, row, now, how)
    row.summary, row.location, row.video_link = (
        new.summary[:500],
        new.location[:500],
        new.video_link,
    )
    row.start_utc, row.end_utc, row.timezone, row.status = (
        new.start,
        new.end,
        new.timezone,
        new.status,
    )
    row.all_day, row.start_date = new.all_day, new.start_date
    if not material:
        return []
    row.version += 1
    interview = uow.session.get(Interview, row.interview_id) if row.interview_id else None
    if interview is not None:
        if row.ended_handled and row.end_utc > now:
            row.ended_handled = False  # moved into the future again: it has not happened yet
        try_apply(uow, interview, Event.MEETING_RESCHEDULED, now=now, cause="calendar")
    uow.record(
        MeetingRescheduled(
            occurred_at=now,
            interview_id=row.interview_id,
            contact_id=row.contact_id,
            meeting_id=row.id,
            changes=tuple(sorted(material)),
            start=row.start_utc,
            end=row.end_utc,
        )
    )
    return ["meeting-rescheduled"]


def _cancelled(uow: UnitOfWork, row: Meeting, now: datetime, how: str) -> list[str]:
    interview = uow.session.get(Interview, row.interview_id) if row.interview_id else None
    if interview is not None:
        try_apply(uow, interview, Event.MEETING_CANCELLED, now=now, cause=how)
        # No thank-you and no prep sheet for a meeting that will not happen.
        move(
            uow.session,
            Move.CANCEL,
            Outbox.interview_id == interview.id,
            Outbox.kind.in_((Kind.THANK_YOU, Kind.PREP_SHEET)),
            Outbox.occurrence.like(f"meeting:{row.id}:%"),
            frm=UNSENT,
            last_error="meeting cancelled",
        )
    uow.record(
        MeetingCancelled(
            occurred_at=now,
            interview_id=row.interview_id,
            contact_id=row.contact_id,
            meeting_id=row.id,
            how=how,
        )
    )
    return ["meeting-cancelled"]


def mark_ended(uow: UnitOfWork, now: datetime) -> list[str]:
    """Meetings that have ended since the last look move their interview to ``held``."""
    labels = []
    for row in uow.session.scalars(
        select(Meeting).where(
            Meeting.account_id == uow.account_id,
            Meeting.end_utc <= now,
            Meeting.status != "CANCELLED",
            Meeting.ended_handled.is_(False),
        )
    ):
        row.ended_handled = True
        interview = uow.session.get(Interview, row.interview_id) if row.interview_id else None
        # The interview was held when the meeting ended, not when a cycle noticed.
        if interview is None or not try_apply(
            uow, interview, Event.MEETING_ENDED, now=row.end_utc, cause=f"meeting:{row.id}"
        ):
            continue
        uow.record(
            MeetingEnded(
                occurred_at=row.end_utc,
                interview_id=interview.id,
                contact_id=row.contact_id,
                meeting_id=row.id,
            )
        )
        labels.append("meeting-ended")
    return labels
