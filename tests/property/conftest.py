"""Scratch databases for the order tests, reset from one migrated template."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.property.facts import Scratch, template


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scratch, Scratch]]:
    """Two scratch databases (one order, another) from one migrated template."""
    directory = tmp_path_factory.mktemp("order")
    made = template(directory)
    pair = (Scratch(made, directory / "first.sqlite"), Scratch(made, directory / "second.sqlite"))
    yield pair
    for db in pair:
        db.engine.dispose()
