"""The service's first read of the mailbox: what it holds back, and that a failure blocks no prep.

The step choice is a function of (read, failed, read in an earlier session, time waited), so
it is tested as one; a real service against a mailbox that refuses the login shows the rest:
the calendar is read and the prep sheet mailed, while no follow-up is planned.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from coffeechat.deployments.service import FirstRead, Service
from coffeechat.flows.steps.app import App, build_app
from coffeechat.flows.steps.cycle import HELD, STEPS, gated_cycle
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import import_rows
from coffeechat.models.store.tables import Outbox
from coffeechat.models.store.uow import UnitOfWork
from tests.livedin.generator import USER, USER_NAME, Facts, MeetingFact, Person, calendar
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed import Mailbox as BedMailbox
from tests.testbed import world as bed

ALL = [s.name for s in STEPS]
NO_PLAN = [s.name for s in STEPS if not s.needs_mail]  # planning and debrief requests


def names(gate: FirstRead, read_before: bool = False) -> list[str]:
    return [s.name for s in gate.steps(lambda: read_before)]


def test_the_cycle_waits_for_the_first_read_then_runs_whole() -> None:
    gate = FirstRead(300, watching=True)
    assert names(gate) == []  # reading: not even the calendar, it is read after the mail
    gate.read = True
    assert names(gate) == ALL


def test_without_a_mailbox_nothing_waits() -> None:
    assert names(FirstRead(300, watching=False)) == ALL


def test_a_slow_read_holds_only_planning_after_the_timeout() -> None:
    gate = FirstRead(0, watching=True)
    assert names(gate) == NO_PLAN
    assert names(gate, read_before=True) == NO_PLAN  # this session's read is still running


def test_a_failed_read_holds_planning_only_when_the_mailbox_was_never_read() -> None:
    gate = FirstRead(300, watching=True)
    gate.failed = True
    assert names(gate) == NO_PLAN
    assert names(gate, read_before=True) == ALL


@pytest.mark.parametrize("how", ["service", "dispatch"])
def test_a_mailbox_that_refuses_the_login_blocks_no_prep_sheet(
    how: str,
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    ada = Person("Ada Lovelace", "ada@contacts.example", contact=True)
    bob = Person("Bob Babbage", "bob@contacts.example", contact=True)
    hour = timedelta(hours=1)
    facts = Facts(now=now, people=[ada, bob], meetings=[
        MeetingFact("soon@cal.example", ada.address, now + 5 * hour, now + 6 * hour),
        MeetingFact("past@cal.example", bob.address, now - 4 * hour, now - 3 * hour),
    ])  # fmt: skip
    ics_http_server.set_body(calendar(facts))
    monkeypatch.setenv("GATE_IMAP", "not the password")
    monkeypatch.setenv("GATE_SMTP", smtp.password)
    app = build_app(bed.settings(
        tmp_path, mailbox=mailbox, relay=smtp, feed_url=ics_http_server.url, name=USER_NAME,
        email=USER, timezone="UTC", imap_env="GATE_IMAP", smtp_env="GATE_SMTP",
        cadence={"send_window_start": "00:00:00", "send_window_end": "23:59:59"},
    ))  # fmt: skip
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        rows = [ContactRow(line=1, name=p.name, emails=(p.address,)) for p in (ada, bob)]
        import_rows(uow, rows, source="csv", now=now)
        uow.commit()
    if how == "dispatch":
        report = gated_cycle(app, now)
        assert HELD in report.problems
        assert any("AuthenticationFailed" in p for p in report.problems), report.problems
    else:
        service = run_for_a_while(app, smtp)
        assert service.first_read.failed and not service.first_read.read
        assert service.stats.held_cycles >= 1
    assert [m.rcpt_tos for m in smtp.messages] == [(USER,)]  # the prep sheet, to the user
    with app.factory() as session:
        assert session.scalars(select(Outbox.kind)).all() == ["prep_sheet"]


def run_for_a_while(app: App, smtp: SmtpServer) -> Service:
    """The service until the prep sheet went out, and a few cycles more."""
    stop = threading.Event()
    service = Service(app, stop=stop, cycle_seconds=0.5)
    thread = threading.Thread(target=service.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not smtp.messages:
            time.sleep(0.1)
        time.sleep(1.5)  # a few more cycles: still nothing planned
    finally:
        stop.set()
        thread.join(30)
    return service
