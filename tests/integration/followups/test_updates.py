"""Updates: only with news, never more often than the interval, milestones to all who helped."""

from __future__ import annotations

from datetime import timedelta

from coffeechat.models.store.tables import Note, Outbox
from tests.integration.followups.conftest import T0, World

THANKED_AT = T0  # Monday 09:00 Berlin
LATER = T0 + timedelta(days=28)  # also a Monday


def thanked(world: World, name: str, email: str, **fields: object) -> tuple[int, int]:
    cid = world.contact(name, email, **fields)
    iid = world.interview(cid, "thanked", thread_subject="A quick question")
    mid = world.meeting(iid, cid, THANKED_AT - timedelta(hours=3))
    world.add(
        Outbox(
            account_id=world.account_id,
            interview_id=iid,
            kind="thank_you",
            occurrence=f"meeting:{mid}:thanks",
            message_id=f"<thanks{mid}@example.com>",
            status="sent",
            to_addr=email,
            subject="Re: A quick question",
            body_text="Thank you",
            not_before=THANKED_AT,
            created_at=THANKED_AT,
            sent_at=THANKED_AT,
        )
    )
    return cid, iid


def test_no_news_no_update(world: World) -> None:
    thanked(world, "Ada Lovelace", "ada@example.com")
    assert world.plan(LATER + timedelta(days=60)) == []


def test_a_note_for_update_waits_for_the_interval_and_is_reported_once(world: World) -> None:
    ada, iid = thanked(world, "Ada Lovelace", "ada@example.com")
    note = world.note(ada, "I applied to the team you mentioned", T0 + timedelta(days=2), True)
    assert world.plan(LATER - timedelta(hours=1)) == []
    assert world.plan(LATER) == ["update"]
    assert world.plan(LATER + timedelta(days=40)) == []
    [row] = world.rows("update")
    assert (row.occurrence, row.mode, row.interview_id) == ("update:2026-03-30", "auto", iid)
    assert "- I applied to the team you mentioned" in row.body_text
    assert row.subject == "Re: A quick question"
    assert row.in_reply_to is not None and row.in_reply_to.startswith("<thanks")
    assert world.get(Note, note).reported_at == LATER


def test_an_introduced_person_met_is_news_for_the_introducer(world: World) -> None:
    ada, _ = thanked(world, "Ada Lovelace", "ada@example.com")
    bob = world.contact("Bob Babbage", "bob@example.net", introduced_by_id=ada)
    bob_interview = world.interview(bob, "held")
    world.meeting(bob_interview, bob, T0 + timedelta(days=20))
    assert world.plan(LATER) == ["update"]
    [row] = world.rows("update")
    assert row.to_addr == "ada@example.com"
    assert "Thanks to you, I got to speak with Bob Babbage." in row.body_text


def test_a_milestone_goes_to_everyone_who_helped_and_credits_introducers(world: World) -> None:
    ada, _ = thanked(world, "Ada Lovelace", "ada@example.com")
    thanked(world, "Bob Babbage", "bob@example.net", introduced_by_id=ada)
    asked = world.contact("Cy Pending", "cy@example.net")
    world.interview(asked, "requested")
    gone = world.contact("Di Gone", "di@example.net", do_not_contact=True)
    world.interview(gone, "thanked")
    milestone = world.milestone("I start at Analytical Engines in May", LATER - timedelta(days=1))
    assert sorted(world.plan(LATER)) == ["update", "update"]
    rows = world.rows("update")
    assert [r.to_addr for r in rows] == ["ada@example.com", "bob@example.net"]
    assert {r.occurrence for r in rows} == {f"milestone:{milestone}"}
    assert all("- I start at Analytical Engines in May" in r.body_text for r in rows)
    assert "thanks again to Ada Lovelace for putting us in touch" in rows[1].body_text
    assert world.plan(LATER + timedelta(days=1)) == []


def test_a_milestone_soon_after_a_thank_you_waits_for_the_interval(world: World) -> None:
    thanked(world, "Ada Lovelace", "ada@example.com")
    world.milestone("New job", T0 + timedelta(days=3))
    assert world.plan(T0 + timedelta(days=4)) == []
    assert world.plan(LATER) == ["update"]
