"""The introducer hears that someone they introduced was met only once that meeting is settled.

On SQLite and PostgreSQL: Ada introduced Charles; Charles's meeting ends while Ada's update
interval has run out, so only the rule in updates.py (``met_news_at`` and the met person's
thank-you) holds her update back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from coffeechat.models.followups.next_due import DueRules, next_due
from coffeechat.models.followups.updates import met_news_at
from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import Move
from coffeechat.models.store.tables import Contact, Outbox
from tests.integration.followups.conftest import T0, World

END = T0 + timedelta(days=28, minutes=5)  # Monday 09:05 Berlin, Ada's interval has run out


def _introduced_and_met(world: World) -> int:
    """Ada (thanked at T0) introduced Charles, whose meeting ends at END; returns Charles."""
    ada = world.contact("Ada Lovelace", "ada@example.com")
    iid = world.interview(ada, "thanked", thread_subject="A quick question")
    world.add(Outbox(account_id=world.account_id, interview_id=iid, kind="thank_you",
                     occurrence="meeting:0:thanks", message_id="<thanks@example.com>",
                     status="sent", to_addr="ada@example.com", subject="Re: A quick question",
                     body_text="Thank you", not_before=T0, created_at=T0,
                     sent_at=T0))  # fmt: skip
    charles = world.contact("Charles Babbage", "charles@example.org", introduced_by_id=ada)
    world.meeting(world.interview(charles, "held"), charles, END)
    return charles


def _charles_thanks(world: World, *steps: Move) -> None:
    with world.factory() as s:
        row = s.scalars(select(Outbox).where(Outbox.to_addr == "charles@example.org")).one()
        for step in steps:
            assert move(s, step, Outbox.id == row.id) == 1
        s.commit()


def _ada_updates(world: World) -> list[Outbox]:
    return [r for r in world.rows("update") if r.to_addr == "ada@example.com"]


def test_not_minutes_after_the_call_nor_before_the_met_person_is_thanked(world: World) -> None:
    _introduced_and_met(world)
    settled = met_news_at(END, world.cadence)
    assert settled == END + timedelta(hours=26)  # the 24 h thank-you deadline and a margin
    assert world.plan(END + timedelta(minutes=5)) == []  # the demo's old 5 minutes
    assert world.plan(END + timedelta(hours=2)) == ["thank-you"]  # Charles's, pending
    _charles_thanks(world, Move.CLAIM, Move.CONFIRM_SENT)
    assert world.plan(END + timedelta(hours=3)) == []  # thanked, but the meeting is too fresh
    assert world.plan(settled - timedelta(minutes=1)) == []
    assert world.plan(settled) == ["update"]
    [update] = _ada_updates(world)
    assert "Charles Babbage" in update.body_text


@pytest.mark.parametrize(
    "fate",
    ["pending", "draft", "unsettled", "sent", "failed", "draft deleted", "by hand"],
)
def test_the_met_persons_thank_you_went_or_was_given_up(world: World, fate: str) -> None:
    charles = _introduced_and_met(world)
    if fate == "by hand":  # the user thanked Charles from their phone: no row of ours
        world.message(charles, None, "<mine@example.com>", direction="out",
                      date=END + timedelta(hours=1))  # fmt: skip
    assert world.plan(END + timedelta(hours=2)) in (["thank-you"], ["thanked-by-user"])
    steps = {
        "draft": (Move.PLACE_DRAFT,),
        "unsettled": (Move.CLAIM, Move.OUTCOME_UNKNOWN),
        "sent": (Move.CLAIM, Move.CONFIRM_SENT),
        "failed": (Move.CLAIM, Move.FAIL),
        "draft deleted": (Move.PLACE_DRAFT, Move.CANCEL),
    }
    if fate in steps:
        _charles_thanks(world, *steps[fate])
    later = met_news_at(END, world.cadence) + timedelta(hours=1)
    waits = fate in ("pending", "draft", "unsettled")
    assert world.plan(later) == ([] if waits else ["update"])
    if waits:  # a thank-you left in Drafts or in doubt holds the news back a week, not for ever
        assert world.plan(END + timedelta(days=6)) == []
        assert world.plan(END + timedelta(days=8)) == ["update"]
        [update] = _ada_updates(world)
        assert "Charles Babbage" in update.body_text


def test_no_thank_you_can_be_written_the_introducer_hears_at_the_give_up_time(
    world: World,
) -> None:
    charles = _introduced_and_met(world)
    world.set(Contact, charles, do_not_contact=True)  # no thank-you will ever be written
    assert world.plan(END + timedelta(days=6)) == []
    assert world.plan(END + timedelta(days=7)) == ["update"]


def test_the_service_wakes_when_the_introducer_may_hear(world: World) -> None:
    _introduced_and_met(world)
    world.plan(END + timedelta(hours=2))
    _charles_thanks(world, Move.CLAIM, Move.CONFIRM_SENT)
    seen = END + timedelta(hours=3)
    rules = DueRules(cadence=world.cadence, zone=ZoneInfo("Europe/Berlin"),
                     prep_lead=timedelta(hours=24))  # fmt: skip
    with world.factory() as s:
        wake: datetime | None = next_due(s, world.account_id, now=seen, after=seen, rules=rules)
    assert wake == met_news_at(END, world.cadence)
    assert world.plan(wake) == ["update"]


def test_the_service_wakes_at_the_give_up_time_when_no_thank_you_can_go(world: World) -> None:
    charles = _introduced_and_met(world)
    world.set(Contact, charles, do_not_contact=True)
    seen = END + timedelta(days=2)
    rules = DueRules(cadence=world.cadence, zone=ZoneInfo("Europe/Berlin"),
                     prep_lead=timedelta(hours=24))  # fmt: skip
    with world.factory() as s:
        wake = next_due(s, world.account_id, now=seen, after=seen, rules=rules)
    assert wake == END + timedelta(days=7)
    assert world.plan(wake) == ["update"]
