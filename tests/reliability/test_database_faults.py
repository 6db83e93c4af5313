"""The database unavailable during a cycle: SQLite locked by another writer, PostgreSQL restarted.

The worst moment is chosen on purpose: the fault starts when the SMTP server accepts the first
email, so the very next thing the sender does, recording it as sent, hits the fault.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from coffeechat.flows.steps.app import App
from coffeechat.models.store.db import make_engine, session_factory
from coffeechat.models.store.tables import Outbox
from tests.reliability.world import (
    LATER,
    NOW,
    World,
    assert_like_reference,
    make_world,
    whole_cycle,
)
from tests.testbed import IcsFeedServer, PostgresServer, ReceivedMessage, SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox


class WriteLock:
    """Another process's connection holding SQLite's write lock (BEGIN IMMEDIATE) for a while."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        self.held = threading.Event()
        self.released = threading.Event()

    def hold(self, seconds: float) -> None:
        """Take the lock now and let it go after ``seconds`` (from a timer thread)."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE account SET name = name")  # a real pending write
        self.held.set()
        threading.Timer(seconds, self.release).start()

    def release(self) -> None:
        """Commit and close."""
        self.conn.execute("COMMIT")
        self.conn.close()
        self.released.set()


def _db_path(world: World) -> str:
    return world.settings.db_url.removeprefix("sqlite:///")


def _impatient(app: App, millis: int) -> App:
    """The same App on an engine that waits only ``millis`` for a lock (the default is 30 s)."""
    engine = make_engine(app.settings.db_url)

    @event.listens_for(engine, "connect")
    def _short_timeout(dbapi_conn: Any, _record: Any) -> None:  # after the product's pragmas
        dbapi_conn.execute(f"PRAGMA busy_timeout={millis}")

    return dataclasses.replace(app, factory=session_factory(engine))


def _on_first_email(smtp: SmtpServer, action: Any) -> None:
    done = threading.Event()

    def hook(_message: ReceivedMessage) -> None:
        if not done.is_set():
            done.set()
            action()

    smtp.on_message(hook)


def _statuses(app: App) -> dict[str, str]:
    with app.factory() as s:
        return {r.kind: r.status for r in s.scalars(select(Outbox))}


def test_sqlite_locked_briefly_the_cycle_waits_and_completes(
    world: World, reference: dict[str, Any]
) -> None:
    """Another writer holds the lock for 1.5 s right after the first email was accepted.

    Must hold: the cycle waits for the lock instead of failing, and the world equals the
    reference with every email sent once.
    """
    lock = WriteLock(_db_path(world))
    _on_first_email(world.smtp, lambda: lock.hold(1.5))
    whole_cycle(world.app, NOW)
    assert lock.held.is_set() and lock.released.is_set()
    whole_cycle(world.app, LATER)
    assert_like_reference(world.app, world.smtp, reference)


def test_sqlite_locked_too_long_the_cycle_fails_cleanly_then_completes(
    world: World, reference: dict[str, Any]
) -> None:
    """The lock outlasts the busy timeout just after the server accepted the first email.

    Must hold: the cycle stops with the database error (nothing swallowed), the accepted email
    is left 'sending' (not pending: it must not be sent again), no other email went out, and
    the next run, once the lock is gone, settles it from the Sent folder so that the world
    equals the reference with every email sent exactly once.
    """
    app = _impatient(world.app, 300)
    lock = WriteLock(_db_path(world))
    _on_first_email(world.smtp, lambda: lock.hold(2.0))
    with pytest.raises(OperationalError, match="locked"):
        whole_cycle(app, NOW)
    assert lock.released.wait(10)
    assert _statuses(app) == {"prep_sheet": "sending", "thank_you": "pending"}
    assert len(world.smtp.messages) == 1
    whole_cycle(app, LATER)
    assert_like_reference(app, world.smtp, reference)


def test_sqlite_locked_before_the_cycle_starts(world: World, reference: dict[str, Any]) -> None:
    """The lock is held from before the inbox sync until after its busy timeout.

    Must hold: the run fails on its first write with nothing recorded and nothing sent; the
    next run completes like the reference.
    """
    app = _impatient(world.app, 200)
    lock = WriteLock(_db_path(world))
    lock.hold(1.0)
    with pytest.raises(OperationalError, match="locked"):
        whole_cycle(app, NOW)
    assert lock.released.wait(10)
    assert world.smtp.messages == []
    whole_cycle(app, NOW)
    whole_cycle(app, LATER)
    assert_like_reference(app, world.smtp, reference)


@pytest.fixture
def pg_world(
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    postgres_server: PostgresServer,
) -> Any:
    """The scenario on a fresh PostgreSQL database."""
    if not postgres_server.process.running:
        postgres_server.start()
    url = postgres_server.create_database()
    world = make_world(tmp_path, mailbox, smtp, ics_http_server, database_url=url)
    yield world
    world.app.factory.kw["bind"].dispose()
    if not postgres_server.process.running:
        postgres_server.start()
    postgres_server.drop_database(url)


@pytest.mark.postgres
def test_postgres_restarted_during_a_run_is_survived(
    pg_world: World, postgres_server: PostgresServer, reference: dict[str, Any]
) -> None:
    """PostgreSQL restarts (every connection dropped) right after the first email is accepted.

    Must hold: the run carries on over fresh connections, and the world equals the reference
    with every email sent once.
    """
    _on_first_email(pg_world.smtp, postgres_server.restart)
    whole_cycle(pg_world.app, NOW)
    whole_cycle(pg_world.app, LATER)
    assert_like_reference(pg_world.app, pg_world.smtp, reference)


@pytest.mark.postgres
def test_postgres_down_during_a_run_then_the_next_run_completes(
    pg_world: World, postgres_server: PostgresServer, reference: dict[str, Any]
) -> None:
    """PostgreSQL stops right after the server accepted the first email, and comes back later.

    Must hold: the run fails with the database error; after the restart the next run settles
    the in-flight email from Sent without resending it, and the world equals the reference.
    """
    _on_first_email(pg_world.smtp, postgres_server.stop)
    with pytest.raises(OperationalError):
        whole_cycle(pg_world.app, NOW)
    postgres_server.start()
    assert len(pg_world.smtp.messages) == 1
    whole_cycle(pg_world.app, LATER)
    assert_like_reference(pg_world.app, pg_world.smtp, reference)
