"""The service wakes at the next due moment, not at its safety-net interval.

An email queued to go out 12 s from now, a 30 s safety net, no mailbox and no calendar: the
only thing that can wake the service in time is the due moment itself. The old service, which
cycled every 30 s, would have sent it up to 18 s late.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from coffeechat.deployments.service import Service
from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import Settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.moves import open_interview
from coffeechat.models.store.tables import Outbox
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import SmtpServer
from tests.testbed import world as bed

USER = "sam@example.net"
ADA = "ada@example.com"


def settings(tmp: Path, smtp: SmtpServer) -> Settings:
    return bed.settings(
        tmp, relay=smtp, name="Sam", email=USER, timezone="UTC", smtp_env="WAKE_SMTP",
        cadence={"send_window_start": "00:00:00", "send_window_end": "23:59:59"},
    )  # fmt: skip


def queue(app: App, not_before: datetime) -> int:
    """An automatic email to Ada, due at ``not_before``."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        row = ContactRow(line=0, name="Ada Lovelace", emails=(ADA,))
        contact, _ = upsert_contact(uow, row, source="t", now=not_before)
        interview = open_interview(uow, contact, now=not_before)
        uow.session.flush()
        outbox = Outbox(account_id=app.account_id, interview_id=interview.id, kind="outreach",
                        occurrence="outreach", message_id="<o-1@example.net>", status="pending",
                        mode="auto", to_addr=ADA, subject="Coffee?", body_text="Hello",
                        not_before=not_before, created_at=not_before)  # fmt: skip
        uow.session.add(outbox)
        uow.commit()
        return outbox.id


def sent_at(app: App, row_id: int) -> datetime | None:
    with app.factory() as s:
        return s.scalar(select(Outbox.sent_at).where(Outbox.id == row_id))


def test_wakes_at_the_due_moment_between_safety_net_wake_ups(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAKE_SMTP", smtp.password)
    app = build_app(settings(tmp_path, smtp))
    due = datetime.now(UTC) + timedelta(seconds=12)
    row = queue(app, due)
    stop = threading.Event()
    service = Service(app, stop=stop, cycle_seconds=30.0)
    thread = threading.Thread(target=service.run, name="wake-service")
    thread.start()
    try:
        deadline = time.monotonic() + 40
        while sent_at(app, row) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        when = sent_at(app, row)
    finally:
        stop.set()
        thread.join(30)
    assert when is not None, service.stats
    assert due <= when < due + timedelta(seconds=5), (when - due, service.stats)
    assert service.stats.cycles == 2, service.stats  # the first look, then the due moment
    assert service.stats.flow_runs == 0 and service.stats.plain_runs == 2
    assert len(smtp.messages) == 1
