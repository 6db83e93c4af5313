"""Send windows, business days and the craft's delays, across DST changes, with fixed dates."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coffeechat.integrations.config import CadenceConfig
from coffeechat.models.followups.cadence import (
    add_business_days,
    local_instant,
    next_send_time,
    nudge_due,
    nudge_stale,
    thank_you_slot,
    update_allowed,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
CFG = CadenceConfig()
WINDOW = {"window_start": time(8), "window_end": time(20)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_inside_window_is_unchanged_and_outside_moves_to_the_next_opening() -> None:
    assert next_send_time(utc(2026, 3, 2, 10), zone=BERLIN, **WINDOW) == utc(2026, 3, 2, 10)
    assert next_send_time(utc(2026, 3, 2, 5), zone=BERLIN, **WINDOW) == utc(2026, 3, 2, 7)
    # 20:00 Berlin is the end: the window is half-open, so it is the next morning.
    assert next_send_time(utc(2026, 3, 2, 19), zone=BERLIN, **WINDOW) == utc(2026, 3, 3, 7)


@pytest.mark.parametrize(
    ("zone", "earliest", "expected"),
    [
        # Berlin springs forward on 2026-03-29: 08:00 that morning is already CEST (UTC+2).
        (BERLIN, utc(2026, 3, 28, 20), utc(2026, 3, 29, 6)),
        # Berlin falls back on 2026-10-25: 08:00 that morning is CET again (UTC+1).
        (BERLIN, utc(2026, 10, 24, 19), utc(2026, 10, 25, 7)),
        # New York springs forward on 2026-03-08: 08:00 EDT is 12:00 UTC, not 13:00.
        (NEW_YORK, utc(2026, 3, 8, 3), utc(2026, 3, 8, 12)),
    ],
)
def test_the_window_opens_at_local_eight_across_dst(
    zone: ZoneInfo, earliest: datetime, expected: datetime
) -> None:
    assert next_send_time(earliest, zone=zone, **WINDOW) == expected


def test_a_window_start_skipped_by_spring_forward_opens_when_the_clock_jumps() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; clocks jump from 02:00 CET to 03:00 CEST.
    assert local_instant(datetime(2026, 3, 29).date(), time(2, 30), BERLIN) == utc(2026, 3, 29, 1)
    got = next_send_time(
        utc(2026, 3, 29, 0), zone=BERLIN, window_start=time(2, 30), window_end=time(20)
    )
    assert got == utc(2026, 3, 29, 1)


def test_a_window_start_that_happens_twice_opens_the_first_time() -> None:
    # 02:30 happens twice in Berlin on 2026-10-25: first at 00:30 UTC (CEST), then 01:30 (CET).
    got = next_send_time(
        utc(2026, 10, 24, 23), zone=BERLIN, window_start=time(2, 30), window_end=time(20)
    )
    assert got == utc(2026, 10, 25, 0, 30)


def test_a_window_end_skipped_by_spring_forward_closes_when_the_clock_jumps() -> None:
    narrow = {"window_start": time(1), "window_end": time(2, 30)}
    assert next_send_time(utc(2026, 3, 29, 0, 30), zone=BERLIN, **narrow) == utc(2026, 3, 29, 0, 30)
    # 03:00 CEST is past the (skipped) 02:30 end: the next window is the following night.
    assert next_send_time(utc(2026, 3, 29, 1), zone=BERLIN, **narrow) == utc(2026, 3, 29, 23)


def test_weekdays_only_skips_the_weekend_and_a_reversed_window_is_refused() -> None:
    saturday = utc(2026, 3, 28, 9)
    assert next_send_time(saturday, zone=BERLIN, weekdays_only=True, **WINDOW) == utc(
        2026, 3, 30, 6
    )
    with pytest.raises(ValueError, match="end must be after the start"):
        next_send_time(saturday, zone=BERLIN, window_start=time(20), window_end=time(8))
    with pytest.raises(ValueError, match="naive"):
        next_send_time(datetime(2026, 3, 2, 9), zone=BERLIN, **WINDOW)


def test_business_days_skip_weekends_and_keep_the_wall_clock_across_dst() -> None:
    thursday = utc(2026, 3, 26, 9)  # 10:00 CET
    # Seven business days: Fri, Mon..Fri, Mon 2026-04-06, still 10:00 but now CEST.
    assert add_business_days(thursday, 7, BERLIN) == utc(2026, 4, 6, 8)
    friday = utc(2026, 3, 27, 9)
    assert add_business_days(friday, 1, BERLIN) == utc(2026, 3, 30, 8)
    assert add_business_days(utc(2026, 3, 28, 9), 1, BERLIN) == utc(2026, 3, 30, 8)
    assert add_business_days(friday, 0, BERLIN) == friday


def test_the_users_zone_decides_which_day_it_is() -> None:
    # Saturday 00:30 in Berlin, Friday 19:30 in New York.
    moment = utc(2026, 3, 27, 23, 30)
    assert add_business_days(moment, 1, BERLIN) == utc(2026, 3, 29, 22, 30)  # Mon 00:30 CEST
    assert add_business_days(moment, 1, NEW_YORK) == utc(2026, 3, 30, 23, 30)  # Mon 19:30 EDT


def test_thank_you_two_hours_after_an_afternoon_meeting() -> None:
    end = utc(2026, 3, 2, 11)  # 12:00 CET
    assert thank_you_slot(end, CFG, BERLIN) == (utc(2026, 3, 2, 13), utc(2026, 3, 3, 11))


def test_thank_you_after_an_evening_meeting_goes_next_morning_across_dst() -> None:
    end = utc(2026, 3, 28, 17, 30)  # 18:30 CET on the eve of the change
    assert thank_you_slot(end, CFG, BERLIN) == (utc(2026, 3, 29, 6), utc(2026, 3, 29, 17, 30))


def test_thank_you_for_a_meeting_in_the_contacts_zone_follows_the_users_window() -> None:
    # 17:00 EDT in New York (already on summer time) is 22:00 CET in Berlin (not yet).
    end = utc(2026, 3, 9, 21)
    assert thank_you_slot(end, CFG, BERLIN) == (utc(2026, 3, 10, 7), utc(2026, 3, 10, 21))
    assert thank_you_slot(end, CFG, NEW_YORK) == (utc(2026, 3, 9, 23), utc(2026, 3, 10, 21))


def test_thank_you_is_none_when_no_window_time_beats_the_deadline() -> None:
    tight = CadenceConfig(thank_you_deadline_hours=6)
    assert thank_you_slot(utc(2026, 3, 2, 18), tight, BERLIN) is None  # 19:00 CET end


def test_nudge_after_seven_business_days_inside_the_window() -> None:
    sent = utc(2026, 3, 26, 9)
    assert nudge_due(sent, None, CFG, BERLIN) == utc(2026, 4, 6, 8)
    # Sent on a Friday evening: due Tuesday-week at 21:00, after the window, so Wednesday 08:00.
    assert nudge_due(utc(2026, 3, 20, 20), None, CFG, BERLIN) == utc(2026, 4, 1, 6)


def test_nudge_waits_a_business_day_past_an_auto_replys_return_date() -> None:
    sent = utc(2026, 3, 26, 9)
    back = datetime(2026, 4, 8, tzinfo=BERLIN)  # as the inbox stores a return date
    assert nudge_due(sent, back, CFG, BERLIN) == utc(2026, 4, 9, 6)
    assert nudge_due(sent, datetime(2026, 3, 30, tzinfo=BERLIN), CFG, BERLIN) == utc(2026, 4, 6, 8)


def test_nudge_never_lands_on_a_weekend() -> None:
    back = datetime(2026, 4, 10, tzinfo=BERLIN)  # Friday: first day back, the nudge on Monday
    assert nudge_due(utc(2026, 3, 26, 9), back, CFG, BERLIN) == utc(2026, 4, 13, 6)


def test_update_interval() -> None:
    now = utc(2026, 4, 30, 12)
    interval = timedelta(days=28)
    assert update_allowed(None, now, interval)
    assert not update_allowed(now - timedelta(days=27, hours=23), now, interval)
    assert update_allowed(now - interval, now, interval)


def test_a_nudge_is_stale_only_past_the_give_up_days() -> None:
    due = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    limit = timedelta(days=CFG.nudge_give_up_days)
    assert not nudge_stale(due, due, CFG)
    assert not nudge_stale(due, due + limit, CFG)
    assert nudge_stale(due, due + limit + timedelta(seconds=1), CFG)
