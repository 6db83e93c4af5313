"""``next_due``: when an idle service must wake, checked against the planner and the sender.

A table of situations gives the expected moment; for the planner's moments an oracle runs the
real planner (in a transaction rolled back) just before and at the moment: it must act no
earlier than ``next_due`` says, or the service would sleep through it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from coffeechat.integrations.config import DebriefConfig
from coffeechat.models.followups.cadence import wait_hours
from coffeechat.models.followups.next_due import RETRY, DueRules, change_marker, next_due
from coffeechat.models.followups.plan import plan_followups
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.store.tables import Contact, Meeting, Outbox, PrepSheet
from tests.testbed.records import T0, USER, World, planner_world, txt

LEAD = timedelta(hours=24)


@pytest.fixture
def world(engine: Engine) -> World:
    return planner_world(engine)


def due(world: World, now: datetime = T0, after: datetime | None = T0) -> datetime | None:
    rules = DueRules(cadence=world.cadence, zone=ZoneInfo("Europe/Berlin"), prep_lead=LEAD,
                     thank_you_wait_hours=wait_hours(world.debrief))  # fmt: skip
    with world.factory() as s:
        return next_due(s, world.account_id, now=now, after=after, rules=rules)


def planner_acts(world: World, now: datetime) -> list[str]:
    """What the planner would do at ``now``; nothing is kept."""
    with world.uow() as uow:
        return plan_followups(
            uow,
            now=now,
            cadence=world.cadence,
            modes=world.modes,
            user_email=USER,
            render=txt,
            debrief=world.debrief,
        )


def pending(world: World, interview_id: int, not_before: datetime, status: str) -> int:
    return world.add(
        Outbox(account_id=world.account_id, interview_id=interview_id, kind="nudge",
               occurrence=f"n:{not_before.isoformat()}:{status}",
               message_id=f"<{status}-{not_before.timestamp()}@x>", status=status,
               to_addr="ada@example.com", subject="s", body_text="b", not_before=not_before,
               created_at=T0)
    )  # fmt: skip


def unended(world: World, interview_id: int, contact_id: int, end: datetime) -> int:
    """A meeting the calendar sync has not yet seen end."""
    meeting = world.meeting(interview_id, contact_id, end)
    world.set(Meeting, meeting, ended_handled=False)
    return meeting


def test_nothing_known_nothing_due(world: World) -> None:
    assert due(world) is None
    assert due(world, after=None) is None


@pytest.mark.parametrize(
    ("status", "offset", "expected"),
    [
        ("pending", timedelta(hours=2), T0 + timedelta(hours=2)),  # due later: its time
        ("pending", -timedelta(hours=2), T0 + RETRY),  # seen due and left: looked at again
        ("sent", timedelta(hours=2), None),
        ("cancelled", timedelta(hours=2), None),
        ("needs_review", timedelta(hours=2), None),
    ],
)
def test_outbox_rows_the_sender_acts_on(
    world: World, status: str, offset: timedelta, expected: datetime | None
) -> None:
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.REQUESTED.value)
    pending(world, interview, T0 + offset, status)
    assert due(world) == expected


def test_no_cycle_yet_everything_known_is_due(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.REQUESTED.value)
    pending(world, interview, T0 - timedelta(days=3), "pending")
    assert due(world, after=None) == T0 - timedelta(days=3)


def test_prep_sheet_at_the_lead_time_then_the_meeting_end(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.SCHEDULED.value)
    end = T0 + timedelta(hours=30, minutes=30)
    meeting = unended(world, interview, ada, end)
    start = end - timedelta(minutes=30)
    assert due(world) == start - LEAD
    world.add(PrepSheet(account_id=world.account_id, meeting_id=meeting, meeting_version=1,
                        interview_id=interview, created_at=T0))  # fmt: skip
    assert due(world) == end  # mark_ended moves the interview to held
    world.set(PrepSheet, 1, meeting_version=0)  # a sheet of an old version
    assert due(world) == start - LEAD


def test_a_meeting_booked_inside_the_lead_time_is_due_at_once(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.SCHEDULED.value)
    unended(world, interview, ada, T0 + timedelta(hours=3))
    # With no cycle yet its lead time (21 h ago) is due; the calendar poll that found it
    # runs a cycle anyway since it changed something.
    assert due(world, after=None) == T0 + timedelta(hours=3) - timedelta(minutes=30) - LEAD


def test_an_unmarked_ended_meeting_is_due_whatever_after_says(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.SCHEDULED.value)
    end = T0 - timedelta(days=20)
    unended(world, interview, ada, end)
    assert due(world) == end


@pytest.mark.parametrize("ended", [timedelta(hours=-1), timedelta(hours=5), timedelta(hours=11)])
@pytest.mark.parametrize("debrief", [None, DebriefConfig()], ids=["no-wait", "debrief-wait"])
def test_thank_you_never_later_than_the_planner(
    world: World, ended: timedelta, debrief: DebriefConfig | None
) -> None:
    world.debrief = debrief
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.HELD.value)
    end = T0 + ended
    world.meeting(interview, ada, end)
    world.set(Contact, ada, tags=[])
    acts = first_action(world, T0, T0 + timedelta(days=2))
    wake = due(world, now=T0, after=T0)
    assert wake is not None and acts is not None
    assert T0 < wake <= acts


def test_the_end_of_the_debrief_wait_wakes_the_planner(world: World) -> None:
    world.debrief = DebriefConfig()
    ada = world.contact("Ada", "ada@example.com")
    world.meeting(world.interview(ada, State.HELD.value), ada, T0)
    seen = T0 + timedelta(hours=2)  # the cycle at the delay found it waiting for the debrief
    wake = due(world, now=seen, after=seen)
    assert wake == T0 + timedelta(hours=20)
    assert planner_acts(world, wake - timedelta(minutes=1)) == []
    assert planner_acts(world, wake) == ["thank-you"]


def test_nudge_due_date_is_the_planners(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com", tags=["nudge"])
    interview = world.interview(ada, State.REQUESTED.value, outreach_message_id="<o@x>",
                                thread_subject="Coffee?")  # fmt: skip
    world.message(ada, interview, "<o@x>", direction="out", date=T0, subject="Coffee?",
                  from_addr=USER, to_addrs=["ada@example.com"], folder="Sent")  # fmt: skip
    wake = due(world)
    assert wake is not None and wake > T0
    assert planner_acts(world, wake - timedelta(minutes=1)) == []
    assert planner_acts(world, wake) == ["nudge"]


def test_untagged_contact_has_no_nudge_moment(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.REQUESTED.value, outreach_message_id="<o@x>")
    world.message(ada, interview, "<o@x>", direction="out", date=T0, folder="Sent")
    # Only the (generous) update moment after the user's own mail remains.
    assert due(world) == T0 + timedelta(days=world.cadence.update_interval_days)


def test_paused_interview_wakes_at_its_return(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    back = T0 + timedelta(days=4)
    world.interview(ada, State.REQUESTED.value, paused_until=back)
    assert due(world) == back


def test_update_interval_after_the_last_thank_you(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.THANKED.value)
    world.add(Outbox(account_id=world.account_id, interview_id=interview, kind="thank_you",
                     occurrence="t", message_id="<t@x>", status="sent", to_addr="ada@example.com",
                     subject="s", body_text="b", not_before=T0, created_at=T0))  # fmt: skip
    assert due(world) == T0 + timedelta(days=world.cadence.update_interval_days)


def test_an_update_waits_for_the_weekday_window_and_never_spins(world: World) -> None:
    # Updates are written only when they can go at once. Past the interval, the service looks
    # again at the next weekday window opening after its last cycle, and not at every poll.
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.THANKED.value)
    world.add(Outbox(account_id=world.account_id, interview_id=interview, kind="thank_you",
                     occurrence="t", message_id="<t@x>", status="sent", to_addr="ada@example.com",
                     subject="s", body_text="b", not_before=T0, created_at=T0))  # fmt: skip
    passed = T0 + timedelta(days=world.cadence.update_interval_days + 1)  # a Tuesday, 09:00
    # The last cycle ran inside the window: polling all day long finds nothing due.
    for minutes in (1, 60, 300):
        assert due(world, now=passed + timedelta(minutes=minutes), after=passed) is None
    saturday = passed + timedelta(days=4)  # the last cycle ran on a Saturday morning
    monday = datetime(2026, 4, 6, 6, 0, tzinfo=UTC)  # 08:00 Berlin, summer time by then
    assert due(world, now=saturday + timedelta(hours=1), after=saturday) == monday


def test_moments_at_or_before_after_were_seen(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    back = T0 + timedelta(days=4)
    world.interview(ada, State.REQUESTED.value, paused_until=back)
    assert due(world, after=back) is None
    assert due(world, after=back - timedelta(seconds=1)) == back


def test_change_marker_sees_what_a_command_changes(world: World) -> None:
    ada = world.contact("Ada", "ada@example.com")
    interview = world.interview(ada, State.REQUESTED.value)
    row = pending(world, interview, T0 + timedelta(hours=2), "draft")

    def marker() -> tuple[object, ...]:
        with world.factory() as s:
            return change_marker(s, world.account_id)

    before = marker()
    assert marker() == before  # reading changes nothing
    world.set(Outbox, row, status="pending")  # approved
    after_approve = marker()
    assert after_approve != before
    world.note(ada, "met at a meetup", T0)
    assert marker() != after_approve
    noted = marker()
    world.set(Contact, ada, tags=["nudge"], updated_at=T0 + timedelta(minutes=1))
    assert marker() != noted


def first_action(world: World, start: datetime, end: datetime) -> datetime | None:
    """The first quarter-hour at which the planner would create or change something."""
    at = start
    while at <= end:
        if planner_acts(world, at):
            return at
        at += timedelta(minutes=15)
    return None
