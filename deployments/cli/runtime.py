"""What every command needs: validated settings, the database (migrated), the account."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from integrations.config import Settings, load_settings
from models.contacts import ensure_account
from models.db import ensure_schema, make_engine, session_factory
from models.uow import UnitOfWork

console = Console()
err_console = Console(stderr=True)


def utcnow() -> datetime:
    """The real clock; the only place the command line reads it."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Lazily built per-invocation state shared by the commands."""

    config: Path | None
    account_slug: str

    @cached_property
    def settings(self) -> Settings:
        """The validated configuration."""
        return load_settings(self.config)

    @cached_property
    def engine(self) -> Engine:
        """The database engine, schema upgraded on first use."""
        engine = make_engine(self.settings.db_url)
        ensure_schema(engine)
        return engine

    @cached_property
    def factory(self) -> sessionmaker[Session]:
        """Session factory bound to the engine."""
        return session_factory(self.engine)

    @cached_property
    def account_id(self) -> int:
        """The account's id, created from the configuration the first time."""
        acc = self.settings.account
        slug = self.account_slug or acc.slug
        with self.factory() as session:
            account = ensure_account(
                session,
                slug=slug,
                name=acc.name,
                email=acc.email or f"{slug}@localhost",
                timezone=acc.timezone,
                now=utcnow(),
                other_addresses=acc.other_addresses,
                signature=acc.signature,
                elevator_pitch=acc.elevator_pitch,
                goals=acc.goals,
            )
            session.commit()
            return account.id

    def uow(self) -> UnitOfWork:
        """A unit of work on this account."""
        return UnitOfWork(self.factory, account_id=self.account_id)


def runtime(ctx: typer.Context) -> Runtime:
    """The Runtime the top-level callback stored on the context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Runtime)
    return obj


def print_json(data: Any) -> None:
    """Write one JSON document to standard output."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
