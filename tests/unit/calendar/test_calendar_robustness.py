"""Robustness: every calendar shipped with icalendar and recurring_ical_events, and fuzzed input."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
from calendar_fixtures import FIXTURES, load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffeechat.models.calendar import Window, inspect_calendar, parse_calendar

OCCURRENCE_KEYS = {
    "uid",
    "recurrence_id",
    "start",
    "end",
    "timezone",
    "all_day",
    "status",
    "summary",
    "video_link",
}


def _shipped() -> list[Path]:
    """Every .ics file inside the installed icalendar and recurring_ical_events packages."""
    roots = (Path(icalendar.__file__).parent, Path(recurring_ical_events.__file__).parent)
    return sorted(path for root in roots for path in root.rglob("*.ics"))


SHIPPED = _shipped()


def assert_shape(report: dict[str, object]) -> None:
    """Check the documented `inspect calendar --json` shape, and that it is JSON."""
    # "readable": False appears only for a file that is not a calendar at all.
    assert set(report) - {"readable"} == {"components", "occurrences", "skipped"}
    assert report.get("readable", True) is (report.get("readable") is None)
    assert isinstance(report["components"], int)
    occurrences, skipped = report["occurrences"], report["skipped"]
    assert isinstance(occurrences, list) and isinstance(skipped, list)
    for occurrence in occurrences:
        assert set(occurrence) == OCCURRENCE_KEYS
        start = occurrence["start"]
        if occurrence["all_day"]:  # an all-day occurrence is shown as its date
            assert date.fromisoformat(start) and len(start) == 10
        else:
            assert datetime.fromisoformat(start).tzinfo is not None
        assert occurrence["status"] in {"CONFIRMED", "TENTATIVE", "CANCELLED"}
    for skip in skipped:
        assert set(skip) == {"uid", "reason"} and skip["reason"]
    json.dumps(report)


def test_the_corpus_is_there() -> None:
    assert len(SHIPPED) > 100


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_calendar_is_inspected_without_error(path: Path) -> None:
    report = inspect_calendar(path.read_bytes(), start=None, end=None, default_tz="Europe/Berlin")
    assert_shape(report)


@pytest.mark.parametrize("path", SHIPPED[::7], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_calendar_in_a_fixed_window(path: Path) -> None:
    report = inspect_calendar(
        path.read_bytes(),
        start=datetime(2019, 1, 1, tzinfo=UTC),
        end=datetime(2019, 4, 1, tzinfo=UTC),
    )
    assert_shape(report)


def test_inspect_our_fixture() -> None:
    report = inspect_calendar(load("broken.ics"), start=datetime(2026, 3, 1, tzinfo=UTC), end=None)
    assert_shape(report)
    assert report["components"] == 6
    assert len(report["skipped"]) == 5  # type: ignore[arg-type]


SEED = [p.read_text() for p in sorted(FIXTURES.glob("*.ics"))]
WINDOW = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@st.composite
def mutated_calendars(draw: st.DrawFn) -> str:
    """A fixture with some lines dropped, duplicated, truncated or replaced by noise."""
    lines = draw(st.sampled_from(SEED)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "cut", "noise", "swap"]))
        if action == "drop":
            del lines[index]
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "cut":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        elif action == "noise":
            lines[index] = draw(st.text(max_size=40))
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        if not lines:
            break
    return "\r\n".join(lines)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_calendars())
def test_mutated_calendars_never_raise(text: str) -> None:
    parsed = parse_calendar(text, WINDOW, default_tz="Europe/Berlin")
    for occurrence in parsed.occurrences:
        assert occurrence.start.tzinfo is UTC
    assert_shape(inspect_calendar(text.encode("utf-8", "surrogatepass"), start=None, end=None))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes | str) -> None:
    parsed = parse_calendar(data, WINDOW)
    assert isinstance(parsed.skipped, tuple)
    assert_shape(
        inspect_calendar(
            data if isinstance(data, bytes) else data.encode("utf-8", "replace"),
            start=None,
            end=None,
        )
    )
