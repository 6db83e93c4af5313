"""Known, distinctive secrets through a whole cycle of the real Prefect flows: they appear nowhere.

The IMAP password (a Dovecot user added for this test), the CalDAV password (a Radicale user
added for this test) and the OAuth access token printed by a token command (SMTP XOAUTH2, on a
loopback aiosmtpd that checks it) are each unique to this run. The real flows (sync-inbox,
sync-calendar, dispatch) run under prefect_test_harness with everything logged at DEBUG, and a
reply and a meeting make them log in everywhere, fetch, render a prep sheet, send it and save
a copy in Sent.

What must hold: none of the secrets, nor their base64 or SASL encodings, appears in any log
record (ours, Prefect's, imaplib/caldav/httpx...), in stdout/stderr, in any row of any table of
our database, in Prefect's flow-run and task-run parameters, states and results, logs or
artifacts, or in any file written under the data dir, the Prefect home or the temp dir.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from stat import S_ISREG
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.testbed import DovecotServer, RadicaleServer
from tests.testbed import world as bed
from tests.testbed.bare_smtp import OAuthOnlyHandler, bare_smtp
from tests.testbed.ports import LOOPBACK

RUN = uuid.uuid4().hex[:12]
IMAP_USER = f"secret{RUN[:6]}"
IMAP_PASSWORD = f"imap-PW-{RUN}-x7Q"
CAL_USER = f"cal{RUN[:6]}"
CAL_PASSWORD = f"caldav-PW-{RUN}-k2Z"
TOKEN = f"ya29.oauth-TOKEN-{RUN}-m9W"
USER = "sam@example.net"
ADA = "ada@example.com"


def _forms(user: str, secret: str) -> list[str]:
    """The secret and the encodings a protocol or library might write it in."""
    b64 = [
        base64.b64encode(raw.encode()).decode()
        for raw in (
            f"{user}:{secret}",
            f"\0{user}\0{secret}",
            secret,
            f"user={user}\x01auth=Bearer {secret}\x01\x01",
        )
    ]
    return [secret, *b64]


SECRETS = {
    "imap": _forms(IMAP_USER, IMAP_PASSWORD),
    "caldav": _forms(CAL_USER, CAL_PASSWORD),
    "oauth": _forms(USER, TOKEN),
}


def _leaks(blob: str | bytes, where: str) -> list[str]:
    if isinstance(blob, bytes):
        blob = blob.decode("utf-8", "replace")
    return [
        f"{kind} secret in {where}"
        for kind, forms in SECRETS.items()
        if any(f in blob for f in forms)
    ]


@pytest.fixture
def oauth_smtp() -> Iterator[OAuthOnlyHandler]:
    """SMTP on loopback taking XOAUTH2 with TOKEN only; records what it accepts."""
    with bare_smtp(USER, TOKEN) as server:
        yield server


def _add_dovecot_user(dovecot: DovecotServer) -> None:
    with (dovecot.root / "passwd").open("a") as passwd:
        passwd.write(f"{IMAP_USER}:{IMAP_PASSWORD}\n")
    time.sleep(1.1)  # Dovecot re-reads the passwd-file at most once a second


def _radicale(radicale: RadicaleServer, method: str, path: str, body: str) -> int:
    token = base64.b64encode(f"{CAL_USER}:{CAL_PASSWORD}".encode()).decode()
    conn = http.client.HTTPConnection(radicale.host, radicale.port, timeout=10)
    try:
        conn.request(
            method,
            path,
            body=body.encode(),
            headers={
                "Authorization": f"Basic {token}",
                "Content-Type": "text/calendar; charset=utf-8",
            },
        )
        return conn.getresponse().status
    finally:
        conn.close()


def _calendar(start: datetime) -> str:
    stamp = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:secret-ada\r\n"
        f"DTSTAMP:{start:{stamp}}\r\nDTSTART:{start:{stamp}}\r\n"
        f"DTEND:{start + timedelta(minutes=30):{stamp}}\r\nSUMMARY:Coffee with Ada\r\n"
        f"ORGANIZER:mailto:{USER}\r\nATTENDEE:mailto:{ADA}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    """One temporary Prefect API for the module (~17 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def all_logs(monkeypatch: pytest.MonkeyPatch) -> list[logging.LogRecord]:
    """Every record of every logger at every level, whatever Prefect's logging setup does.

    Prefect re-applies its logging configuration while flows run (root at WARNING, its own
    handlers), so a handler on the root logger would miss most records. Instead every logger
    is made to create records at every level; all of them are kept here, and only those the
    configuration would have let through reach the usual handlers.
    """
    records: list[logging.LogRecord] = []
    real_enabled = logging.Logger.isEnabledFor
    real_call = logging.Logger.callHandlers

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        records.append(record)
        if real_enabled(self, record.levelno):
            real_call(self, record)

    monkeypatch.setattr(logging.Logger, "isEnabledFor", lambda self, level: True)
    monkeypatch.setattr(logging.Logger, "callHandlers", call_handlers)
    return records


def _prefect_records() -> list[tuple[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import MissingResult

    async def read() -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        async with get_client() as client:
            for run in await client.read_flow_runs():
                out.append((f"flow run {run.name} parameters", run.parameters))
                out.append((f"flow run {run.name}", run.model_dump_json()))
                if run.state is not None:
                    try:
                        result = await run.state.aresult(raise_on_failure=False)
                    except MissingResult:  # results are not persisted: nothing stored to leak
                        result = None
                    out.append((f"flow run {run.name} result", repr(result)))
            for task_run in await client.read_task_runs():
                out.append((f"task run {task_run.name}", task_run.model_dump_json()))
            for log in await client.read_logs():
                out.append(("prefect log", log.message))
            for artifact in await client.read_artifacts():
                out.append((f"artifact {artifact.key}", artifact.model_dump_json()))
        return out

    return asyncio.run(read())


def _database_dump(url: str) -> str:
    engine = create_engine(url)
    lines = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 - our names
                lines.append(f"{table}: {tuple(row)!r}")
    engine.dispose()
    return "\n".join(lines)


def _files_since(roots: list[Path], since: float) -> Iterator[Path]:
    for root in roots:
        if not root.exists():
            continue
        # os.walk, not rglob: a directory another process deletes mid-scan is skipped, not fatal.
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                try:
                    stat = path.lstat()
                except OSError:
                    continue
                if S_ISREG(stat.st_mode) and stat.st_mtime >= since and stat.st_size < 50_000_000:
                    yield path


def test_secrets_appear_nowhere(
    harness: None,
    tmp_path: Path,
    dovecot: DovecotServer,
    radicale: RadicaleServer,
    oauth_smtp: OAuthOnlyHandler,
    all_logs: list[logging.LogRecord],
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = time.time() - 1
    from coffeechat.flows.dispatcher import dispatch
    from coffeechat.flows.steps import app as flows_app
    from coffeechat.flows.sync_calendar import sync_calendar
    from coffeechat.flows.sync_inbox import sync_inbox
    from coffeechat.integrations.imap import connect
    from coffeechat.integrations.imap.connection import Credential, ImapEndpoint
    from coffeechat.models.contacts.importing import ContactRow
    from coffeechat.models.contacts.records import upsert_contact
    from coffeechat.models.interviews.lifecycle import Event
    from coffeechat.models.interviews.moves import apply_event, open_interview
    from coffeechat.models.store.uow import UnitOfWork

    if not dovecot.process.running:
        dovecot.start()
    if not radicale.process.running:
        radicale.start()
    _add_dovecot_user(dovecot)
    with (radicale.root / "users").open("a") as users:
        users.write(f"{CAL_USER}:{CAL_PASSWORD}\n")
    now = datetime.now(UTC).replace(microsecond=0)
    assert _radicale(radicale, "MKCALENDAR", f"/{CAL_USER}/work/", "") == 201
    assert _radicale(
        radicale, "PUT", f"/{CAL_USER}/work/secret-ada.ics", _calendar(now + timedelta(hours=3))
    ) in (201, 204)

    handler = oauth_smtp
    smtp_port = handler.port
    secrets_dir = Path(tempfile.mkdtemp(prefix="coffeechat-secret-src-"))
    (secrets_dir / "token").write_text(TOKEN)
    monkeypatch.setenv("SECRET_TEST_IMAP", IMAP_PASSWORD)
    monkeypatch.setenv("SECRET_TEST_CALDAV", CAL_PASSWORD)
    data_dir = tmp_path / "data"
    config = bed.write_config(
        secrets_dir / "config.toml", data_dir, timezone="UTC",
        imap={"host": LOOPBACK, "port": dovecot.ssl_port, "security": "ssl",
              "ca_file": dovecot.ca_path, "username": IMAP_USER,
              "password": "env:SECRET_TEST_IMAP"},
        smtp={"host": LOOPBACK, "port": smtp_port, "security": "plain", "allow_plaintext": True,
              "username": USER, "save_to_sent": "always",
              "oauth_token_command": f"command:/bin/cat {secrets_dir / 'token'}"},
        calendars=[{"name": "work", "kind": "caldav", "username": CAL_USER,
                    "url": f"http://{LOOPBACK}:{radicale.port}/{CAL_USER}/work/",
                    "password": "env:SECRET_TEST_CALDAV"}],
        cadence={"send_window_start": "00:00", "send_window_end": "23:59"},
    )  # fmt: skip
    try:
        app = flows_app.load_app(str(config), "default")
        sent_at = now - timedelta(days=2)
        with UnitOfWork(app.factory, account_id=app.account_id) as uow:
            contact, _ = upsert_contact(
                uow, ContactRow(line=0, name="Ada Lovelace", emails=(ADA,)), source="t", now=sent_at
            )
            interview = open_interview(uow, contact, now=sent_at)
            interview.outreach_message_id, interview.thread_subject = "<o-ada@example.net>", "Hi"
            apply_event(uow, interview, Event.OUTREACH_SENT, now=sent_at)
            uow.commit()
        endpoint = ImapEndpoint(
            LOOPBACK, dovecot.ssl_port, "ssl", IMAP_USER, ca_file=dovecot.ca_path
        )
        with connect(endpoint, lambda: Credential("password", IMAP_PASSWORD)) as box:
            box.append(
                "INBOX",
                (
                    f"From: Ada Lovelace <{ADA}>\r\nTo: {USER}\r\nSubject: Re: Hi\r\n"
                    f"Date: {format_datetime(now - timedelta(hours=1))}\r\n"
                    "Message-ID: <ada-secret@example.com>\r\nIn-Reply-To: <o-ada@example.net>\r\n"
                    "\r\nSure, see you soon.\r\n"
                ).encode(),
                when=now - timedelta(hours=1),
            )

        results: list[Any] = [
            sync_inbox("default", str(config)),
            sync_calendar("default", str(config)),
            dispatch("default", str(config)),
        ]
        assert results[2]["problems"] == [], results
        assert len(handler.received) == 1, "the prep sheet was not sent: the test proves nothing"
        with connect(endpoint, lambda: Credential("password", IMAP_PASSWORD)) as box:
            assert box.search_message_id("Sent", _message_id(handler.received[0]))

        leaks = _leaks(repr(results), "flow results")
        for record in all_logs:
            leaks += _leaks(
                f"{record.getMessage()} {record.args!r} {record.exc_text or ''}",
                f"log record of {record.name}",
            )
        out, err = capfd.readouterr()
        leaks += _leaks(out, "stdout") + _leaks(err, "stderr")
        leaks += _leaks(_database_dump(app.settings.db_url), "our database")
        for where, value in _prefect_records():
            leaks += _leaks(repr(value), where)
        from prefect.settings import PREFECT_HOME, PREFECT_LOCAL_STORAGE_PATH

        roots = [
            data_dir,
            Path(tempfile.gettempdir()),
            Path("/dev/shm"),
            Path(str(PREFECT_HOME.value())),
            Path(str(PREFECT_LOCAL_STORAGE_PATH.value())),
        ]
        files = 0
        for path in _files_since(roots, started):
            if secrets_dir in path.parents or path.name in ("passwd", "users"):
                continue  # where the test itself put the secrets, and the servers' user lists
            try:
                content = path.read_bytes()
            except OSError:  # another process's temp file, gone meanwhile
                continue
            files += 1
            leaks += _leaks(content, f"file {path}")
        # Ours by package (coffeechat.integrations), the libraries' by their top-level name.
        loggers = {r.name.removeprefix("coffeechat.").split(".")[0] for r in all_logs}
        assert files > 0 and {"prefect", "integrations", "caldav", "httpx"} <= loggers, (
            files,
            sorted(loggers),
        )
        assert sorted(set(leaks)) == []
    finally:
        flows_app.load_app.cache_clear()


def _message_id(raw: bytes) -> str:
    from email.parser import BytesHeaderParser

    return str(BytesHeaderParser().parsebytes(raw)["Message-ID"])
