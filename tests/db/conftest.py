"""A migrated database and a unit of work on one account, on each backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.models.contacts.records import ensure_account
from coffeechat.models.store.db import session_factory

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory on the migrated database."""
    return session_factory(engine)


@pytest.fixture
def account_id(factory: sessionmaker[Session]) -> int:
    """One account, as the command line would create it."""
    with factory() as session:
        account = ensure_account(
            session,
            slug="test",
            name="Jo Seeker",
            email="Jo@Example.com",
            timezone="Europe/Berlin",
            now=NOW,
        )
        session.commit()
        return account.id
