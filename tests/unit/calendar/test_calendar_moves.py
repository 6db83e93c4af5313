"""A recurring series whose start moves: each instance is rescheduled, none cancelled or added."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from calendar_fixtures import utc
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coffeechat.models.calendar import (
    Occurrence,
    ParsedCalendar,
    Window,
    apply_itip,
    disappeared,
    merge,
    parse_calendar,
)
from coffeechat.models.calendar.versions import pair_moves

WINDOW = Window(utc(2026, 3, 1), utc(2026, 4, 1))
NOW = utc(2026, 3, 2, 12)


def series(
    start: str = "20260303T100000",
    *,
    seq: int = 0,
    count: int = 4,
    freq: str = "WEEKLY",
    extra: str = "",
    overrides: str = "",
) -> ParsedCalendar:
    """A weekly series in Berlin (the master and any override components), parsed."""
    end = start[:9] + f"{int(start[9:11]) + 1:02d}" + start[11:]
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260301T100000Z\r\n"
        f"SEQUENCE:{seq}\r\nDTSTART;TZID=Europe/Berlin:{start}\r\n"
        f"DTEND;TZID=Europe/Berlin:{end}\r\nRRULE:FREQ={freq};COUNT={count}\r\n{extra}"
        "SUMMARY:Coffee with Ada\r\nATTENDEE:mailto:ada@example.com\r\nEND:VEVENT\r\n"
        f"{overrides}END:VCALENDAR\r\n"
    )
    return parse_calendar(text, WINDOW, default_tz="Europe/Berlin")


def override(rid: str, start: str, *, seq: int = 0) -> str:
    """An override of one instance, moved to `start` (Berlin time)."""
    end = start[:9] + f"{int(start[9:11]) + 1:02d}" + start[11:]
    return (
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260301T100000Z\r\n"
        f"SEQUENCE:{seq}\r\nRECURRENCE-ID;TZID=Europe/Berlin:{rid}\r\n"
        f"DTSTART;TZID=Europe/Berlin:{start}\r\nDTEND;TZID=Europe/Berlin:{end}\r\n"
        "SUMMARY:Coffee with Ada\r\nATTENDEE:mailto:ada@example.com\r\nEND:VEVENT\r\n"
    )


def starts(occs: tuple[Occurrence, ...] | list[Occurrence]) -> list[datetime]:
    """Start times, in order."""
    return sorted(o.start for o in occs)


def test_series_moved_by_an_hour_is_four_reschedules() -> None:
    old = series().occurrences
    moved = series("20260303T110000", seq=1)
    assert {o.key for o in old}.isdisjoint({o.key for o in moved.occurrences})  # every RID moved
    result = merge(old, moved.occurrences, now=NOW)
    assert not result.added and not result.stale
    assert len(result.updated) == 4
    for upd in result.updated:  # the n-th old instance is the n-th new one, an hour later
        assert upd.new.start - upd.old.start == timedelta(hours=1)
        assert {"start", "end"} <= upd.fields
    assert disappeared(old, moved, NOW) == ()


def test_an_emailed_request_moving_the_series_reschedules_and_cancels_nothing() -> None:
    old = series().occurrences
    moved = replace(series("20260303T110000", seq=1), method="REQUEST")
    outcome = apply_itip(old, moved, now=NOW)
    assert not outcome.merge.added and not outcome.cancelled
    assert [u.new.start - u.old.start for u in outcome.merge.updated] == [timedelta(hours=1)] * 4


def test_an_emailed_override_of_one_instance_pairs_nothing() -> None:
    # A REQUEST holding one instance, moved by a day: its key is known, so it is an update.
    old = series().occurrences
    one = override("20260310T100000", "20260311T100000", seq=1)
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n{one}END:VCALENDAR\r\n"
    message = parse_calendar(text, WINDOW, default_tz="Europe/Berlin")
    outcome = apply_itip(old, message, now=NOW)
    [upd] = outcome.merge.updated
    assert upd.old.key == upd.new.key and not outcome.merge.added
    assert pair_moves(old, message.occurrences) == []


def test_instances_already_past_keep_their_times_and_take_the_new_key() -> None:
    old = series().occurrences
    later = utc(2026, 3, 12)  # two instances (3 and 10 March) have happened
    moved = series("20260303T110000", seq=1)
    result = merge(old, moved.occurrences, now=later)
    past = [u for u in result.updated if u.old.end <= later]
    future = [u for u in result.updated if u.old.end > later]
    assert len(past) == 2 and len(future) == 2
    for upd in past:
        assert upd.fields == frozenset() and upd.new.start == upd.old.start
        assert upd.new.recurrence_id != upd.old.recurrence_id and upd.new.sequence == 1
    assert all(u.new.start - u.old.start == timedelta(hours=1) for u in future)


def test_override_that_keeps_its_recurrence_id_matches_by_key() -> None:
    # The second instance was moved on its own to Thursday; the series then moved by an hour,
    # and the client left the override under its old RECURRENCE-ID.
    thursday = override("20260310T100000", "20260312T150000")
    old = series(overrides=thursday).occurrences
    moved = series("20260303T110000", seq=1, overrides=thursday)
    result = merge(old, moved.occurrences, now=NOW)
    assert not result.added
    kept = [o for o in result.unchanged if o.recurrence_id == old[1].recurrence_id]
    assert [o.start for o in kept] == [utc(2026, 3, 12, 14)]
    assert len(result.updated) == 3
    assert all(u.new.start - u.old.start == timedelta(hours=1) for u in result.updated)


def test_exdate_in_the_new_version_cancels_that_instance_only() -> None:
    old = series().occurrences
    moved = series("20260303T110000", seq=1, extra="EXDATE;TZID=Europe/Berlin:20260317T110000\r\n")
    result = merge(old, moved.occurrences, now=NOW)
    assert len(result.updated) == 3 and not result.added
    [gone] = disappeared(old, moved, NOW)
    assert gone.start == utc(2026, 3, 17, 9) and gone.status == "CANCELLED"


def test_window_edge_does_not_shift_the_pairing() -> None:
    # The old version's first instance is outside the new window: nothing slides by one.
    old = series().occurrences
    moved = series("20260303T110000", seq=1)
    later_window = Window(utc(2026, 3, 5), utc(2026, 4, 1))
    visible = tuple(o for o in moved.occurrences if o.start >= later_window.start)
    result = merge(old, visible, now=NOW)
    assert len(result.updated) == 3
    assert all(u.new.start - u.old.start == timedelta(hours=1) for u in result.updated)


def test_daily_series_moved_by_a_day_is_not_a_move() -> None:
    # Same keys on most days; the one left at each end is not paired across the window.
    old = series(freq="DAILY", count=10).occurrences
    new = series("20260304T100000", freq="DAILY", count=10, seq=1).occurrences
    assert pair_moves(old, new) == []
    result = merge(old, new, now=NOW)
    assert len(result.added) == 1 and len(result.unchanged) == 9 and not result.updated


def test_older_version_of_a_moved_series_is_stale() -> None:
    old = series(seq=2).occurrences
    late = series("20260303T110000", seq=1).occurrences
    result = merge(old, late, now=NOW)
    assert len(result.stale) == 4 and not result.updated and not result.added


def test_cancelled_instances_take_no_part() -> None:
    old = list(series().occurrences)
    old[2] = replace(old[2], status="CANCELLED")
    moved = series("20260303T110000", seq=1).occurrences
    pairs = pair_moves(old, moved)
    assert len(pairs) == 3 and all(o.status != "CANCELLED" for _, o in pairs)


def test_pairing_cost_is_bounded_for_a_dense_series() -> None:
    # Every 15 minutes for three weeks: candidates are found by bisection, not all pairs. Built
    # directly: the parser no longer expands sub-daily rules, which are not meetings.
    period = timedelta(minutes=15)
    old = [instance(i, period, timedelta(0), 0) for i in range(2000)]
    new = [instance(i, period, timedelta(minutes=5), 1) for i in range(2000)]
    assert len(pair_moves(old, new)) == len(old) == 2000


def instance(index: int, period: timedelta, shift: timedelta, seq: int) -> Occurrence:
    """The index-th instance of a synthetic series, its RECURRENCE-ID moved by `shift`."""
    at = utc(2026, 1, 5, 9) + index * period + shift
    return Occurrence(
        uid="s",
        recurrence_id=at.isoformat(),
        start=at,
        end=at + timedelta(minutes=30),
        timezone="UTC",
        all_day=False,
        status="CONFIRMED",
        summary="Chat",
        description="",
        location="",
        video_link=None,
        organizer=None,
        attendees=(),
        sequence=seq,
        dtstamp=None,
        last_modified=None,
    )


@settings(max_examples=300, deadline=None)
@given(
    period_hours=st.sampled_from([1, 24, 48, 168, 336]),
    shift_fraction=st.floats(min_value=-0.49, max_value=0.49).filter(lambda f: abs(f) > 0.001),
    stored=st.tuples(st.integers(0, 40), st.integers(0, 40)).map(sorted),
    window=st.tuples(st.integers(0, 45), st.integers(0, 45)).map(sorted),
    dropped=st.sets(st.integers(0, 45), max_size=8),
    kept=st.sets(st.integers(0, 45), max_size=3),
)
def test_each_instance_pairs_with_itself_moved(
    period_hours: int,
    shift_fraction: float,
    stored: list[int],
    window: list[int],
    dropped: set[int],
    kept: set[int],
) -> None:
    # Stored: every instance ever seen (history included); the window shows another span,
    # since moved on; some instances dropped (EXDATE) and some overrides keep their old key.
    period = timedelta(hours=period_hours)
    shift = timedelta(minutes=round(shift_fraction * period_hours * 60))
    assume(shift)  # no shift: the same keys, nothing moved
    old_idx = set(range(stored[0], stored[1] + 1))
    kept &= old_idx  # an override keeps the key the old version gave it
    new_idx = set(range(window[0], window[1] + 1)) - dropped
    old = [instance(i, period, timedelta(0), 0) for i in sorted(old_idx)]
    new = [instance(i, period, shift if i not in kept else timedelta(0), 1) for i in new_idx]
    pairs = {new_key: o.key for new_key, o in pair_moves(old, new)}
    # The one shift shared by most instances, and each instance paired with itself moved.
    moved = old_idx & (new_idx - kept)
    expected = {
        instance(i, period, shift, 1).key: instance(i, period, timedelta(0), 0).key for i in moved
    }
    if len(old_idx) > 1 or len(new_idx) > 1:
        assert pairs == expected
    # One instance on each side and nothing to tell the series' spacing: taken as a move.
