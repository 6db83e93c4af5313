"""The month's oracle rules for the thank-you's wait (T1 of issue 14), as pure functions.

The oracle is what decides whether the simulated month passes, so its own reading of the rule is
pinned here on hand-worked cases: when the wait for a debrief answer ends, and which answers
release the thank-you early (so it must quote them) or come too late (so it must not).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from tests.simulation.oracle import Oracle, in_window
from tests.simulation.oracle_talk import last_open, thanks_expected
from tests.simulation.scenario import BERLIN, Person, Persona
from tests.simulation.world import Answer, ContactLog

MONDAY = datetime(2026, 10, 12, 0, 0, tzinfo=BERLIN)


class Steps:
    """The oracle's clock steps (hourly here) and nothing else."""

    def __init__(self) -> None:
        self.steps = [MONDAY + timedelta(minutes=20 + 60 * i) for i in range(24 * 5)]

    def first_step(
        self, at: datetime, *, window: bool = False, weekdays: bool = False
    ) -> datetime | None:
        """As Oracle.first_step."""
        return next(
            (s for s in self.steps if s >= at and (not window or in_window(s, weekdays=weekdays))),
            None,
        )


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=BERLIN)


def log_with(answer_at: datetime | None) -> ContactLog:
    person = Person("Ada Lovelace", "ada@example.com", "Engines", "Staff Engineer")
    log = ContactLog(Persona(person, "meet", None, by_hand=False, nudge=False))
    if answer_at is not None:
        log.debriefs.append(Answer(answer_at, answer_at, "<a@x>", answer_at))
    return log


def test_the_last_open_moment_before_a_deadline() -> None:
    assert last_open(berlin(13, 15)) == berlin(13, 15).astimezone(UTC)
    assert last_open(berlin(13, 22)) == berlin(13, 20).astimezone(UTC)
    # The window opens only at the deadline: the evening before is the last chance.
    assert last_open(berlin(13, 8)) == berlin(12, 20).astimezone(UTC)


def test_an_answer_in_time_releases_the_thank_you_at_the_delay() -> None:
    end = berlin(13, 10, 30)
    expected = thanks_expected(cast(Oracle, Steps()), end, log_with(berlin(13, 11, 20)))
    assert expected.cites is True
    assert expected.lower == end + timedelta(hours=2)
    assert expected.upper == berlin(13, 13, 20)  # the first step from 12:30


def test_an_answer_after_the_earliest_moment_releases_it_then() -> None:
    end = berlin(13, 10, 30)
    expected = thanks_expected(cast(Oracle, Steps()), end, log_with(berlin(13, 16, 20)))
    assert expected.cites is True
    assert (expected.lower, expected.upper) == (berlin(13, 16, 20), berlin(13, 16, 20))


def test_without_an_answer_it_waits_twenty_hours_then_goes_in_the_window() -> None:
    end = berlin(13, 10, 30)
    for answer in (None, berlin(14, 7, 20), berlin(14, 12, 0)):
        expected = thanks_expected(cast(Oracle, Steps()), end, log_with(answer))
        assert expected.cites is False
        assert expected.lower == end + timedelta(hours=20)  # 06:30, before the window opens
        assert expected.upper == berlin(14, 8, 20)
        assert expected.deadline == end + timedelta(hours=24)


def test_an_evening_meeting_waits_until_the_next_afternoon() -> None:
    end = berlin(13, 18, 0)
    expected = thanks_expected(cast(Oracle, Steps()), end, log_with(None))
    assert (expected.lower, expected.upper) == (berlin(14, 14, 0), berlin(14, 14, 20))
