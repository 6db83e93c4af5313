"""Thank-yous: planned once, in the thread, on time, and never where they would be wrong."""

from __future__ import annotations

from datetime import timedelta

from coffeechat.models.followups.plan import REASON_CONTACT_WROTE, REASON_LATE
from coffeechat.models.store.tables import ContactEmail, Meeting, Outbox
from tests.integration.followups.conftest import T0, World

END = T0 + timedelta(hours=3)  # 12:00 Berlin on Monday 2026-03-02
DUE = END + timedelta(hours=2)


def held(world: World, **contact: object) -> tuple[int, int, int]:
    cid = world.contact("Ada Lovelace", "ada@example.com", company="Analytical", **contact)
    iid = world.interview(cid, "held", thread_subject="Coffee chat about your work?")
    mid = world.meeting(iid, cid, END)
    return cid, iid, mid


def test_planned_when_due_exactly_once_and_in_the_thread(world: World) -> None:
    cid, iid, mid = held(world)
    world.message(
        cid,
        iid,
        "<o1@example.com>",
        direction="out",
        date=T0 - timedelta(days=9),
        subject="Coffee chat about your work?",
    )
    world.message(
        cid,
        iid,
        "<r1@analytical.example>",
        date=T0 - timedelta(days=8),
        subject="Re: Coffee chat about your work?",
        references=["<o1@example.com>"],
        in_reply_to="<o1@example.com>",
    )
    world.message(
        cid, iid, "<ooo@analytical.example>", kind="auto_reply", date=T0 - timedelta(days=7)
    )
    assert world.plan(DUE - timedelta(minutes=1)) == []
    assert world.plan(DUE) == ["thank-you"]
    assert world.plan(DUE + timedelta(minutes=5)) == []
    assert world.plan(DUE + timedelta(hours=30)) == []
    [row] = world.rows()
    assert (row.kind, row.occurrence, row.interview_id) == (
        "thank_you",
        f"meeting:{mid}:thanks",
        iid,
    )
    assert (row.status, row.mode, row.to_addr) == ("pending", "auto", "ada@example.com")
    assert row.not_before == DUE and row.not_after == END + timedelta(hours=24)
    assert row.subject == "Re: Coffee chat about your work?"
    assert row.in_reply_to == "<r1@analytical.example>"
    assert row.references == ["<o1@example.com>", "<r1@analytical.example>"]
    assert row.message_id.endswith("@example.com>")
    assert row.body_text.startswith("Hi Ada,\n") and "Jo Seeker\nUX researcher" in row.body_text


def test_a_fresh_message_when_there_is_no_thread(world: World) -> None:
    cid = world.contact("Grace Hopper", "grace@example.org")
    iid = world.interview(cid, "held")
    world.meeting(iid, cid, END)
    world.plan(DUE)
    [row] = world.rows()
    assert row.subject == "Thank you, Grace" and row.in_reply_to is None and row.references == []


def test_the_users_notes_never_reach_the_contact_in_a_thank_you(world: World) -> None:
    # Notes are the user's own jottings, as private as what they learned: "Salary band is
    # 90-110k" must never be quoted to Ada. What she hears comes from the debrief's advice.
    cid, _iid, _mid = held(world)
    world.note(cid, "ask about the platform team", END - timedelta(days=1))
    world.note(cid, "Salary band is 90-110k", END + timedelta(minutes=10))
    world.note(cid, "Layoffs coming in Q2", END + timedelta(minutes=15))
    world.note(cid, "applied at Analytical", END + timedelta(minutes=20), for_update=True)
    world.plan(DUE)
    body = world.rows()[0].body_text
    for absent in ("platform team", "90-110k", "Layoffs", "applied at", "taking away"):
        assert absent not in body


def test_an_evening_meeting_is_thanked_next_morning(world: World) -> None:
    cid = world.contact("Ada Lovelace", "ada@example.com")
    iid = world.interview(cid, "held")
    end = T0 + timedelta(hours=10)  # 19:00 Berlin
    world.meeting(iid, cid, end)
    assert world.plan(end + timedelta(hours=2)) == []  # 21:00: outside the window
    assert world.plan(T0 + timedelta(days=1)) == ["thank-you"]  # Tuesday 09:00
    row = world.rows()[0]
    assert row.not_before == T0 + timedelta(days=1) and row.mode == "auto"


def test_late_planning_is_never_automatic(world: World) -> None:
    held(world)
    world.plan(END + timedelta(hours=25))
    row = world.rows()[0]
    assert (row.mode, row.not_after, row.last_error) == ("review", None, REASON_LATE)


def test_cancelled_meeting_do_not_contact_and_bounced_address_get_nothing(world: World) -> None:
    _cid, _iid, mid = held(world)
    world.set(Meeting, mid, status="CANCELLED")
    other = world.contact("Bo Nett", "bo@example.net", do_not_contact=True)
    world.meeting(world.interview(other, "held"), other, END)
    bounced = world.contact("Cy Bounce", "cy@example.net")
    with world.factory() as s:
        s.query(ContactEmail).filter_by(contact_id=bounced).update({"status": "bounced"})
        s.commit()
    world.meeting(world.interview(bounced, "held"), bounced, END)
    assert world.plan(DUE) == []
    assert world.rows() == []


def test_a_contact_who_wrote_since_gets_a_thank_you_for_review(world: World) -> None:
    cid, iid, _mid = held(world)
    world.message(cid, iid, "<r2@analytical.example>", date=END + timedelta(minutes=30))
    assert world.plan(DUE) == ["thank-you-review"]
    row = world.rows()[0]
    assert (row.mode, row.last_error) == ("review", REASON_CONTACT_WROTE)
    assert row.in_reply_to == "<r2@analytical.example>"


def test_a_pending_thank_you_goes_to_review_when_the_contact_writes(world: World) -> None:
    cid, iid, _mid = held(world)
    world.plan(DUE)
    world.message(cid, iid, "<r3@analytical.example>", date=DUE + timedelta(minutes=1))
    assert world.plan(DUE + timedelta(minutes=2)) == ["thank-you-to-review"]
    assert world.rows()[0].mode == "review"
    world.set(Outbox, world.rows()[0].id, status="sending")
    assert world.plan(DUE + timedelta(minutes=3)) == []


def test_the_user_following_up_by_hand_means_no_thank_you(world: World) -> None:
    cid, iid, _mid = held(world)
    world.message(cid, iid, "<mine@example.com>", direction="out", date=END + timedelta(hours=1))
    # Their own mail is the thank-you: none from us, and the interview moves on to 'thanked'
    # (once: a second run finds nothing held any more).
    assert world.plan(DUE) == ["thanked-by-user"]
    assert world.rows() == []
    assert world.plan(DUE + timedelta(hours=1)) == []


def test_only_the_latest_meeting_and_not_a_stale_one(world: World) -> None:
    cid, iid, _mid = held(world)
    latest = world.meeting(iid, cid, END + timedelta(minutes=40))
    world.plan(DUE + timedelta(hours=1))
    assert [r.occurrence for r in world.rows()] == [f"meeting:{latest}:thanks"]
    old = world.contact("Old Friend", "old@example.net")
    world.meeting(world.interview(old, "held"), old, END - timedelta(days=8))
    assert world.plan(DUE + timedelta(hours=2)) == []
