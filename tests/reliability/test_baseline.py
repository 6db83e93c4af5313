"""The scenario itself: what an uninterrupted run makes of it, which every fault test compares to.

What must hold: the reference run reached every interesting state (so a fault test comparing
against it proves something), sent exactly two emails, and a further run changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.reliability.world import LATER, World, assert_like_reference, whole_cycle


def test_the_reference_run_reaches_every_state(reference: dict[str, Any]) -> None:
    assert reference["interviews"] == {
        "Ada Lovelace": "prepped",
        "Bob Babbage": "thanked",
        "Cat Hopper": "requested",
        "Dan Dijkstra": "undeliverable",
        "Eve Noether": "closed",
    }
    assert [(kind, status) for kind, _, _, status in reference["outbox"]] == [
        ("prep_sheet", "sent"),
        ("thank_you", "sent"),
    ]
    assert reference["paused"]["Cat Hopper"] is True
    assert reference["received"] == 2


def test_running_again_and_again_changes_nothing(world: World, reference: dict[str, Any]) -> None:
    for minutes in (0, 0, 5, 30, 31):
        whole_cycle(world.app, LATER - timedelta(minutes=30) + timedelta(minutes=minutes))
    assert_like_reference(world.app, world.smtp, reference)
