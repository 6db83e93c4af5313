"""Migrations build the schema on SQLite and PostgreSQL, and agree with the models."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from coffeechat.models.store.db import (
    SCHEMA_HEAD,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    upgrade,
)
from coffeechat.models.store.tables import Base


def test_upgrade_empty_database_to_head(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations disagree; write a migration: {diff}"
    engine.dispose()


def test_ensure_schema_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    ensure_schema(engine)
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_schema_head_names_the_newest_migration() -> None:
    """A new migration must move SCHEMA_HEAD, or start-up would skip the upgrade it needs."""
    assert head_revision() == SCHEMA_HEAD


def test_a_current_database_starts_without_importing_alembic(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    code = (
        "import sys\n"
        "from coffeechat.models.store.db import ensure_schema, make_engine\n"
        f"ensure_schema(make_engine({database_url!r}))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_database_behind_is_still_upgraded(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0004")
    ensure_schema(engine)
    assert current_revision(engine) == SCHEMA_HEAD
    engine.dispose()
