"""A concurrency limit per SMTP host: accounts sharing a relay never exceed it, across flow runs.

Six accounts share the test bed's aiosmtpd and one PostgreSQL database, each owing one
thank-you. The relay holds every DATA open (a second; six in the control) and counts how many
sessions are inside DATA at once. Three accounts' ``send-follow-ups`` flow runs start together
against a real Prefect server with the global concurrency limit ``smtp:127.0.0.1`` set to 1:
the relay must never see two at once, and every thank-you still goes out exactly once. Then the
limit is removed and the other three start together: the relay sees them overlap, which shows
the first half measured the limit and not an accident of timing.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from sqlalchemy import create_engine, select

from coffeechat.flows.send_follow_ups import send_follow_ups
from coffeechat.flows.steps.app import imap_credential, imap_endpoint, load_app
from coffeechat.flows.steps.calendar import sync_calendars
from coffeechat.flows.steps.cycle import CycleReport
from coffeechat.flows.steps.inbox import sync_account_mail
from coffeechat.flows.steps.plan import plan
from coffeechat.flows.steps.smtp_slot import slot_name
from coffeechat.integrations.imap import connect
from coffeechat.models.store.tables import Outbox
from tests.scaleout.world import Seeker, build_world
from tests.testbed import DovecotServer, SmtpServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]

ACCOUNTS = 6
HOLD = 1.0  # seconds the relay keeps each DATA open while the limit serialises the sends
# Without the limit the three runs must overlap even when a loaded machine starts them seconds
# apart (a 1 s hold did not, once, in CI on 2 busy cores).
CONTROL_HOLD = 6.0


@pytest.fixture
def seekers(
    tmp_path: Path,
    database: str,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[list[Seeker]]:
    """Six accounts, each with its reply recorded and its thank-you planned (not yet sent)."""
    if not dovecot.process.running:
        dovecot.start()
    boxes = [dovecot.take_user() for _ in range(ACCOUNTS)]
    now = datetime.now(UTC)
    world, secrets = build_world(tmp_path, ACCOUNTS, database, boxes, smtp, now)
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    try:
        for seeker in world:
            app = load_app(str(seeker.config), seeker.slug)
            assert app.settings.imap is not None
            with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as b:
                sync_account_mail(app, b, now)
            report = CycleReport()
            sync_calendars(app, now, report)
            plan(app, now, report)
            assert "thank-you" in " ".join(report.labels), f"{seeker.slug}: {report.labels}"
        yield world
    finally:
        for seeker in world:
            seeker.feed.stop()


def send_together(world: list[Seeker]) -> list[dict[str, Any]]:
    """Each account's send-follow-ups flow run, all started at the same moment, in threads."""
    start = threading.Barrier(len(world))
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def run(seeker: Seeker) -> None:
        start.wait()
        try:
            results.append(send_follow_ups(account=seeker.slug, config=str(seeker.config)))
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    # Each thread gets a copy of this context: the Prefect settings point at the test server.
    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(run, seeker))
        for seeker in world
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


def sent_thank_yous(database: str) -> list[tuple[int, str]]:
    """(account id, status) of every thank-you in the outbox."""
    engine = create_engine(database)
    try:
        with engine.connect() as db:
            rows = db.execute(
                select(Outbox.account_id, Outbox.status).where(Outbox.kind == "thank_you")
            )
            return [(a, s) for a, s in rows]
    finally:
        engine.dispose()


def test_one_session_at_a_time_per_smtp_host_with_the_limit_and_overlap_without(
    prefect_api: str, database: str, seekers: list[Seeker], smtp: SmtpServer
) -> None:
    name = slot_name(smtp.host)
    assert name == "smtp:127.0.0.1"
    smtp.data_delay = HOLD
    limited, free = seekers[:3], seekers[3:]

    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
        results = send_together(limited)
        assert smtp.max_in_data == 1, f"{smtp.max_in_data} sessions in DATA at once"
        assert sorted(len(r["sent"]) for r in results) == [1, 1, 1], results
        assert not [p for r in results for p in r["problems"]], results
        assert len(smtp.messages) == 3

        client.delete_global_concurrency_limit_by_name(name)
        smtp.max_in_data = 0
        smtp.data_delay = CONTROL_HOLD
        results = send_together(free)
        assert smtp.max_in_data >= 2, "without a limit the sends should have overlapped"
        assert sorted(len(r["sent"]) for r in results) == [1, 1, 1], results

    received = smtp.messages
    assert len(received) == ACCOUNTS
    assert len({m.message_id for m in received}) == ACCOUNTS
    assert sorted(m.mail_from for m in received) == sorted(s.email for s in seekers)
    statuses = sent_thank_yous(database)
    assert len(statuses) == ACCOUNTS and all(s == "sent" for _, s in statuses), statuses
