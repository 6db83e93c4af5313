"""PostgreSQL on loopback: a throw-away cluster with durability off and trust auth."""

from __future__ import annotations

import itertools
import os
import pwd
import re
import signal
import subprocess
import uuid
from pathlib import Path

import psycopg

from tests.testbed.ports import (
    LOOPBACK,
    ManagedProcess,
    free_port,
    remove_dir,
    scratch_dir,
    wait_until,
)

SERVICE_USER = "postgres"
# Durability is pointless for a cluster deleted after the session, and it costs seconds.
_FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    # Shared memory as files in the data dir: a killed server then leaves nothing in /dev/shm.
    "dynamic_shared_memory_type": "mmap",
}
_counter = itertools.count(1)


def find_bindir() -> Path | None:
    """Return the newest PostgreSQL bin dir (Debian layout or PATH), or None if not installed."""
    override = os.environ.get("COFFEECHAT_PG_BINDIR")
    if override:
        return Path(override)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if (Path(directory) / "initdb").exists() and (Path(directory) / "postgres").exists():
            return Path(directory)
    return None


def _service_user() -> str | None:
    # PostgreSQL refuses to run as root; as anyone else it simply runs as that user.
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", SERVICE_USER],
            check=True,
        )
    return SERVICE_USER


class PostgresServer:
    """A running cluster on a free port; every database it makes is reachable as `postgres`."""

    def __init__(self, bindir: Path) -> None:
        """Create the cluster with initdb (trust auth, no fsync); start() runs it."""
        self.bindir = bindir
        self.host = LOOPBACK
        self.port = free_port()
        self.user = _service_user()
        self.root = scratch_dir("postgres")
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log_path = self.root / "postgres.log"
        self.socket_dir.mkdir()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in (self.root, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._initdb()
        argv = [str(bindir / "postgres"), "-D", str(self.data_dir), "-k", str(self.socket_dir)]
        argv += ["-p", str(self.port), "-h", self.host]
        for name, value in _FAST_SETTINGS.items():
            argv += ["-c", f"{name}={value}"]
        # SIGINT is PostgreSQL's "fast shutdown"; SIGTERM would wait for clients to leave.
        self.process = ManagedProcess(
            argv, self.log_path, self.root, user=self.user, stop_signal=signal.SIGINT
        )

    def _initdb(self) -> None:
        argv = [str(self.bindir / "initdb"), "-D", str(self.data_dir), "-U", "postgres"]
        argv += ["-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]
        result = subprocess.run(
            argv, user=self.user, group=self.user, capture_output=True, cwd=self.root, check=False
        )
        with self.log_path.open("ab") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}); see {self.log_path}")

    @property
    def admin_url(self) -> str:
        """Return the SQLAlchemy URL of the `postgres` database as superuser."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        """Return the SQLAlchemy URL (psycopg 3 driver) of a database on this server."""
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
            connect_timeout=2,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts queries."""
        self.process.start()
        wait_until(self._ready, "postgres", timeout=30, log=self.log_path)

    def _ready(self) -> bool:
        if not self.process.running:
            raise RuntimeError(f"postgres exited early; see {self.log_path}")
        try:
            with self._connect() as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def stop(self) -> None:
        """Fast shutdown (open sessions are cut), then kill anything left."""
        self.process.stop()

    def restart(self) -> None:
        """Stop and start on the same port; clients see their connections drop."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and delete the cluster."""
        self.stop()
        remove_dir(self.root)

    def create_database(self) -> str:
        """Create an empty database with a unique name and return its SQLAlchemy URL."""
        name = f"test_{next(_counter)}_{uuid.uuid4().hex[:8]}"
        with self._connect() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database, cutting any connection still open."""
        name = url.rsplit("/", 1)[1]
        if not re.fullmatch(r"test_\d+_[0-9a-f]{8}", name):
            raise ValueError(f"not a testbed database: {name}")
        with self._connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
