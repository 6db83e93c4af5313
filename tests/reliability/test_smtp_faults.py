"""SMTP faults under a whole cycle: 421 and 451 (try later), 550 (refused), a server gone mid-DATA.

The scenario queues two emails (Ada's prep sheet to the user, then Bob's thank-you); the fault
hits the first one. Each test says what must hold afterwards.
"""

from __future__ import annotations

import collections
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.tables import Outbox
from tests.reliability.world import (
    LATER,
    NOW,
    World,
    assert_each_sent_once,
    assert_like_reference,
    whole_cycle,
)


def _rows(app: App) -> dict[str, Outbox]:
    with app.factory() as s:
        return {r.kind: r for r in s.scalars(select(Outbox))}


def _received(world: World) -> collections.Counter[str | None]:
    return collections.Counter(m.message_id for m in world.smtp.messages)


@pytest.mark.parametrize(("code", "command"), [(421, "MAIL"), (451, "RCPT"), (451, "DATA")])
def test_try_later_answers_are_retried_later_and_sent_once(
    world: World, reference: dict[str, Any], code: int, command: str
) -> None:
    """421/451 on the first email.

    Must hold: that email goes back to pending with a backoff and the reason, the second one is
    still sent in the same cycle, a cycle inside the backoff sends nothing, a later one sends it,
    and in the end the world equals the reference with every email sent exactly once.
    """
    world.smtp.fail_next(code, command=command)
    whole_cycle(world.app, NOW)
    rows = _rows(world.app)
    assert rows["prep_sheet"].status == "pending"
    assert str(code) in rows["prep_sheet"].last_error
    assert rows["prep_sheet"].not_before > NOW
    assert rows["thank_you"].status == "sent"
    assert len(world.smtp.messages) == 1
    assert whole_cycle(world.app, NOW + timedelta(minutes=2)).sent == []
    whole_cycle(world.app, LATER)
    assert_like_reference(world.app, world.smtp, reference)


def test_a_refused_email_is_failed_visible_and_never_retried(world: World) -> None:
    """550 at RCPT for the first email.

    Must hold: the row is failed with the server's answer, `status` counts it as failed, later
    cycles never offer it to the server again, and the other email goes once.
    """
    world.smtp.fail_next(550, command="RCPT", text="5.1.1 No such user here")
    whole_cycle(world.app, NOW)
    for minutes in (30, 120, 600):
        whole_cycle(world.app, NOW + timedelta(minutes=minutes))
    rows = _rows(world.app)
    assert rows["prep_sheet"].status == "failed"
    assert "550" in rows["prep_sheet"].last_error
    assert "No such user" in rows["prep_sheet"].last_error
    with world.app.factory() as s:
        report = status_report(s, world.app.account_id, NOW + timedelta(hours=10))
    assert report["mail"]["failed"] == 1
    assert _received(world) == {rows["thank_you"].message_id: 1}


def test_server_gone_mid_data_is_never_resent_blindly(world: World) -> None:
    """The server reads the first line of the message, then hangs up without an answer.

    Must hold: the email is never delivered twice. If the whole message had left us (outcome
    unknown), the row stays in 'sending', recovery looks for it in Sent, does not find it and
    marks it needs_review (shown by `status`), and no later cycle sends it. If it had not all
    left us, it is retried and delivered exactly once.
    """
    world.smtp.drop_during_data()
    whole_cycle(world.app, NOW)
    first = _rows(world.app)["prep_sheet"]
    assert first.status in ("sending", "pending"), first.status
    assert first.message_id not in _received(world)
    for minutes in (5, 30, 120):
        whole_cycle(world.app, NOW + timedelta(minutes=minutes))
    rows = _rows(world.app)
    if first.status == "sending":  # the whole message was written: nobody knows if it went
        assert rows["prep_sheet"].status == "needs_review"
        with world.app.factory() as s:
            report = status_report(s, world.app.account_id, NOW + timedelta(hours=3))
        assert report["mail"]["needs_review"] == 1
        assert _received(world) == {rows["thank_you"].message_id: 1}
    else:
        assert rows["prep_sheet"].status == "sent"
        assert_each_sent_once(world.smtp, 2)
    assert rows["thank_you"].status == "sent"
