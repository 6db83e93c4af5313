"""When the next piece of work is due, so an idle service can sleep instead of cycling.

``next_due`` reads the database (never the clock: ``now`` and ``after`` are parameters) and
returns the earliest moment later than ``after`` (when the last full cycle ran) at which a
cycle could find something to do: a pending outbox row's send time, a prep sheet's lead time,
a meeting's end, a thank-you's earliest time, a nudge's due date, a paused interview's return,
an update interval running out. It is deliberately generous: a moment where the planner may
decide to do nothing is still a moment to look (one empty cycle), while a moment missed would
be a late email. Work whose moment passed at or before ``after`` was seen by that cycle; it is
only looked at again when something changes, which ``change_marker`` notices, except pending
outbox rows, which the sender may have left for a reason that mends by itself (SMTP down, the
daily cap): those are retried every ``retry``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.models.followups.cadence import (
    THANK_YOU_GIVE_UP,
    CadenceRules,
    next_send_time,
    nudge_due,
    thank_you_moments,
)
from coffeechat.models.followups.outreach import NUDGE_TAG
from coffeechat.models.followups.updates import met_news_at
from coffeechat.models.interviews.fact_times import outreach_sent_at, written_at
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.store.tables import (
    Contact,
    EventLog,
    Interview,
    Meeting,
    Message,
    Milestone,
    Note,
    Outbox,
    PrepSheet,
)

# A thank-you is never planned for a meeting older than its give-up time, plus a day of margin:
# past it a meeting end brings no more work.
THANKS_HORIZON = THANK_YOU_GIVE_UP + timedelta(days=1)
RETRY = timedelta(minutes=5)


@dataclass(frozen=True)
class DueRules:
    """What decides the planner's and the sender's moments."""

    cadence: CadenceRules
    zone: ZoneInfo
    prep_lead: timedelta
    retry: timedelta = RETRY
    thank_you_wait_hours: float = 0.0  # cadence.wait_hours of the debrief settings


def aware(when: datetime) -> datetime:
    """``when`` as an aware UTC time (aggregates may come back naive)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def next_due(
    session: Session, account_id: int, *, now: datetime, after: datetime | None, rules: DueRules
) -> datetime | None:
    """The earliest moment later than ``after`` at which a cycle may have work; None if none.

    ``after`` None (no cycle ran yet): everything known is due, the earliest moment is returned.
    """
    # mark_ended marks every ended meeting it sees: one still unmarked is due, seen or not.
    unmarked = [aware(m) for m in _unended(session, account_id)]
    moments = [
        *_outbox(session, account_id, after, rules.retry),
        *_prep(session, account_id, now, rules.prep_lead),
        *_thanks(session, account_id, now, rules),
        *_nudges(session, account_id, rules.cadence, rules.zone),
        *_updates(session, account_id, after or now, rules),
    ]
    later = [aware(m) for m in moments if after is None or aware(m) > after]
    return min(later + unmarked, default=None)


def _outbox(
    session: Session, account_id: int, after: datetime | None, retry: timedelta
) -> Iterator[datetime]:
    # Pending rows are what the sender acts on (automatic ones sent, review ones put in Drafts).
    for not_before in session.scalars(
        select(Outbox.not_before).where(Outbox.account_id == account_id, Outbox.status == "pending")
    ):
        when = aware(not_before)
        # Seen due by the last cycle and still pending: the sender held it back; look again.
        yield when if after is None or when > after else after + retry


def _unended(session: Session, account_id: int) -> Iterable[datetime]:
    return session.scalars(
        select(Meeting.end_utc).where(
            Meeting.account_id == account_id,
            Meeting.status != "CANCELLED",
            Meeting.ended_handled.is_(False),
        )
    )


def _prep(session: Session, account_id: int, now: datetime, lead: timedelta) -> Iterator[datetime]:
    has_sheet = (
        select(PrepSheet.id)
        .where(PrepSheet.meeting_id == Meeting.id, PrepSheet.meeting_version == Meeting.version)
        .exists()
    )
    for start in session.scalars(
        select(Meeting.start_utc).where(
            Meeting.account_id == account_id,
            Meeting.status != "CANCELLED",
            Meeting.contact_id.is_not(None),
            Meeting.start_utc > now,
            ~has_sheet,
        )
    ):
        yield aware(start) - lead


def _thanks(
    session: Session, account_id: int, now: datetime, rules: DueRules
) -> Iterator[datetime]:
    for end in session.scalars(
        select(Meeting.end_utc).where(
            Meeting.account_id == account_id,
            Meeting.status != "CANCELLED",
            Meeting.end_utc > now - THANKS_HORIZON,
        )
    ):
        end = aware(end)
        moments = thank_you_moments(end, rules.cadence, rules.zone, rules.thank_you_wait_hours)
        yield end
        yield moments.earliest
        yield moments.due_at
        # The introducer's news of it (updates.py): once settled, or when no thank-you will come.
        yield met_news_at(end, rules.cadence)
        yield moments.give_up_at
        if moments.wait_until is not None:
            yield moments.wait_until  # (a debrief answer wakes a cycle by the change it makes)


def _nudges(
    session: Session, account_id: int, cadence: CadenceRules, zone: ZoneInfo
) -> Iterator[datetime]:
    rows = session.execute(
        select(Interview, Contact)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(Interview.account_id == account_id, Interview.state == State.REQUESTED.value)
    )
    for interview, contact in rows:
        if interview.paused_until is not None:
            yield aware(interview.paused_until)  # a planned nudge moves past a return date
        if NUDGE_TAG in contact.tags:
            sent = outreach_sent_at(session, account_id, interview)
            yield nudge_due(aware(sent), interview.paused_until, cadence, zone)


def _updates(
    session: Session, account_id: int, seen: datetime, rules: DueRules
) -> Iterator[datetime]:
    # Generous: every touch of any contact (ours or the user's own mail) plus the interval, and
    # the next weekday window opening from then or from the last cycle (``seen``): updates are
    # written only when they can go at once (updates.py), so news that came on a Saturday is
    # looked at on Monday morning. From the last cycle, not from now: a moment at "now" would
    # be due at every poll, a cycle after cycle all day long.
    cadence = rules.cadence
    interval = timedelta(days=cadence.update_interval_days)
    opens = partial(next_send_time, zone=rules.zone, window_start=cadence.send_window_start,
                    window_end=cadence.send_window_end, weekdays_only=True)  # fmt: skip
    ours = session.scalars(
        select(func.max(Outbox.not_before))
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(Outbox.account_id == account_id, Outbox.kind.in_(("thank_you", "update")))
        .group_by(Interview.contact_id)
    )
    theirs = session.scalars(
        select(func.max(written_at))
        .where(Message.account_id == account_id, Message.direction == "out")
        .where(Message.contact_id.is_not(None))
        .group_by(Message.contact_id)
    )
    for last in (*ours, *theirs):
        if last is not None:
            yield aware(last) + interval
            yield opens(max(aware(last) + interval, aware(seen)))


def change_marker(session: Session, account_id: int) -> tuple[Any, ...]:
    """A cheap summary of what a command may change (rows added, statuses, tags, notes).

    When it differs from the one taken after the last cycle, something was changed outside
    the cycle (a CLI command, another process) and a cycle runs to look at it.
    """
    by_status = tuple(
        session.execute(
            select(Outbox.status, func.count(), func.max(Outbox.not_before))
            .where(Outbox.account_id == account_id)
            .group_by(Outbox.status)
            .order_by(Outbox.status)
        ).all()
    )
    aid = account_id
    queries = (
        select(func.max(EventLog.id)).where(EventLog.account_id == aid),
        select(func.max(Outbox.id)).where(Outbox.account_id == aid),
        select(func.max(Contact.updated_at), func.count()).where(Contact.account_id == aid),
        select(func.max(Note.id), func.count()).where(Note.account_id == aid),
        select(func.max(Milestone.id), func.count()).where(Milestone.account_id == aid),
        select(func.max(Interview.state_changed_at), func.count()).where(
            Interview.account_id == aid
        ),
        select(func.max(Meeting.id), func.sum(Meeting.version)).where(Meeting.account_id == aid),
    )
    return (*(tuple(session.execute(q).one()) for q in queries), by_status)
