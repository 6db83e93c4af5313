"""News counts as told while the update carrying it went out or still will, never twice.

On SQLite and PostgreSQL: a kept promise, a note for the update and someone the contact
introduced who was met go in one update; what then happens to that update's outbox row (sent,
dropped in review, failed, cancelled, unsettled) decides whether the next update tells them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from coffeechat.models.debrief.fields import DebriefFields, PromiseMention
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.followups.promises import list_items, mark_done
from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import Move, Status
from coffeechat.models.store.tables import Outbox, Promise, Referral
from tests.integration.followups.conftest import T0, World

LATER = T0 + timedelta(days=28)  # a Monday, past the update interval
NEXT_DAY = LATER + timedelta(days=1)
KEPT = "I sent her my portfolio on Tuesday"
NEWS = "I applied to the platform team"


def _thanked(world: World) -> tuple[int, int]:
    """Ada, met and thanked at T0; returns (her id, the meeting's id)."""
    ada = world.contact("Ada Lovelace", "ada@example.com")
    iid = world.interview(ada, "thanked", thread_subject="A quick question")
    mid = world.meeting(iid, ada, T0 - timedelta(hours=3))
    world.add(Outbox(account_id=world.account_id, interview_id=iid, kind="thank_you",
                     occurrence=f"meeting:{mid}:thanks", message_id="<thanks@example.com>",
                     status="sent", to_addr="ada@example.com", subject="Re: A quick question",
                     body_text="Thank you", not_before=T0, created_at=T0,
                     sent_at=T0))  # fmt: skip
    return ada, mid


def _news_for_ada(world: World) -> int:
    """A promise kept, a note for the update, and Charles (whom Ada introduced) met."""
    ada, meeting = _thanked(world)
    fields = DebriefFields(promises=(PromiseMention("send her my portfolio", date(2026, 3, 9)),))
    with world.uow() as uow:
        store_debrief(uow, meeting_id=meeting, fields=fields, source="<d@example.com>",
                      written_at=T0, now=T0)  # fmt: skip
        mark_done(uow, "P1", KEPT, now=T0 + timedelta(days=2))
        uow.commit()
    world.note(ada, NEWS, T0 + timedelta(days=3), True)
    charles = world.contact("Charles Babbage", "charles@example.org")
    world.add(Referral(account_id=world.account_id, from_contact_id=ada, to_contact_id=charles,
                       address="charles@example.org", name="Charles Babbage", status="approved",
                       created_at=T0))  # fmt: skip
    world.meeting(world.interview(charles, "held"), charles, T0 + timedelta(days=10))
    return ada


def _moves(world: World, row_id: int, steps: Sequence[Move]) -> None:
    with world.factory() as s:
        for step in steps:
            assert move(s, step, Outbox.id == row_id) == 1
        s.commit()


def _tells_all(body: str) -> bool:
    return KEPT in body and NEWS in body and "Charles Babbage" in body


DEAD = {
    "dropped in review": (Move.PLACE_DRAFT, Move.CANCEL),  # the user deleted the draft
    "cancelled": (Move.CANCEL,),
    "failed": (Move.CLAIM, Move.FAIL),
    "unsettled, then dropped": (Move.CLAIM, Move.OUTCOME_UNKNOWN, Move.DROP),
}


@pytest.mark.parametrize("fate", list(DEAD))
def test_news_in_an_update_that_reached_nobody_goes_in_the_next_one_once(
    world: World, fate: str
) -> None:
    ada = _news_for_ada(world)
    assert world.plan(LATER) == ["update"]
    [first] = world.rows("update")
    assert _tells_all(first.body_text)
    _moves(world, first.id, DEAD[fate])
    with world.factory() as s:
        [item] = list_items(s, world.account_id, status="done")
        assert (item.told, item.reported_at) == (None, None)  # news again
    assert world.plan(NEXT_DAY) == ["update"]
    second = world.rows("update")[-1]
    assert second.id != first.id and _tells_all(second.body_text)
    # The first row can never go now: a failed one is dropped, superseded by the second.
    assert world.get(Outbox, first.id).status == Status.CANCELLED
    _moves(world, second.id, (Move.CLAIM, Move.CONFIRM_SENT))
    world.note(ada, "I start on Monday", NEXT_DAY + timedelta(days=1), True)
    assert world.plan(NEXT_DAY + timedelta(days=60)) == ["update"]
    third = world.rows("update")[-1]
    assert "I start on Monday" in third.body_text
    assert not any(t in third.body_text for t in (KEPT, NEWS, "Charles"))


@pytest.mark.parametrize(
    "steps",
    [(), (Move.PLACE_DRAFT,), (Move.CLAIM, Move.OUTCOME_UNKNOWN), (Move.CLAIM, Move.CONFIRM_SENT)],
    ids=["pending", "draft", "needs review", "sent"],
)
def test_news_in_an_update_that_went_or_may_still_go_is_never_told_again(
    world: World, steps: tuple[Move, ...]
) -> None:
    ada = _news_for_ada(world)
    assert world.plan(LATER) == ["update"]
    [first] = world.rows("update")
    _moves(world, first.id, steps)
    with world.factory() as s:
        [item] = list_items(s, world.account_id, status="done")
        assert item.told is not None and item.told.row_id == first.id
        assert item.told.sent is (Move.CONFIRM_SENT in steps)
    # Past the interval and with new news, the next update repeats nothing of the first.
    world.note(ada, "I start on Monday", LATER + timedelta(days=1), True)
    assert world.plan(LATER + timedelta(days=60)) == ["update"]
    later = world.rows("update")[-1]
    assert not any(t in later.body_text for t in (KEPT, NEWS, "Charles"))


def test_news_marked_told_before_rows_were_recorded_stays_told(world: World) -> None:
    _news_for_ada(world)
    with world.factory() as s:
        [promise] = s.scalars(select(Promise)).all()
        promise.reported_at = T0 + timedelta(days=4)  # as migration 0012 found it: no row
        s.commit()
    assert world.plan(LATER) == ["update"]
    [row] = world.rows("update")
    assert KEPT not in row.body_text and NEWS in row.body_text


def test_a_milestone_in_an_update_that_reached_nobody_does_not_block_the_next(
    world: World,
) -> None:
    # Its key (milestone:<id>) is taken by the dropped row: the next update takes another.
    ada = _news_for_ada(world)
    world.milestone("I got the job at Analytical Engines", T0 + timedelta(days=5))
    assert world.plan(LATER) == ["update"]
    [first] = world.rows("update")
    assert first.occurrence == "milestone:1" and "I got the job" in first.body_text
    _moves(world, first.id, DEAD["dropped in review"])
    assert world.plan(LATER + timedelta(hours=1)) == ["update"]  # the same day, too
    second = world.rows("update")[-1]
    assert second.occurrence == "milestone:1:2"
    assert _tells_all(second.body_text) and "I got the job" in second.body_text
    # That one went: the milestone's key keeps it once, whatever else is news later.
    _moves(world, second.id, (Move.CLAIM, Move.CONFIRM_SENT))
    world.note(ada, "I start on Monday", LATER + timedelta(days=1), True)
    assert world.plan(LATER + timedelta(days=60)) == ["update"]
    third = world.rows("update")[-1]
    assert third.occurrence.startswith("update:") and "I got the job" not in third.body_text
