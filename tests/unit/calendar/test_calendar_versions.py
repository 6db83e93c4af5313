"""Version ordering, change detection, vanished meetings and emailed invitations (iTIP)."""

from __future__ import annotations

from dataclasses import replace

from calendar_fixtures import by_uid, load, parse, utc

from coffeechat.models.calendar import (
    ItipKind,
    Occurrence,
    apply_itip,
    changes,
    disappeared,
    is_newer,
    merge,
    parse_calendar,
)
from coffeechat.models.calendar.itip import itip_kind
from coffeechat.models.calendar.types import Window


def meeting(**overrides: object) -> Occurrence:
    """A plain meeting, adjusted by keyword."""
    base = Occurrence(
        uid="m1",
        recurrence_id=None,
        start=utc(2026, 3, 10, 9),
        end=utc(2026, 3, 10, 10),
        timezone="Europe/Berlin",
        all_day=False,
        status="CONFIRMED",
        summary="Chat",
        description="",
        location="Room 1",
        video_link=None,
        organizer="ada@example.com",
        attendees=("ada@example.com",),
        sequence=0,
        dtstamp=utc(2026, 3, 1),
        last_modified=None,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_sequence_then_dtstamp_then_last_modified() -> None:
    assert is_newer(meeting(sequence=1), meeting(sequence=0, dtstamp=utc(2026, 3, 9)))
    assert is_newer(meeting(dtstamp=utc(2026, 3, 2)), meeting())
    assert is_newer(meeting(last_modified=utc(2026, 3, 2)), meeting())  # Apple bumps only this
    assert not is_newer(meeting(), meeting())


def test_changes_names_the_fields() -> None:
    old = meeting()
    new = meeting(start=utc(2026, 3, 11, 9), location="Room 2")
    assert changes(old, new) == {"start", "location"}
    assert changes(old, old) == frozenset()


def test_same_sequence_location_change_is_an_update() -> None:
    result = merge([meeting()], [meeting(location="Café")])  # Google: SEQUENCE stays 0
    assert [u.fields for u in result.updated] == [frozenset({"location"})]


def test_older_version_arriving_late_is_stale() -> None:
    result = merge([meeting(sequence=2)], [meeting(sequence=1, start=utc(2026, 3, 12, 9))])
    assert result.stale and not result.updated


def test_merge_adds_and_keeps_unchanged() -> None:
    other = meeting(uid="m2")
    result = merge([meeting()], [meeting(), other])
    assert result.added == (other,) and result.unchanged == (meeting(),)


def test_meeting_missing_from_feed_is_cancelled_only_if_future() -> None:
    feed = parse_calendar(load("request.ics"), Window(utc(2026, 3, 1), utc(2026, 6, 1)))
    past = meeting(uid="past", start=utc(2026, 3, 2, 9), end=utc(2026, 3, 2, 10))
    future = meeting(uid="gone", start=utc(2026, 3, 20, 9), end=utc(2026, 3, 20, 10))
    still = feed.occurrences[0]
    gone = disappeared([past, future, still], feed, now=utc(2026, 3, 5))
    assert [(o.uid, o.status) for o in gone] == [("gone", "CANCELLED")]


def test_unreadable_feed_cancels_nothing() -> None:
    feed = parse_calendar(b"<html>502 Bad Gateway</html>", Window(utc(2026, 3, 1), utc(2026, 6, 1)))
    future = meeting(start=utc(2026, 3, 20, 9), end=utc(2026, 3, 20, 10))
    assert disappeared([future], feed, now=utc(2026, 3, 5)) == ()


def test_skipped_component_is_not_treated_as_vanished() -> None:
    feed = parse("broken.ics")
    known = meeting(uid="bad-dtstart@example.com", start=utc(2026, 3, 20), end=utc(2026, 3, 21))
    assert disappeared([known], feed, now=utc(2026, 3, 5)) == ()


def test_itip_kinds() -> None:
    assert itip_kind("request") is ItipKind.REQUEST
    assert itip_kind("CANCEL") is ItipKind.CANCEL
    assert itip_kind("REPLY") is ItipKind.ANSWER and itip_kind("COUNTER") is ItipKind.ANSWER
    assert itip_kind(None) is ItipKind.PUBLISH


def test_request_adds_an_invitation() -> None:
    parsed = parse("request.ics")
    outcome = apply_itip([], parsed)
    assert outcome.kind is ItipKind.REQUEST
    (added,) = outcome.merge.added
    assert added.video_link == "https://meet.google.com/xyz-abcd-efg"


def test_request_reschedule_at_same_sequence() -> None:
    known = parse("request.ics").occurrences
    moved = load("request.ics").replace(b"20260318T150000Z", b"20260319T150000Z")
    moved = moved.replace(b"20260318T153000Z", b"20260319T153000Z")
    outcome = apply_itip(known, parse_calendar(moved, Window(utc(2026, 3, 1), utc(2026, 4, 1))))
    (update,) = outcome.merge.updated
    assert {"start", "end"} <= update.fields


def test_cancel_whole_series_covers_known_instances_outside_the_message() -> None:
    known = by_uid(parse("recurring.ics"), "series-moved@example.com")
    outcome = apply_itip(known, parse("cancel.ics"))
    assert outcome.kind is ItipKind.CANCEL
    assert {o.status for o in outcome.cancelled} == {"CANCELLED"}
    assert len(outcome.cancelled) == len([o for o in known if o.status != "CANCELLED"])


def test_cancel_one_instance_leaves_the_rest() -> None:
    window = Window(utc(2026, 3, 4), utc(2026, 3, 7))
    known = by_uid(parse("recurring.ics", window), "forever@example.com")
    outcome = apply_itip(known, parse("cancel.ics", window))
    assert [o.recurrence_id for o in outcome.cancelled] == ["2026-03-05T17:00:00+00:00"]


def test_reply_changes_nothing() -> None:
    reply = load("request.ics").replace(b"METHOD:REQUEST", b"METHOD:REPLY")
    parsed = parse_calendar(reply, Window(utc(2026, 3, 1), utc(2026, 4, 1)))
    outcome = apply_itip([], parsed)
    assert outcome.kind is ItipKind.ANSWER and not outcome.merge.added
