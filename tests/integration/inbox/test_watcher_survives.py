"""The watcher thread outlives failures that are not IMAP errors: it records them and goes on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.inbox import FolderReport
from coffeechat.flows.steps.watcher import InboxWatcher
from coffeechat.models.store.tables import SyncCursor


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll predicate until true, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def inbox_error(app: App) -> str:
    """The last error recorded on the INBOX cursor, as `coffeechat status` shows it."""
    with app.factory() as s:
        cursor = s.scalars(select(SyncCursor).where(SyncCursor.source == "INBOX")).first()
        return cursor.last_error if cursor is not None else ""


def test_an_unreadable_secret_is_recorded_and_the_thread_lives_on(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_IMAP_PASSWORD")  # e.g. the keyring or token helper is down
    stop = threading.Event()
    watcher = InboxWatcher(app, stop=stop, poll_seconds=300)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: watcher.stats.failures >= 1)
        time.sleep(0.2)
        assert thread.is_alive()
        assert "TEST_IMAP_PASSWORD" in inbox_error(app)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_an_unexpected_error_after_a_sync_does_not_end_the_watch(app: App) -> None:
    calls: list[int] = []

    def on_sync(_reports: list[FolderReport]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the caller's hook failed once")

    stop = threading.Event()
    watcher = InboxWatcher(app, stop=stop, on_sync=on_sync, poll_seconds=300)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        # The first sync's hook fails; after a 1 s backoff the watcher reconnects and syncs again.
        wait_for(lambda: len(calls) >= 2)
        assert watcher.stats.failures == 1
        assert "RuntimeError" in watcher.stats.last_error
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
