"""The planner's world: the test bed's database-only World (tests/testbed/records.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.testbed.records import T0, USER, World, planner_world, txt

__all__ = ["T0", "USER", "World", "txt"]


@pytest.fixture
def world(engine: Engine) -> World:
    """Jo's account, signing as a UX researcher, on a fresh migrated database."""
    return planner_world(engine, signature="Jo Seeker\nUX researcher")
