"""``thank_you_timing``: when a thank-you goes, until when, and when it is given up, from a table.

Every expected moment is worked out by hand in the row's comment (default settings: 2 h after the
meeting, automatic until 24 h after it, send window 08:00-20:00 on the user's clock, given up 7
days after it, first-run horizon 24 h; with a debrief wait of 20 h, the wait ends 30 min before
the window closes or the deadline at the latest). Berlin is CET (UTC+1) until 2026-03-29 01:00
UTC, then CEST (UTC+2) until 2026-10-25 01:00 UTC; 2026-03-02 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from coffeechat.integrations.config import CadenceConfig, DebriefConfig
from coffeechat.models.followups.cadence import (
    NoThankYou,
    Review,
    Skip,
    ThankYouTiming,
    last_window_time,
    past_deadline,
    thank_you_oldest_end,
    thank_you_timing,
    wait_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
CFG = CadenceConfig()
TIGHT = CadenceConfig(thank_you_deadline_hours=6)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def go(send_at: datetime, not_after: datetime | None, give_up: datetime) -> ThankYouTiming:
    return ThankYouTiming(send_at=send_at, not_after=not_after, give_up_at=give_up)


def review(send_at: datetime, why: Review, give_up: datetime) -> ThankYouTiming:
    return ThankYouTiming(send_at=send_at, not_after=None, give_up_at=give_up, review=why)


MON_NOON = utc(2026, 3, 2, 11)  # ends 12:00 CET Monday: earliest 14:00 CET = 13:00 UTC
MON_GIVE_UP = utc(2026, 3, 9, 11)

CASES = [
    # Monday afternoon meeting, planner at 14:00 CET: inside the window, due at once.
    pytest.param(MON_NOON, utc(2026, 3, 2, 13), {},
                 go(utc(2026, 3, 2, 13), utc(2026, 3, 3, 11), MON_GIVE_UP), id="weekday-due"),
    pytest.param(MON_NOON, utc(2026, 3, 2, 12, 59), {},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 2, 13)), id="weekday-a-minute-early"),
    # A cycle at 16:30 CET writes it for then (still inside the window).
    pytest.param(MON_NOON, utc(2026, 3, 2, 15, 30), {},
                 go(utc(2026, 3, 2, 15, 30), utc(2026, 3, 3, 11), MON_GIVE_UP),
                 id="weekday-planned-later-in-the-window"),
    # First seen at 20:30 CET, the window shut: Tuesday 08:00 CET, before the 12:00 CET deadline.
    pytest.param(MON_NOON, utc(2026, 3, 2, 19, 30), {},
                 go(utc(2026, 3, 3, 7), utc(2026, 3, 3, 11), MON_GIVE_UP),
                 id="outside-the-window-next-morning"),
    # Tuesday 11:30 CET: still half an hour before the deadline, still automatic.
    pytest.param(MON_NOON, utc(2026, 3, 3, 10, 30), {},
                 go(utc(2026, 3, 3, 10, 30), utc(2026, 3, 3, 11), MON_GIVE_UP),
                 id="just-before-the-deadline"),
    # Tuesday 12:00 CET is the deadline itself: it may only go strictly before, so review.
    pytest.param(MON_NOON, utc(2026, 3, 3, 11), {},
                 review(utc(2026, 3, 3, 11), Review.LATE, MON_GIVE_UP), id="at-the-deadline"),
    # Saturday 11:00 CET meeting: the thank-you window has no weekend rule, 13:00 CET Saturday.
    pytest.param(utc(2026, 3, 7, 10), utc(2026, 3, 7, 12), {},
                 go(utc(2026, 3, 7, 12), utc(2026, 3, 8, 10), utc(2026, 3, 14, 10)),
                 id="weekend"),
    # Ends 22:30 CET Monday: earliest 00:30 CET, the window opens 08:00 CET Tuesday.
    pytest.param(utc(2026, 3, 2, 21, 30), utc(2026, 3, 2, 23, 30), {},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 3, 7)), id="late-night-waits"),
    pytest.param(utc(2026, 3, 2, 21, 30), utc(2026, 3, 3, 7), {},
                 go(utc(2026, 3, 3, 7), utc(2026, 3, 3, 21, 30), utc(2026, 3, 9, 21, 30)),
                 id="late-night-next-morning"),
    # Ends 18:30 CET on the eve of spring-forward: earliest 20:30 CET (shut); Sunday 08:00 is
    # already CEST, 06:00 UTC.
    pytest.param(utc(2026, 3, 28, 17, 30), utc(2026, 3, 29, 5, 59), {},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 29, 6)), id="dst-spring-not-yet"),
    pytest.param(utc(2026, 3, 28, 17, 30), utc(2026, 3, 29, 6), {},
                 go(utc(2026, 3, 29, 6), utc(2026, 3, 29, 17, 30), utc(2026, 4, 4, 17, 30)),
                 id="dst-spring"),
    # Ends 20:00 CEST on the eve of fall-back: Sunday 08:00 is CET again, 07:00 UTC.
    pytest.param(utc(2026, 10, 24, 18), utc(2026, 10, 25, 7), {},
                 go(utc(2026, 10, 25, 7), utc(2026, 10, 25, 18), utc(2026, 10, 31, 18)),
                 id="dst-autumn"),
    # 17:00 EDT in New York (on summer time since 8 March): earliest 19:00 EDT, in its window.
    pytest.param(utc(2026, 3, 9, 21), utc(2026, 3, 9, 23), {"zone": NEW_YORK},
                 go(utc(2026, 3, 9, 23), utc(2026, 3, 10, 21), utc(2026, 3, 16, 21)),
                 id="new-york-evening"),
    # The same end is 22:00 CET for a Berlin user: earliest midnight, so 08:00 CET.
    pytest.param(utc(2026, 3, 9, 21), utc(2026, 3, 9, 23), {},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 10, 7)), id="berlin-same-end"),
    # Deadline 6 h, ends 19:00 CET: earliest 21:00 CET, first window 08:00 CET is past the
    # 01:00 CET deadline, so it goes to review as soon as the delay has passed.
    pytest.param(utc(2026, 3, 2, 18), utc(2026, 3, 2, 19, 59), {"cadence": TIGHT},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 2, 20)), id="late-from-the-start-early"),
    pytest.param(utc(2026, 3, 2, 18), utc(2026, 3, 2, 20), {"cadence": TIGHT},
                 review(utc(2026, 3, 3, 7), Review.LATE, utc(2026, 3, 9, 18)),
                 id="late-from-the-start"),
    # The contact wrote: review at once, whether on time or late.
    pytest.param(MON_NOON, utc(2026, 3, 2, 13), {"contact_wrote": True},
                 review(utc(2026, 3, 2, 13), Review.CONTACT_WROTE, MON_GIVE_UP),
                 id="contact-wrote"),
    pytest.param(MON_NOON, utc(2026, 3, 4, 9), {"contact_wrote": True},
                 review(utc(2026, 3, 4, 9), Review.CONTACT_WROTE, MON_GIVE_UP),
                 id="contact-wrote-and-late"),
    # Seven days after the meeting it is given up; a minute before, it is a late review.
    pytest.param(MON_NOON, utc(2026, 3, 9, 10, 59), {},
                 review(utc(2026, 3, 9, 10, 59), Review.LATE, MON_GIVE_UP),
                 id="a-minute-before-give-up"),
    pytest.param(MON_NOON, MON_GIVE_UP, {}, NoThankYou(Skip.GIVEN_UP), id="given-up"),
    # Asked for by the user (`coffeechat thank`) weeks later, Friday 13:00 CET: no deadline.
    pytest.param(MON_NOON, utc(2026, 3, 20, 12), {"asked": True},
                 review(utc(2026, 3, 20, 12), Review.LATE, MON_GIVE_UP), id="asked-after-give-up"),
    # Asked for on time: it may go on its own, but without our deadline.
    pytest.param(MON_NOON, utc(2026, 3, 2, 13), {"asked": True},
                 go(utc(2026, 3, 2, 13), None, MON_GIVE_UP), id="asked-on-time"),
    # Connected Wednesday 13:00 CET, horizon 24 h: meetings ending by Tuesday 13:00 CET were
    # before coffeechat knew the account. Asked for, it is exactly 24 h on: late, for review.
    pytest.param(utc(2026, 3, 3, 12), utc(2026, 3, 4, 12), {"connected": utc(2026, 3, 4, 12)},
                 NoThankYou(Skip.BEFORE_CONNECTED), id="ended-at-the-first-run-horizon"),
    pytest.param(utc(2026, 3, 3, 12), utc(2026, 3, 4, 12),
                 {"connected": utc(2026, 3, 4, 12), "asked": True},
                 review(utc(2026, 3, 4, 12), Review.LATE, utc(2026, 3, 10, 12)),
                 id="asked-before-the-horizon"),
    # Ended half an hour inside the horizon: thanked, automatic until Wednesday 13:30 CET.
    pytest.param(utc(2026, 3, 3, 12, 30), utc(2026, 3, 4, 12), {"connected": utc(2026, 3, 4, 12)},
                 go(utc(2026, 3, 4, 12), utc(2026, 3, 4, 12, 30), utc(2026, 3, 10, 12, 30)),
                 id="ended-inside-the-first-run-horizon"),
]  # fmt: skip

W = {"wait": 20.0}
# Waiting for the debrief. MON_NOON: 20 h later is Tuesday 08:00 CET (07:00 UTC), inside the
# window and before the 12:00 CET deadline, so the wait ends then.
WAIT_CASES = [
    pytest.param(MON_NOON, utc(2026, 3, 2, 13), W,
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 3, 7)), id="waits-for-the-debrief"),
    pytest.param(MON_NOON, utc(2026, 3, 3, 6, 59), W,
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 3, 7)), id="wait-a-minute-short"),
    pytest.param(MON_NOON, utc(2026, 3, 3, 7), W,
                 go(utc(2026, 3, 3, 7), utc(2026, 3, 3, 11), MON_GIVE_UP),
                 id="no-answer-by-the-end"),
    # An answer at 13:00 CET, before the 14:00 CET delay has passed: written at 14:00 CET.
    pytest.param(MON_NOON, utc(2026, 3, 2, 12, 59), {**W, "debrief_at": utc(2026, 3, 2, 12)},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 2, 13)), id="answer-before-the-delay"),
    pytest.param(MON_NOON, utc(2026, 3, 2, 13), {**W, "debrief_at": utc(2026, 3, 2, 12)},
                 go(utc(2026, 3, 2, 13), utc(2026, 3, 3, 11), MON_GIVE_UP),
                 id="answer-before-the-delay-goes-at-the-delay"),
    # An answer at 20:45 CET (window shut): written then, sent at 08:00 CET Tuesday.
    pytest.param(MON_NOON, utc(2026, 3, 2, 19, 44), {**W, "debrief_at": utc(2026, 3, 2, 19, 45)},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 2, 19, 45)), id="answer-at-night-early"),
    pytest.param(MON_NOON, utc(2026, 3, 2, 19, 45), {**W, "debrief_at": utc(2026, 3, 2, 19, 45)},
                 go(utc(2026, 3, 3, 7), utc(2026, 3, 3, 11), MON_GIVE_UP), id="answer-at-night"),
    # An answer after the wait ended changes nothing about when it was due.
    pytest.param(MON_NOON, utc(2026, 3, 3, 6, 59), {**W, "debrief_at": utc(2026, 3, 3, 8)},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 3, 7)), id="answer-after-the-wait"),
    # Ends 22:30 CET: 20 h later is 18:30 CET Tuesday (17:30 UTC), before the window's last
    # slot (19:30 CET) and the 22:30 CET deadline.
    pytest.param(utc(2026, 3, 2, 21, 30), utc(2026, 3, 3, 17, 29), W,
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 3, 17, 30)), id="late-meeting-waits"),
    pytest.param(utc(2026, 3, 2, 21, 30), utc(2026, 3, 3, 17, 30), W,
                 go(utc(2026, 3, 3, 17, 30), utc(2026, 3, 3, 21, 30), utc(2026, 3, 9, 21, 30)),
                 id="late-meeting-after-the-wait"),
    # Its answer at 23:00 CET: written at the delay (00:30 CET), sent at 08:00 CET.
    pytest.param(utc(2026, 3, 2, 21, 30), utc(2026, 3, 2, 23, 30),
                 {**W, "debrief_at": utc(2026, 3, 2, 22)},
                 go(utc(2026, 3, 3, 7), utc(2026, 3, 3, 21, 30), utc(2026, 3, 9, 21, 30)),
                 id="late-meeting-answered-at-night"),
    # Ends 01:30 CET Monday: 20 h later is 21:30 CET (window shut) and the deadline 01:30 CET
    # Tuesday; the last slot before it leaving 30 min is 19:30 CET Monday (18:30 UTC).
    pytest.param(utc(2026, 3, 2, 0, 30), utc(2026, 3, 2, 18, 29), W,
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 2, 18, 30)), id="wait-cut-by-the-window"),
    pytest.param(utc(2026, 3, 2, 0, 30), utc(2026, 3, 2, 18, 30), W,
                 go(utc(2026, 3, 2, 18, 30), utc(2026, 3, 3, 0, 30), utc(2026, 3, 9, 0, 30)),
                 id="wait-cut-by-the-window-due"),
    # Ends 11:00 CET, deadline 6 h (17:00 CET): 20 h is past it; the wait ends 16:30 CET.
    pytest.param(utc(2026, 3, 2, 10), utc(2026, 3, 2, 15, 30), {**W, "cadence": TIGHT},
                 go(utc(2026, 3, 2, 15, 30), utc(2026, 3, 2, 16), utc(2026, 3, 9, 10)),
                 id="wait-cut-by-the-deadline"),
    # Deadline 6 h, ends 19:00 CET: no slot before the 01:00 CET deadline is after the 21:00 CET
    # delay, so no wait: late from the start, for review at the delay as without one.
    pytest.param(utc(2026, 3, 2, 18), utc(2026, 3, 2, 20), {**W, "cadence": TIGHT},
                 review(utc(2026, 3, 3, 7), Review.LATE, utc(2026, 3, 9, 18)),
                 id="no-room-to-wait"),
    # The contact wrote meanwhile: still waits, then for review.
    pytest.param(MON_NOON, utc(2026, 3, 2, 13), {**W, "contact_wrote": True},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 3, 7)), id="contact-wrote-waits"),
    pytest.param(MON_NOON, utc(2026, 3, 3, 7), {**W, "contact_wrote": True},
                 review(utc(2026, 3, 3, 7), Review.CONTACT_WROTE, MON_GIVE_UP),
                 id="contact-wrote-after-the-wait"),
    # Asked for by the user: no wait of ours.
    pytest.param(MON_NOON, utc(2026, 3, 2, 13), {**W, "asked": True},
                 go(utc(2026, 3, 2, 13), None, MON_GIVE_UP), id="asked-does-not-wait"),
    # No wait (debriefs off): an answer changes nothing, as before.
    pytest.param(utc(2026, 3, 2, 21, 30), utc(2026, 3, 2, 23, 30),
                 {"debrief_at": utc(2026, 3, 2, 22)},
                 NoThankYou(Skip.NOT_DUE, utc(2026, 3, 3, 7)), id="no-wait-ignores-the-answer"),
]  # fmt: skip


@pytest.mark.parametrize(("end", "now", "facts", "expected"), CASES + WAIT_CASES)
def test_thank_you_timing(
    end: datetime, now: datetime, facts: dict[str, object], expected: ThankYouTiming | NoThankYou
) -> None:
    kwargs: dict[str, object] = {"cadence": CFG, "zone": BERLIN, **facts}
    assert thank_you_timing(end, now=now, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("now", "connected", "oldest"),
    [
        (utc(2026, 3, 10), None, utc(2026, 3, 3)),  # seven days back
        (utc(2026, 3, 10), utc(2026, 3, 9, 12), utc(2026, 3, 8, 12)),  # the horizon is later
        (utc(2026, 3, 10), utc(2026, 3, 1), utc(2026, 3, 3)),  # connected long ago
    ],
)
def test_the_planners_query_bound(
    now: datetime, connected: datetime | None, oldest: datetime
) -> None:
    assert thank_you_oldest_end(now, connected, CFG) == oldest


def test_the_wait_settings() -> None:
    on = DebriefConfig(thank_you_wait_hours=12)
    assert wait_hours(on) == 12
    assert wait_hours(DebriefConfig(enabled=False, thank_you_wait_hours=12)) == 0
    assert wait_hours(None) == 0
    assert DebriefConfig().thank_you_wait_hours == 20
    assert DebriefConfig().thank_you_without == "generic"


def test_a_short_window_keeps_half_of_itself() -> None:
    # 12:00-12:40 CET: the wait may end at 12:20 CET, 11:20 UTC, not before the window opens.
    got = last_window_time(utc(2026, 3, 3), zone=BERLIN, window_start=time(12),
                           window_end=time(12, 40))  # fmt: skip
    assert got == utc(2026, 3, 2, 11, 20)


def test_a_row_may_go_strictly_before_its_deadline() -> None:
    assert not past_deadline(None, utc(2030, 1, 1))
    assert not past_deadline(utc(2026, 3, 3, 11), utc(2026, 3, 3, 10, 59))
    assert past_deadline(utc(2026, 3, 3, 11), utc(2026, 3, 3, 11))


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        thank_you_timing(
            datetime(2026, 3, 2, 11), now=utc(2026, 3, 2, 13), cadence=CFG, zone=BERLIN
        )
