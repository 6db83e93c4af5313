"""The debrief request rules (pure): when to ask, when to remind, who may answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coffeechat.models.debrief.request import (
    ASK_WITHIN,
    Ask,
    DebriefFacts,
    debrief_due,
    meeting_of,
    occurrence,
)
from coffeechat.models.debrief.store import REFUSED_AUTOMATIC, REFUSED_NOT_USER, refusal

END = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
CONNECTED = END - timedelta(days=10)
HORIZON = CONNECTED - timedelta(hours=48)
DAY = timedelta(hours=24)


def due(facts: DebriefFacts, now: datetime, horizon: datetime | None = HORIZON) -> Ask | None:
    return debrief_due(facts, now=now, horizon=horizon, reminder_after=DAY)


def test_asked_once_the_meeting_ended() -> None:
    assert due(DebriefFacts(ended=END), END - timedelta(minutes=1)) is None
    assert due(DebriefFacts(ended=END), END) is Ask.REQUEST
    assert due(DebriefFacts(ended=END), END + timedelta(hours=5)) is Ask.REQUEST


def test_never_for_a_cancelled_or_answered_meeting() -> None:
    assert due(DebriefFacts(ended=END, cancelled=True), END + timedelta(hours=1)) is None
    assert due(DebriefFacts(ended=END, answered=True), END + timedelta(hours=1)) is None
    sent = DebriefFacts(ended=END, requested=True, request_sent_at=END, answered=True)
    assert due(sent, END + 2 * DAY) is None  # answered: no reminder


def test_not_before_connection_nor_long_before_it() -> None:
    assert due(DebriefFacts(ended=END), END + timedelta(hours=1), horizon=None) is None
    old = DebriefFacts(ended=HORIZON)
    assert due(old, HORIZON + timedelta(hours=1)) is None  # over before coffeechat knew it
    assert due(DebriefFacts(ended=END), END + ASK_WITHIN + timedelta(seconds=1)) is None


def test_one_reminder_a_day_after_the_request_went_then_silence() -> None:
    queued = DebriefFacts(ended=END, requested=True)  # not sent yet: no reminder can be due
    assert due(queued, END + 5 * DAY) is None
    sent = DebriefFacts(ended=END, requested=True, request_sent_at=END + timedelta(minutes=5))
    assert due(sent, END + DAY) is None
    assert due(sent, END + DAY + timedelta(minutes=5)) is Ask.REMINDER
    reminded = DebriefFacts(ended=END, requested=True, request_sent_at=END, reminded=True)
    assert due(reminded, END + 10 * DAY) is None
    assert due(DebriefFacts(ended=END, requested=True, request_sent_at=END,
                            cancelled=True), END + 2 * DAY) is None  # fmt: skip


def test_natural_keys_name_their_meeting() -> None:
    assert occurrence(7, Ask.REQUEST) == "meeting:7:debrief"
    assert occurrence(7, Ask.REMINDER) == "meeting:7:debrief-reminder"
    assert meeting_of("meeting:7:debrief") == meeting_of("meeting:7:debrief-reminder") == 7
    assert meeting_of("meeting:7:thanks") is None
    assert meeting_of("meeting:x:debrief") is None


OWN = ("sam@example.net", "sam.seeker@other.example")


@pytest.mark.parametrize(
    ("sender", "by_person", "reason"),
    [
        (("sam@example.net",), True, None),
        (("SAM@Example.NET",), True, None),  # ASCII case is no other person
        (("sam.seeker@other.example",), True, None),  # another of the user's addresses
        (("ada@example.com",), True, REFUSED_NOT_USER),
        (("\u017fam@example.net",), True, REFUSED_NOT_USER),  # a lookalike (long s)
        (("sam@example.net", "eve@example.com"), True, REFUSED_NOT_USER),
        ((), True, REFUSED_NOT_USER),
        (("sam@example.net",), False, REFUSED_AUTOMATIC),  # the user's own auto-reply
    ],
)
def test_only_the_user_in_person_answers(
    sender: tuple[str, ...], by_person: bool, reason: str | None
) -> None:
    assert refusal(sender, OWN, by_person=by_person) == reason
