"""When follow-up mail may go out: send windows, business days, and the craft's delays.

Pure: every function takes the moment it reasons about; nothing reads a clock. All wall-clock
rules (the send window, business days) are in the user's zone, because the mail goes out as if
the user sent it. Local times that do not exist (the hour skipped in spring) resolve to the
moment the clock jumps; local times that happen twice (the hour repeated in autumn) resolve to
the first of the two, so a window always opens at the first instant its start is reached.

A thank-you's timing is decided once, by ``thank_you_timing``: the planner writes what it says,
``next_due`` wakes at its moments, and the sender refuses a row past the ``not_after`` it stored.
With debriefs on, the thank-you waits for the user's answer (so it can quote their words) until
``wait_until``; an answer that arrives earlier releases it, never before the usual delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Protocol
from zoneinfo import ZoneInfo


class CadenceRules(Protocol):
    """The delays the planner needs (integrations/config.py's CadenceConfig is one)."""

    @property
    def thank_you_delay_hours(self) -> float: ...
    @property
    def thank_you_deadline_hours(self) -> float: ...
    @property
    def send_window_start(self) -> time: ...
    @property
    def send_window_end(self) -> time: ...
    @property
    def nudge_after_business_days(self) -> int: ...
    @property
    def update_interval_days(self) -> int: ...
    @property
    def first_run_horizon_hours(self) -> float: ...
    @property
    def nudge_give_up_days(self) -> int: ...


class DebriefRules(Protocol):
    """The debrief settings the thank-you waits by (integrations/config.py's DebriefConfig)."""

    @property
    def enabled(self) -> bool: ...
    @property
    def thank_you_wait_hours(self) -> float: ...
    @property
    def thank_you_without(self) -> str: ...


def wait_hours(rules: DebriefRules | None) -> float:
    """How long a thank-you waits for a debrief answer; 0 when debriefs are off or none is set."""
    return rules.thank_you_wait_hours if rules is not None and rules.enabled else 0.0


# A window can vanish on a DST day only when it sits inside the skipped hour, so a week is plenty.
_SEARCH_DAYS = 7


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
    return value


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) on ``day`` when the wall clock in ``zone`` reads ``at`` or later."""
    first = datetime.combine(day, at, tzinfo=zone)  # fold=0: the earlier of two ambiguous ones
    back = first.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) == first.replace(tzinfo=None):
        return first.astimezone(UTC)
    # Skipped by a spring-forward gap: find the jump between the two readings of the offset.
    low = datetime.combine(day, at, tzinfo=zone).replace(fold=1).astimezone(UTC)
    high = first.astimezone(UTC)
    low, high = min(low, high), max(low, high)
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).replace(tzinfo=None) >= datetime.combine(day, at):
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0)


def in_window(at: datetime, zone: ZoneInfo, window: tuple[time, time]) -> bool:
    """Whether ``at`` falls inside the daily send window [start, end) on the user's clock."""
    local = _aware(at).astimezone(zone).time()
    return window[0] <= local < window[1]


def next_send_time(
    earliest: datetime,
    *,
    zone: ZoneInfo,
    window_start: time,
    window_end: time,
    weekdays_only: bool = False,
) -> datetime:
    """The first instant (UTC) at or after ``earliest`` inside the user's daily send window."""
    if window_end <= window_start:
        raise ValueError(
            f"send window {window_start}-{window_end}: the end must be after the start"
        )
    earliest = _aware(earliest).astimezone(UTC)
    day = earliest.astimezone(zone).date()
    for offset in range(_SEARCH_DAYS):
        current = day + timedelta(days=offset)
        if weekdays_only and current.weekday() >= 5:
            continue
        opens = local_instant(current, window_start, zone)
        closes = local_instant(current, window_end, zone)
        if earliest < closes and opens < closes:
            return max(earliest, opens)
    raise ValueError(f"no send window within {_SEARCH_DAYS} days of {earliest.isoformat()}")


def add_business_days(start: datetime, n: int, zone: ZoneInfo) -> datetime:
    """``start`` moved ``n`` weekdays (Mon-Fri in ``zone``) later, keeping its wall-clock time."""
    local = _aware(start).astimezone(zone)
    day, left = local.date(), n
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return local_instant(day, local.time().replace(tzinfo=None), zone)


# A thank-you for a meeting this old is no longer a thank-you: planned never, not even for review.
THANK_YOU_GIVE_UP = timedelta(days=7)


class Skip(Enum):
    """Why no thank-you is written at a given moment."""

    NOT_DUE = "not due yet"
    GIVEN_UP = "the meeting is too long ago to thank"
    BEFORE_CONNECTED = "the meeting ended long before coffeechat knew the account"


class Review(Enum):
    """Why a thank-you waits for the user instead of going out on its own."""

    CONTACT_WROTE = "the contact wrote after the meeting"
    LATE = "it can no longer go out within the thank-you deadline"


# The wait for a debrief ends this long before the window closes (or the deadline) at the latest,
# so the planning run it wakes still finds the window open and the deadline ahead.
WAIT_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True)
class ThankYouMoments:
    """A meeting's thank-you moments, the same whenever they are asked for (UTC)."""

    earliest: datetime  # the meeting's end plus the delay: never sooner
    first_slot: datetime  # the first send-window time at or after ``earliest``
    deadline: datetime  # the meeting's end plus the deadline: automatic only before it
    give_up_at: datetime  # from then on no thank-you is planned at all
    # Without a debrief answer, written then (``earliest`` when nothing is waited for).
    wait_until: datetime | None = None

    @property
    def due_at(self) -> datetime:
        """When the planner writes the row; one that is late from the start goes to review early."""
        return self.first_slot if self.first_slot < self.deadline else self.earliest

    def ready(self, debrief_at: datetime | None) -> datetime:
        """When the row is written, waiting for a debrief: its arrival, or the end of the wait."""
        if self.wait_until is None:
            return self.due_at
        if debrief_at is not None and _aware(debrief_at) < self.wait_until:
            return max(self.earliest, _aware(debrief_at).astimezone(UTC))
        return self.wait_until


@dataclass(frozen=True)
class ThankYouTiming:
    """The thank-you to write now: its send time, its deadline, and why it may wait for review."""

    send_at: datetime  # the row's not_before: the first window time at or after now and earliest
    not_after: datetime | None  # the row's deadline; None when it waits for review or was asked for
    give_up_at: datetime
    review: Review | None = None


@dataclass(frozen=True)
class NoThankYou:
    """No thank-you is written now, and why; ``until`` is when that changes, if it does."""

    why: Skip
    until: datetime | None = None


def horizon_start(connected: datetime | None, horizon_hours: float) -> datetime | None:
    """Meetings that ended at or before this were over long before coffeechat was connected."""
    return None if connected is None else connected - timedelta(hours=horizon_hours)


def thank_you_oldest_end(now: datetime, connected: datetime | None, cfg: CadenceRules) -> datetime:
    """Meetings that ended at or before this get no thank-you from the planner (its query bound)."""
    oldest = _aware(now) - THANK_YOU_GIVE_UP
    floor = horizon_start(connected, cfg.first_run_horizon_hours)
    return oldest if floor is None else max(oldest, floor)


def past_deadline(not_after: datetime | None, at: datetime) -> bool:
    """Whether mail going out at ``at`` breaks ``not_after`` (it may go strictly before it)."""
    return not_after is not None and not_after <= at


def thank_you_moments(
    meeting_end: datetime, cfg: CadenceRules, zone: ZoneInfo, wait: float = 0.0
) -> ThankYouMoments:
    """The moments of a thank-you for a meeting that ended at ``meeting_end``.

    ``wait``: hours to wait for a debrief answer (0: none). The wait ends at the meeting's end
    plus ``wait``, or earlier at the last send-window time that still leaves ``WAIT_MARGIN``
    before the window closes and before the deadline, and never before ``earliest``.
    """
    end = _aware(meeting_end).astimezone(UTC)
    earliest = end + timedelta(hours=cfg.thank_you_delay_hours)
    deadline = end + timedelta(hours=cfg.thank_you_deadline_hours)
    wait_until = None
    if wait > 0:
        last = last_window_time(deadline, zone=zone, window_start=cfg.send_window_start,
                                window_end=cfg.send_window_end)  # fmt: skip
        wait_until = end + timedelta(hours=wait)
        wait_until = max(earliest, wait_until if last is None else min(wait_until, last))
    return ThankYouMoments(
        earliest=earliest,
        first_slot=next_send_time(
            earliest, zone=zone, window_start=cfg.send_window_start, window_end=cfg.send_window_end
        ),
        deadline=deadline,
        give_up_at=end + THANK_YOU_GIVE_UP,
        wait_until=wait_until,
    )


def last_window_time(
    before: datetime, *, zone: ZoneInfo, window_start: time, window_end: time
) -> datetime | None:
    """The latest send-window time at least ``WAIT_MARGIN`` before ``before`` and its window's end.

    A window shorter than twice the margin keeps half of itself instead. None when no window
    opens within a week before ``before``.
    """
    before = _aware(before).astimezone(UTC)
    day = before.astimezone(zone).date()
    for offset in range(_SEARCH_DAYS):
        current = day - timedelta(days=offset)
        opens = local_instant(current, window_start, zone)
        closes = local_instant(current, window_end, zone)
        if closes <= opens:
            continue  # vanished in a DST gap
        margin = min(WAIT_MARGIN, (closes - opens) / 2)
        last = min(before, closes) - margin
        if opens <= last:
            return last
    return None


def thank_you_timing(
    meeting_end: datetime,
    *,
    now: datetime,
    cadence: CadenceRules,
    zone: ZoneInfo,
    contact_wrote: bool = False,
    connected: datetime | None = None,
    asked: bool = False,
    wait: float = 0.0,
    debrief_at: datetime | None = None,
) -> ThankYouTiming | NoThankYou:
    """The one decision on a meeting's thank-you at ``now``: write it (when, until when) or not.

    ``contact_wrote``: they wrote after the meeting, so it waits for review. ``connected``: when
    coffeechat first planned for the account (first_run.py). ``asked``: the user asked for it
    (``coffeechat thank``), so no deadline, give-up, first-run horizon or wait of ours applies.
    ``wait``: hours to wait for a debrief answer (``wait_hours``; 0: today's timing, the row is
    written at the first send-window time). ``debrief_at``: when an answer with content was
    stored for the meeting; one stored before the wait ends releases the thank-you at once.
    """
    moments = thank_you_moments(meeting_end, cadence, zone, 0.0 if asked else wait)
    now = _aware(now)
    if not asked:
        if now >= moments.give_up_at:
            return NoThankYou(Skip.GIVEN_UP)
        floor = horizon_start(connected, cadence.first_run_horizon_hours)
        if floor is not None and meeting_end <= floor:
            return NoThankYou(Skip.BEFORE_CONNECTED)
    due = moments.ready(debrief_at)
    if now < due:
        return NoThankYou(Skip.NOT_DUE, due)  # notes and debriefs added until then make the text
    # Due means at or after ``earliest`` too, so ``now`` is the earliest it may go.
    send_at = next_send_time(
        now,
        zone=zone,
        window_start=cadence.send_window_start,
        window_end=cadence.send_window_end,
    )
    review = None
    if contact_wrote:
        review = Review.CONTACT_WROTE
    elif past_deadline(moments.deadline, send_at):
        # Never automatic once late; a late thank-you is still the user's call, not silence.
        review = Review.LATE
    not_after = None if asked or review is not None else moments.deadline
    return ThankYouTiming(send_at, not_after, moments.give_up_at, review)


def thank_you_slot(
    meeting_end: datetime, cfg: CadenceRules, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """(not_before, not_after) for a thank-you, or None when no window time beats the deadline."""
    moments = thank_you_moments(meeting_end, cfg, zone)
    slot, deadline = moments.first_slot, moments.deadline
    return (slot, deadline) if slot < deadline else None


def nudge_due(
    outreach_sent_at: datetime, paused_until: datetime | None, cfg: CadenceRules, zone: ZoneInfo
) -> datetime:
    """When the one follow-up to unanswered outreach may go out (inside the send window)."""
    due = add_business_days(outreach_sent_at, cfg.nudge_after_business_days, zone)
    if paused_until is not None:
        # Give someone back from leave their first day to dig out before we write again.
        due = max(due, add_business_days(paused_until, 1, zone))
    # A reminder that lands on a Saturday reads as pushy: weekdays only.
    return next_send_time(
        due,
        zone=zone,
        window_start=cfg.send_window_start,
        window_end=cfg.send_window_end,
        weekdays_only=True,
    )


def nudge_stale(due: datetime, now: datetime, cfg: CadenceRules) -> bool:
    """Whether a nudge due at ``due`` is too old to send at all (outreach from long ago).

    A first run over years of Sent mail finds outreach nobody answered in 2024; a "just
    following up" on it now would be a wrong email. A service that was down for a few days
    still sends the nudges that fell due meanwhile.
    """
    return _aware(now) - _aware(due) > timedelta(days=cfg.nudge_give_up_days)


def update_allowed(last_update_at: datetime | None, now: datetime, interval: timedelta) -> bool:
    """Whether enough time has passed since the last update (or thank-you) to write again."""
    return last_update_at is None or _aware(now) - _aware(last_update_at) >= interval
