"""When follow-up mail may go out: send windows, business days, and the craft's delays.

Pure: every function takes the moment it reasons about; nothing reads a clock. All wall-clock
rules (the send window, business days) are in the user's zone, because the mail goes out as if
the user sent it. Local times that do not exist (the hour skipped in spring) resolve to the
moment the clock jumps; local times that happen twice (the hour repeated in autumn) resolve to
the first of the two, so a window always opens at the first instant its start is reached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


def thank_you_slot(
    meeting_end: datetime, cfg: CadenceRules, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """(not_before, not_after) for a thank-you, or None when no window time beats the deadline."""
    end = _aware(meeting_end).astimezone(UTC)
    deadline = end + timedelta(hours=cfg.thank_you_deadline_hours)
    slot = next_send_time(
        end + timedelta(hours=cfg.thank_you_delay_hours),
        zone=zone,
        window_start=cfg.send_window_start,
        window_end=cfg.send_window_end,
    )
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
