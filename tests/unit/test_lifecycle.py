"""Every (state, event) pair of the lifecycle, the refusals included."""

from __future__ import annotations

import itertools

import pytest

from coffeechat.models.interviews.lifecycle import (
    MAILABLE,
    TRANSITIONS,
    Event,
    IllegalTransition,
    State,
    allowed,
    transition,
)

S, E = State, Event
OPEN = [s for s in State if s is not S.CLOSED]

# Written out by hand from the diagram in lifecycle.py's docstring, independently of its table.
EXPECTED: dict[tuple[State, Event], State] = {
    (S.PLANNED, E.OUTREACH_SENT): S.REQUESTED,
    (S.UNDELIVERABLE, E.OUTREACH_SENT): S.REQUESTED,
    (S.REQUESTED, E.NUDGE_SENT): S.NUDGED,
    (S.PLANNED, E.REPLY_RECEIVED): S.REPLIED,
    (S.REQUESTED, E.REPLY_RECEIVED): S.REPLIED,
    (S.NUDGED, E.REPLY_RECEIVED): S.REPLIED,
    (S.UNDELIVERABLE, E.REPLY_RECEIVED): S.REPLIED,
    (S.REQUESTED, E.BOUNCED): S.UNDELIVERABLE,
    (S.NUDGED, E.BOUNCED): S.UNDELIVERABLE,
    (S.PLANNED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.REQUESTED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.NUDGED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.UNDELIVERABLE, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.REPLIED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.THANKED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.UPDATED, E.MEETING_SCHEDULED): S.SCHEDULED,
    (S.SCHEDULED, E.MEETING_RESCHEDULED): S.SCHEDULED,
    (S.PREPPED, E.MEETING_RESCHEDULED): S.SCHEDULED,
    (S.SCHEDULED, E.MEETING_CANCELLED): S.REPLIED,
    (S.PREPPED, E.MEETING_CANCELLED): S.REPLIED,
    (S.SCHEDULED, E.PREP_SHEET_DELIVERED): S.PREPPED,
    (S.SCHEDULED, E.MEETING_ENDED): S.HELD,
    (S.PREPPED, E.MEETING_ENDED): S.HELD,
    (S.HELD, E.THANK_YOU_SENT): S.THANKED,
    (S.THANKED, E.UPDATE_SENT): S.UPDATED,
    (S.UPDATED, E.UPDATE_SENT): S.UPDATED,
    **{(s, e): S.CLOSED for s in OPEN for e in (E.DECLINED, E.OPTED_OUT, E.WITHDRAWN)},
}

ALL_PAIRS = list(itertools.product(State, Event))


@pytest.mark.parametrize(("state", "event"), ALL_PAIRS, ids=lambda v: v.value)
def test_every_pair(state: State, event: Event) -> None:
    if (state, event) in EXPECTED:
        assert allowed(state, event)
        assert transition(state, event) is EXPECTED[(state, event)]
    else:
        assert not allowed(state, event)
        with pytest.raises(IllegalTransition) as caught:
            transition(state, event)
        assert caught.value.state is state and caught.value.event is event
        assert f"'{state.value}'" in str(caught.value) and f"'{event.value}'" in str(caught.value)


def test_table_has_nothing_unexpected() -> None:
    assert dict(TRANSITIONS) == EXPECTED


def test_closed_is_final() -> None:
    assert not any(allowed(S.CLOSED, e) for e in Event)
    with pytest.raises(IllegalTransition, match="closed"):
        transition(S.CLOSED, E.THANK_YOU_SENT)


def test_accepts_plain_strings() -> None:
    assert transition("requested", "reply_received") is S.REPLIED  # type: ignore[arg-type]


def test_every_state_is_reachable_from_planned() -> None:
    seen, frontier = {S.PLANNED}, [S.PLANNED]
    while frontier:
        current = frontier.pop()
        for (state, _event), target in TRANSITIONS.items():
            if state is current and target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(State)


def test_no_mail_to_closed_or_undeliverable() -> None:
    assert S.CLOSED not in MAILABLE and S.UNDELIVERABLE not in MAILABLE
    assert S.HELD in MAILABLE
