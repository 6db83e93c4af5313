"""The planner's thank-you with debriefs on: it waits for the answer, quotes its public fields,
thanks for people suggested, and goes generic (or to review) without one."""

from __future__ import annotations

from datetime import datetime, timedelta

from coffeechat.integrations.config import DebriefConfig
from coffeechat.models.debrief.fields import DebriefFields, PersonMention, PromiseMention
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.followups.plan import REASON_NO_DEBRIEF
from coffeechat.models.store.tables import Referral
from tests.integration.followups.conftest import T0, World

END = T0 + timedelta(hours=3)  # 12:00 Berlin on Monday 2026-03-02
DUE = END + timedelta(hours=2)
WAITED = END + timedelta(hours=20)  # 08:00 Berlin on Tuesday
ANSWER = DebriefFields(
    learned=("they are reorganising the platform group",),
    advice=("Talk to the platform team before applying", "read Team Topologies"),
    people=(PersonMention("Charles Babbage", "charles@engine.example"),),
    promises=(PromiseMention("send my portfolio"),),
    offers=("a referral once I apply",),
    next_step=("update my CV",),
    unplaced=("she seemed tired",),
)
PRIVATE = ("reorganising", "portfolio", "a referral once", "update my CV", "seemed tired")


def held(world: World) -> tuple[int, int]:
    world.debrief = DebriefConfig()
    cid = world.contact("Ada Lovelace", "ada@example.com", company="Analytical")
    iid = world.interview(cid, "held", thread_subject="Coffee chat about your work?")
    return cid, world.meeting(iid, cid, END)


def answer(world: World, meeting_id: int, at: datetime, fields: DebriefFields = ANSWER) -> None:
    with world.uow() as uow:
        store_debrief(uow, meeting_id=meeting_id, fields=fields, source=f"<a{at}@x>",
                      written_at=at, now=at)  # fmt: skip
        uow.commit()


def test_without_an_answer_it_waits_then_goes_generic(world: World) -> None:
    held(world)
    assert world.plan(DUE) == []
    assert world.plan(WAITED - timedelta(minutes=1)) == []
    assert world.plan(WAITED) == ["thank-you"]
    [row] = world.rows()
    assert (row.mode, row.not_before, row.not_after) == ("auto", WAITED, END + timedelta(hours=24))
    assert "talk with me yesterday. I really appreciated you sharing what your work at " \
           "Analytical is like." in row.body_text  # fmt: skip


def test_an_answer_releases_it_with_the_users_words(world: World) -> None:
    _cid, mid = held(world)
    answer(world, mid, END + timedelta(hours=1))
    assert world.plan(DUE) == ["thank-you"]
    [row] = world.rows()
    assert row.not_before == DUE
    body = " ".join(row.body_text.split())
    assert "with me today about your work at Analytical, and for suggesting I talk to" in body
    assert "Team Topologies" not in body  # two specifics: one piece of advice and one person
    assert "suggesting I talk to the platform team before applying. I'm taking that" in body
    assert "grateful you suggested I talk to Charles Babbage and passed on how" in body
    for private in PRIVATE:
        assert private not in row.body_text


def test_an_answer_after_the_row_changes_its_text_never_its_timing(world: World) -> None:
    _cid, mid = held(world)
    assert world.plan(WAITED) == ["thank-you"]
    [before] = world.rows()
    answer(world, mid, WAITED + timedelta(minutes=5))
    assert world.plan(WAITED + timedelta(minutes=10)) == ["thank-you-rewritten"]
    assert world.plan(WAITED + timedelta(minutes=15)) == []
    [row] = world.rows()
    assert (row.not_before, row.not_after, row.mode) == (
        before.not_before,
        before.not_after,
        "auto",
    )
    body = " ".join(row.body_text.split())
    assert "suggesting I talk to the platform team before applying." in body
    assert "talk with me yesterday" in body  # as of the row's send time, as before


def test_an_answer_with_private_fields_only_is_generic_but_releases_it(world: World) -> None:
    _cid, mid = held(world)
    answer(world, mid, END + timedelta(hours=1), DebriefFields(learned=("a secret",)))
    assert world.plan(DUE) == ["thank-you"]
    [row] = world.rows()
    assert "a secret" not in row.body_text
    assert "what your work at Analytical is like" in row.body_text


def test_a_referral_from_this_contact_is_thanked_for(world: World) -> None:
    cid, _mid = held(world)
    world.add(Referral(account_id=world.account_id, from_contact_id=cid, address=None,
                       name="Grace Hopper", status="proposed", created_at=END))  # fmt: skip
    world.add(Referral(account_id=world.account_id, from_contact_id=cid, address="x@y.example",
                       name="Declined Person", status="dismissed", created_at=END))  # fmt: skip
    world.plan(WAITED)
    [row] = world.rows()
    assert "especially grateful you suggested I talk to Grace Hopper." in row.body_text
    assert "Declined" not in row.body_text


def test_review_without_an_answer_when_configured(world: World) -> None:
    held(world)
    world.debrief = DebriefConfig(thank_you_without="review")
    assert world.plan(WAITED) == ["thank-you-review"]
    [row] = world.rows()
    assert (row.mode, row.last_error, row.not_after) == ("review", REASON_NO_DEBRIEF, None)


def test_debriefs_off_is_todays_thank_you(world: World) -> None:
    held(world)
    world.debrief = DebriefConfig(enabled=False, thank_you_without="review")
    assert world.plan(DUE) == ["thank-you"]
    [row] = world.rows()
    assert (row.mode, row.not_before) == ("auto", DUE)
