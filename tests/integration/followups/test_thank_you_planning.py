"""The thank-you's planning over a real database: a review draft's day words, who it thanks for
(once, only when true), and a debrief that comes after the row was written."""

from __future__ import annotations

from datetime import datetime, timedelta

from coffeechat.integrations.config import DebriefConfig
from coffeechat.models.debrief.fields import DebriefFields
from coffeechat.models.debrief.store import store_debrief
from tests.integration.followups.conftest import T0, World

END = T0 + timedelta(hours=3)  # 12:00 Berlin on Monday 2026-03-02
DUE = END + timedelta(hours=2)
WAITED = END + timedelta(hours=20)  # 08:00 Berlin on Tuesday


def held(world: World, end: datetime = END) -> tuple[int, int, int]:
    world.debrief = DebriefConfig()
    cid = world.contact("Ada Lovelace", "ada@example.com", company="Analytical")
    iid = world.interview(cid, "held", thread_subject="Coffee chat about your work?")
    return cid, iid, world.meeting(iid, cid, end)


def answer(world: World, meeting_id: int, at: datetime, fields: DebriefFields) -> None:
    with world.uow() as uow:
        store_debrief(uow, meeting_id=meeting_id, fields=fields, source=f"<a{at}@x>",
                      written_at=at, now=at)  # fmt: skip
        uow.commit()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_review_draft_never_says_today_or_yesterday(world: World) -> None:
    held(world)
    world.debrief = DebriefConfig(thank_you_without="review")
    assert world.plan(WAITED) == ["thank-you-review"]
    [row] = world.rows()
    assert "talk with me on Monday." in flat(row.body_text)
    assert "today" not in row.body_text
    assert "yesterday" not in row.body_text and "today" not in row.body_text


def test_an_automatic_one_still_says_yesterday(world: World) -> None:
    held(world)
    assert world.plan(WAITED) == ["thank-you"]
    [row] = world.rows()
    assert "talk with me yesterday." in flat(row.body_text)


def test_a_review_draft_written_the_same_day_says_the_weekday(world: World) -> None:
    cid, _iid, _mid = held(world)
    world.debrief = None  # no wait: written on the meeting's day
    world.message(cid, None, "<w@analytical.example>", date=END + timedelta(hours=1))
    assert world.plan(DUE) == ["thank-you-review"]  # the contact wrote: the user's call
    [row] = world.rows()
    assert "talk with me on Monday." in flat(row.body_text)
    assert "today" not in row.body_text
