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

from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import Settings, load_settings
from coffeechat.models.store.uow import UnitOfWork

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
    def app(self) -> App:
        """Database migrated and account row ensured, exactly as the flows do it."""
        return build_app(self.settings, self.account_slug or None)

    @property
    def engine(self) -> Engine:
        """The database engine."""
        engine = self.factory.kw["bind"]
        assert isinstance(engine, Engine)
        return engine

    @property
    def factory(self) -> sessionmaker[Session]:
        """Session factory bound to the engine."""
        return self.app.factory

    @property
    def account_id(self) -> int:
        """The account's id, created from the configuration the first time."""
        return self.app.account_id

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
