"""Every hostile calendar shape is read, or refused cleanly, and never raises.

Time and memory budgets are measured by the hostile benchmark in a subprocess under a
resource limit; here each shape only has to come out as a well-formed answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from coffeechat.models.calendar import MAX_CALENDAR_BYTES, Window, inspect_calendar, parse_calendar
from tests.hostile.calendar_shapes import big_feed, shapes

SHAPES = dict(shapes())
# The window an emailed invitation is read in (models/inbox/record.py): a year.
YEAR = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_there_are_enough_distinct_shapes() -> None:
    names = [name for name, _ in shapes()]
    assert len(names) >= 25 and len(set(names)) == len(names)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shape_is_parsed_or_refused_without_raising(name: str) -> None:
    parsed = parse_calendar(SHAPES[name], YEAR, default_tz="Europe/Berlin")
    assert parsed.readable or parsed.skipped  # refused: it says why
    for skip in parsed.skipped:
        assert skip.reason
    if parsed.readable and b"good@x" in SHAPES[name]:
        # The ordinary meeting next to the hostile part survives it.
        assert any(o.uid == "good@x" for o in parsed.occurrences), parsed.skipped[:3]


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shape_is_inspected_without_raising(name: str) -> None:
    report = inspect_calendar(SHAPES[name])
    json.dumps(report)
    assert set(report) - {"readable"} == {"components", "occurrences", "skipped"}


def test_big_feed_is_generated_to_size_and_refused_over_the_cap() -> None:
    data = big_feed(MAX_CALENDAR_BYTES + 1000)
    assert len(data) > MAX_CALENDAR_BYTES
    parsed = parse_calendar(data, YEAR)
    assert not parsed.readable and "over" in parsed.skipped[0].reason
