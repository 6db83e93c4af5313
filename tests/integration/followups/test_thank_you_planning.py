"""The thank-you's planning over a real database: a review draft's day words, who it thanks for
(once, only when true), and a debrief that comes after the row was written."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from coffeechat.integrations.config import DebriefConfig
from coffeechat.models.contacts.referrals import accept
from coffeechat.models.debrief.fields import DebriefFields, PersonMention
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.store.tables import Contact, Interview, Outbox, Referral
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


# Whom it thanks for: once, only when true.

CHARLES = PersonMention("Charles Babbage", "charles@engine.example")
ADVICE = DebriefFields(advice=("Try the community meetups",))
LATER = END + timedelta(days=60)  # a second meeting two months on (a Friday, 12:00 Berlin)


def sent(world: World, row_id: int) -> None:
    world.set(Outbox, row_id, status="sent", sent_at=world.get(Outbox, row_id).not_before)


def second_meeting(world: World, cid: int, iid: int) -> int:
    world.set(Interview, iid, state="held")
    return world.meeting(iid, cid, LATER)


def test_a_second_meeting_does_not_thank_again_for_the_same_person(world: World) -> None:
    cid, iid, mid = held(world)
    answer(world, mid, END + timedelta(hours=1), DebriefFields(people=(CHARLES,)))
    assert world.plan(DUE) == ["thank-you"]
    [first] = world.rows()
    assert "suggested I talk to Charles Babbage" in flat(first.body_text)
    sent(world, first.id)
    later = second_meeting(world, cid, iid)
    answer(world, later, LATER + timedelta(hours=1), ADVICE)
    assert world.plan(LATER + timedelta(hours=2)) == ["thank-you"]
    second = world.rows()[-1]
    assert "Charles" not in second.body_text
    assert "try the community meetups" in flat(second.body_text)


def test_the_debrief_naming_a_person_told_before_does_not_thank_again(world: World) -> None:
    cid, iid, mid = held(world)
    answer(world, mid, END + timedelta(hours=1), DebriefFields(people=(CHARLES,)))
    world.plan(DUE)
    sent(world, world.rows()[0].id)
    later = second_meeting(world, cid, iid)
    answer(world, later, LATER + timedelta(hours=1), DebriefFields(people=(CHARLES,)))
    world.plan(LATER + timedelta(hours=2))
    assert "Charles" not in world.rows()[-1].body_text


def test_a_name_told_wrapped_across_lines_is_still_told(world: World) -> None:
    cid, iid, mid = held(world)
    answer(world, mid, END + timedelta(hours=1), DebriefFields(people=(CHARLES,)))
    world.plan(DUE)
    [first] = world.rows()
    world.set(Outbox, first.id, body_text="Thanks for suggesting Charles\n  Babbage to me.")
    sent(world, first.id)
    later = second_meeting(world, cid, iid)
    answer(world, later, LATER + timedelta(hours=1), DebriefFields(people=(CHARLES,)))
    world.plan(LATER + timedelta(hours=2))
    assert "Charles" not in world.rows()[-1].body_text


def test_a_person_an_update_told_about_is_not_thanked_for(world: World) -> None:
    cid, iid, _mid = held(world)
    grace = world.contact("Grace Hopper", "grace@navy.example")
    world.set(Contact, grace, introduction_reported_at=END + timedelta(days=30))
    world.add(Referral(account_id=world.account_id, from_contact_id=cid, to_contact_id=grace,
                       name="Grace Hopper", address="grace@navy.example", status="approved",
                       created_at=END + timedelta(days=10)))  # fmt: skip
    second_meeting(world, cid, iid)
    world.plan(DUE)  # the first meeting's thank-you, before Grace was suggested
    world.plan(LATER + timedelta(hours=20))
    assert "Grace" not in world.rows()[-1].body_text


def test_a_referral_made_between_meetings_is_thanked_for_at_the_second(world: World) -> None:
    cid, iid, _mid = held(world)
    world.plan(WAITED)
    sent(world, world.rows()[0].id)
    world.add(Referral(account_id=world.account_id, from_contact_id=cid, name="Grace Hopper",
                       address=None, origin="reply", status="proposed",
                       created_at=END + timedelta(days=10)))  # fmt: skip
    second_meeting(world, cid, iid)
    world.plan(LATER + timedelta(hours=20))
    assert "suggested I talk to Grace Hopper." in flat(world.rows()[-1].body_text)


def test_a_person_the_user_declined_is_never_thanked_for(world: World) -> None:
    cid, _iid, mid = held(world)
    world.add(Referral(account_id=world.account_id, from_contact_id=cid, name="Charles Babbage",
                       address=None, origin="debrief", status="dismissed",
                       created_at=END - timedelta(days=3)))  # fmt: skip
    answer(
        world, mid, END + timedelta(hours=1), DebriefFields(people=(CHARLES,), advice=ADVICE.advice)
    )
    world.plan(DUE)
    [row] = world.rows()
    assert "Charles" not in row.body_text
    assert "try the community meetups" in flat(row.body_text)


def test_an_address_the_user_found_is_not_passed_on_by_the_contact(world: World) -> None:
    _cid, _iid, mid = held(world)
    named = PersonMention("Grace Hopper")
    answer(world, mid, END + timedelta(minutes=30), DebriefFields(people=(named,)))
    with world.uow() as uow:
        [ref] = uow.session.scalars(select(Referral)).all()
        accept(uow, ref.id, now=END + timedelta(minutes=40), email="grace@navy.example")
        uow.commit()
    # A newer answer no longer names her; the accepted referral stays, with the user's address.
    answer(world, mid, END + timedelta(hours=1), ADVICE)
    world.plan(DUE)
    body = flat(world.rows()[0].body_text)
    assert "suggested I talk to Grace Hopper." in body
    assert "how to reach" not in body


def test_an_address_by_hand_is_not_passed_on_but_one_from_the_reply_is(world: World) -> None:
    cid, _iid, _mid = held(world)
    world.add(Referral(account_id=world.account_id, from_contact_id=cid, name="Grace Hopper",
                       address="grace@navy.example", origin="manual", status="proposed",
                       created_at=END))  # fmt: skip
    world.plan(WAITED)
    body = flat(world.rows()[0].body_text)
    assert "suggested I talk to Grace Hopper." in body and "how to reach" not in body


def test_an_address_in_the_contacts_reply_is_passed_on(world: World) -> None:
    cid, _iid, _mid = held(world)
    world.add(Referral(account_id=world.account_id, from_contact_id=cid, name="Grace Hopper",
                       address="grace@navy.example", origin="reply", status="approved",
                       created_at=END))  # fmt: skip
    world.plan(WAITED)
    assert "Grace Hopper and passed on how to reach them" in flat(world.rows()[0].body_text)


# A debrief after the row: its text, never its timing; never a row on its way.

EVENING = END + timedelta(hours=9)  # 21:00 Berlin: the row waits for the morning
FIRST = DebriefFields(advice=("Try the community meetups",))
CORRECTED = DebriefFields(advice=("Read the platform team's blog",))


def test_a_corrected_debrief_rewrites_the_row_queued_for_the_morning(world: World) -> None:
    _cid, _iid, mid = held(world)
    answer(world, mid, EVENING, FIRST)
    assert world.plan(EVENING + timedelta(minutes=1)) == ["thank-you"]
    [queued] = world.rows()
    assert "community meetups" in queued.body_text
    answer(world, mid, EVENING + timedelta(hours=1), CORRECTED)
    assert world.plan(EVENING + timedelta(hours=1, minutes=1)) == ["thank-you-rewritten"]
    [row] = world.rows()
    assert "read the platform team's blog" in flat(row.body_text)
    assert "community meetups" not in row.body_text
    assert (row.not_before, row.not_after) == (queued.not_before, queued.not_after)
    assert row.message_id == queued.message_id


def test_the_same_text_whichever_answer_is_read_first(world: World) -> None:
    _cid, _iid, mid = held(world)
    with world.uow() as uow:  # the newer answer (by Date) is read first, the older one after
        store_debrief(uow, meeting_id=mid, fields=CORRECTED, source="<b@x>",
                      written_at=EVENING + timedelta(hours=1), now=EVENING)  # fmt: skip
        uow.commit()
    world.plan(EVENING + timedelta(minutes=1))
    answer(world, mid, EVENING, FIRST)  # older: the newer answer stays
    assert world.plan(EVENING + timedelta(hours=1, minutes=1)) == []
    [row] = world.rows()
    assert "read the platform team's blog" in flat(row.body_text)
    assert "community meetups" not in row.body_text


def test_an_answer_after_a_generic_row_gives_it_the_users_words(world: World) -> None:
    _cid, _iid, mid = held(world)
    world.plan(WAITED)
    answer(world, mid, WAITED + timedelta(minutes=1), FIRST)
    assert world.plan(WAITED + timedelta(minutes=2)) == ["thank-you-rewritten"]
    assert "try the community meetups" in flat(world.rows()[0].body_text)


def test_a_row_claimed_in_drafts_or_for_review_is_never_rewritten(world: World) -> None:
    _cid, _iid, mid = held(world)
    answer(world, mid, EVENING, FIRST)
    world.plan(EVENING + timedelta(minutes=1))
    [row] = world.rows()
    for status, mode in (("sending", "auto"), ("draft", "review"), ("pending", "review")):
        world.set(Outbox, row.id, status=status, mode=mode)
        answer(world, mid, EVENING + timedelta(hours=1), CORRECTED)
        assert world.plan(EVENING + timedelta(hours=1, minutes=1)) == []
        assert world.get(Outbox, row.id).body_text == row.body_text
        world.set(Outbox, row.id, status="sent", mode="auto")
        assert world.plan(EVENING + timedelta(hours=1, minutes=1)) == []
        assert world.get(Outbox, row.id).body_text == row.body_text


def test_a_row_back_in_pending_after_a_try_keeps_its_text(world: World) -> None:
    # Claimed, then a retry or a resend after review: the first try may have reached Ada
    # under this Message-ID, so a later answer must not make a second, different thank-you.
    _cid, _iid, mid = held(world)
    answer(world, mid, EVENING, FIRST)
    world.plan(EVENING + timedelta(minutes=1))
    [row] = world.rows()
    world.set(Outbox, row.id, attempts=1, claimed_at=EVENING + timedelta(minutes=2))
    answer(world, mid, EVENING + timedelta(hours=1), CORRECTED)
    assert world.plan(EVENING + timedelta(hours=1, minutes=1)) == []
    assert world.get(Outbox, row.id).body_text == row.body_text


def test_a_row_put_to_review_when_the_contact_writes_loses_today(world: World) -> None:
    cid, _iid, _mid = held(world)
    world.debrief = None  # no wait: written on the meeting's day for the same afternoon
    assert world.plan(DUE) == ["thank-you"]
    assert "talk with me today" in world.rows()[0].body_text
    world.message(cid, None, "<w@analytical.example>", date=DUE + timedelta(minutes=5))
    assert world.plan(DUE + timedelta(minutes=10)) == ["thank-you-to-review"]
    [row] = world.rows()
    assert row.mode == "review"
    assert "talk with me on Monday" in row.body_text and "today" not in row.body_text
