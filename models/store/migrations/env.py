"""Alembic environment: runs migrations on the engine handed in by coffeechat.models.store.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from coffeechat.models.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    # Only for hand-run `alembic` with -x url=...; coffeechat always passes its engine.
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///coffeechat.db")
    return create_engine(url)


def run_migrations_online() -> None:
    """Run migrations in a transaction on a live connection."""
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things: batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
