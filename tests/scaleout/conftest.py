"""Fixtures of the scale-out tests: a real Prefect server and a shared PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from coffeechat.deployments.prefect_server import LocalPrefectServer
from tests.testbed import PostgresServer


@pytest.fixture
def prefect_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real Prefect server on loopback with its own SQLite; this process talks to it."""
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    server = LocalPrefectServer(tmp_path / "prefect-server")
    try:
        server.start()
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        server.stop()


@pytest.fixture
def database(postgres_server: PostgresServer) -> Iterator[str]:
    """An empty PostgreSQL database shared by every account."""
    if not postgres_server.process.running:
        postgres_server.start()
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
