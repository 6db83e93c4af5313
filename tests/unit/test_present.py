"""How the command line words times and events (deployments/cli/present.py): pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from coffeechat.deployments.cli.present import day, event_words, grouped_words, local, relative

NOW = datetime(2026, 12, 5, 13, 2, 30, 123456, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(seconds=-59), "just now"),
        (timedelta(minutes=12), "in 12 min"),
        (timedelta(minutes=-59), "59 min ago"),
        (timedelta(hours=3, minutes=10), "in 3 h"),
        (timedelta(hours=-47), "47 h ago"),
        (timedelta(days=2), "in 2 days"),
        (timedelta(days=-9, hours=-5), "9 days ago"),
    ],
)
def test_relative(delta: timedelta, expected: str) -> None:
    assert relative(NOW + delta, NOW) == expected


def test_local_time_in_the_zone_without_microseconds_and_year_only_when_not_this_year() -> None:
    assert local(NOW, NOW, PARIS) == "Sat 5 Dec 14:02"
    assert local(NOW - timedelta(days=340), NOW, PARIS) == "Tue 30 Dec 2025 14:02"
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert local(summer, NOW, PARIS) == "Wed 1 Jul 14:00"  # CEST: UTC+2
    assert day(date(2026, 12, 2), NOW, PARIS) == "2 Dec"
    # Late on the 1st in UTC is already the 2nd in Paris.
    assert day(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), NOW, PARIS) == "2 Dec"


def test_a_state_change_is_told_with_its_cause() -> None:
    events = [
        ("StateChanged", {"old": "requested", "new": "replied", "cause": "reply"}),
        ("ReplyReceived", {"message_id": "<r@x>", "rule": "human"}),
        ("ReferralSuggested", {"address": "babbage@engines.example", "name": "Charles"}),
    ]
    lines = [text for text, _ in grouped_words(events, "Ada Lovelace", NOW, PARIS)]
    assert lines == [
        "requested → replied: reply from Ada Lovelace",
        "suggested talking to Charles <babbage@engines.example>",
    ]


def test_a_state_change_without_its_cause_stands_alone_and_unknown_events_keep_their_name() -> None:
    events = [("StateChanged", {"old": "replied", "new": "scheduled", "cause": "calendar"})]
    assert [t for t, _ in grouped_words(events, "Ada", NOW, PARIS)] == ["replied → scheduled"]
    assert event_words("SomethingNew", {}, "Ada", NOW, PARIS) == "SomethingNew"


def test_the_prep_sheet_email_is_not_told_twice() -> None:
    events: list[tuple[str, dict[str, Any]]] = [
        ("StateChanged", {"old": "scheduled", "new": "prepped", "cause": ""}),
        ("PrepSheetDelivered", {"meeting_id": 1, "path": "/p", "is_update": False}),
        ("EmailSent", {"kind": "prep_sheet", "message_id": "<p@x>", "to": "jo@example.com"}),
    ]
    lines = [t for t, _ in grouped_words(events, "Ada", NOW, PARIS)]
    assert lines == ["scheduled → prepped: prep sheet sent to you"]


def test_meeting_times_are_local() -> None:
    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC).isoformat()
    text = event_words(
        "MeetingScheduled", {"meeting_id": 1, "start": start, "end": start}, "Ada", NOW, PARIS
    )
    assert text == "meeting booked for Sun 6 Dec 10:00"


def test_a_kept_promise_and_advice_acted_on_in_words() -> None:
    kept = {"kind": "promise", "ref": "P3", "text": "send my portfolio", "note": "sent it Monday"}
    assert (
        event_words("PromiseKept", kept, "Ada", NOW, PARIS)
        == "you kept your promise: send my portfolio (sent it Monday)"
    )
    advice = {"kind": "advice", "ref": "A1", "text": "try the meetups", "note": ""}
    assert (
        event_words("PromiseKept", advice, "Ada", NOW, PARIS)
        == "you acted on their advice: try the meetups"
    )
