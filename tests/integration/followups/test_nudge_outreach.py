"""Outreach and one nudge: opt-in, once, in the thread, past a return date, not after a reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coffeechat.models.followups.plan import OutreachRefused
from coffeechat.models.store.tables import Contact, Interview, Outbox
from tests.integration.followups.conftest import T0, World

SENT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # Thursday 10:00 Berlin
DUE = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # seven business days later, Monday 10:00


def requested(world: World, tags: list[str]) -> tuple[int, int]:
    cid = world.contact("Ada Lovelace", "ada@example.com", tags=tags)
    iid = world.interview(
        cid,
        "requested",
        outreach_message_id="<o1@example.com>",
        thread_subject="A quick question",
        state_changed_at=SENT,
    )
    world.message(
        cid, iid, "<o1@example.com>", direction="out", date=SENT, subject="A quick question"
    )
    return cid, iid


def test_one_nudge_after_seven_business_days_in_the_thread(world: World) -> None:
    _cid, iid = requested(world, ["nudge"])
    assert world.plan(DUE - timedelta(minutes=1)) == []
    assert world.plan(DUE) == ["nudge"]
    assert world.plan(DUE + timedelta(hours=1)) == []
    [row] = world.rows()
    assert (row.kind, row.occurrence, row.mode, row.not_before) == (
        "nudge",
        "nudge:1",
        "review",
        DUE,
    )
    assert row.subject == "Re: A quick question" and row.in_reply_to == "<o1@example.com>"
    assert row.references == ["<o1@example.com>"]
    # Sent (by the sender, which applies NUDGE_SENT): weeks of silence bring nothing more.
    world.set(Outbox, row.id, status="sent", sent_at=DUE)
    world.set(Interview, iid, state="nudged")
    assert world.plan(DUE + timedelta(days=30)) == []
    assert len(world.rows()) == 1


def test_a_cancelled_nudge_is_never_replaced(world: World) -> None:
    requested(world, ["nudge"])
    world.plan(DUE)
    world.set(Outbox, world.rows()[0].id, status="cancelled")
    assert world.plan(DUE + timedelta(days=3)) == []


def test_outreach_nobody_answered_long_ago_is_never_nudged(world: World) -> None:
    """A first run over years of Sent finds old unanswered outreach: no nudge, not even a draft."""
    requested(world, ["nudge"])
    assert world.plan(DUE + timedelta(days=15)) == []
    assert world.plan(DUE + timedelta(days=700)) == []
    assert world.rows() == []


def test_a_nudge_that_fell_due_while_the_service_was_off_still_goes(world: World) -> None:
    requested(world, ["nudge"])
    assert world.plan(DUE + timedelta(days=13)) == ["nudge"]


def test_no_nudge_without_opting_in(world: World) -> None:
    requested(world, [])
    assert world.plan(DUE + timedelta(days=10)) == []


def test_an_auto_replys_return_date_moves_the_nudge(world: World) -> None:
    _cid, iid = requested(world, ["nudge"])
    back = datetime(2026, 3, 18, tzinfo=UTC) - timedelta(hours=1)  # Wed 18 March 00:00 Berlin
    world.set(Interview, iid, paused_until=back)
    assert world.plan(DUE) == []
    thursday_eight = datetime(2026, 3, 19, 7, 0, tzinfo=UTC)
    assert world.plan(thursday_eight - timedelta(minutes=1)) == []
    assert world.plan(thursday_eight) == ["nudge"]


def test_a_return_date_learned_after_planning_defers_the_pending_nudge(world: World) -> None:
    _cid, iid = requested(world, ["nudge"])
    world.plan(DUE)
    world.set(Interview, iid, paused_until=datetime(2026, 3, 19, 23, tzinfo=UTC))  # Fri 20th
    assert world.plan(DUE + timedelta(minutes=5)) == ["nudge-deferred"]
    # First day back is Friday; the nudge waits for Monday 08:00.
    assert world.rows()[0].not_before == datetime(2026, 3, 23, 7, 0, tzinfo=UTC)
    assert world.plan(DUE + timedelta(minutes=10)) == []


def test_a_reply_stops_the_nudge(world: World) -> None:
    cid, iid = requested(world, ["nudge"])
    world.message(
        cid, iid, "<r1@example.org>", date=SENT + timedelta(days=2), references=["<o1@example.com>"]
    )
    world.set(Interview, iid, state="replied")  # what the inbox does with a reply
    assert world.plan(DUE) == []
    # Even if the state lagged behind, a human reply since the outreach stops it.
    world.set(Interview, iid, state="requested")
    assert world.plan(DUE) == []


def test_outreach_credits_the_introducer_waits_for_review_and_is_queued_once(
    world: World,
) -> None:
    grace = world.contact("Grace Hopper", "grace@example.org")
    ada = world.contact(
        "Ada Lovelace", "ada@example.com", company="Analytical", introduced_by_id=grace
    )
    saturday = T0 + timedelta(days=5)
    row = world.outreach(ada, saturday, nudge=True)
    assert (row.kind, row.occurrence, row.mode, row.status) == (
        "outreach",
        "outreach:1",
        "review",
        "pending",
    )
    assert row.subject == "Grace Hopper suggested I get in touch"
    assert "Grace Hopper suggested I get in touch with you" in row.body_text
    # Monday 08:00 Berlin, not the weekend.
    assert row.not_before == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert world.outreach(ada, saturday).id == row.id
    assert len(world.rows()) == 1
    assert "nudge" in world.get(Contact, ada).tags


def test_outreach_send_now_is_automatic_and_immediate(world: World) -> None:
    ada = world.contact("Ada Lovelace", "ada@example.com")
    row = world.outreach(ada, T0, send_now=True)
    assert (row.mode, row.not_before, row.subject) == ("auto", T0, "A quick question")


def test_outreach_is_refused_for_do_not_contact_and_after_a_reply(world: World) -> None:
    no = world.contact("No Body", "no@example.net", do_not_contact=True)
    with pytest.raises(OutreachRefused, match="do-not-contact"):
        world.outreach(no, T0)
    cid = world.contact("Ada Lovelace", "ada@example.com")
    world.interview(cid, "replied")
    with pytest.raises(OutreachRefused, match="already replied"):
        world.outreach(cid, T0)
    assert world.rows() == []
