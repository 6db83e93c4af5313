"""The first run of ``coffeechat run`` over a lived-in account, judged by an independent oracle.

Two years of mail (over 5,000 messages) are written straight into Dovecot's Maildir, the
meetings are served as an iCalendar feed, the address book is imported, and then the service
runs exactly as ``coffeechat run`` runs it (the inbox watcher thread beside the cycle) against
Dovecot and aiosmtpd until its first complete cycle after the first mail read (and, as a
second case, the body of the Prefect ``dispatch`` flow once). What the SMTP server received
and what landed in Drafts must be exactly what the oracle allows.
"""

from __future__ import annotations

import email
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from pathlib import Path

import pytest

from coffeechat.deployments.service import Service
from coffeechat.flows.steps.app import App, build_app
from coffeechat.flows.steps.cycle import gated_cycle
from coffeechat.integrations.config import Settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import import_rows
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.uow import UnitOfWork
from tests.livedin.generator import USER, USER_NAME, Facts, calendar, generate, raw_message
from tests.livedin.oracle import first_run
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed import Mailbox as BedMailbox
from tests.testbed import world as bed
from tests.testbed.maildir import MaildirWriter


def seed_mailbox(mailbox: BedMailbox, facts: Facts) -> int:
    """Every message into its folder, its file dated as the message (Dovecot's INTERNALDATE)."""
    names = {p.address: p.name for p in facts.people} | {USER: USER_NAME}
    writers = {f: MaildirWriter(mailbox.maildir, f) for f in ("INBOX", "Sent")}
    for m in facts.mail:
        flags = ("\\Seen",) if m.date < facts.now - timedelta(days=2) else ()
        writers[m.folder].write_all([raw_message(m, names)], flags, m.date)
    return len(facts.mail)


def settings(tmp: Path, mailbox: BedMailbox, smtp: SmtpServer, feed: IcsFeedServer) -> Settings:
    return bed.settings(
        tmp, mailbox=mailbox, relay=smtp, feed_url=feed.url, name=USER_NAME, email=USER,
        timezone="UTC", imap_env="LIVEDIN_IMAP", smtp_env="LIVEDIN_SMTP",
        # The whole day is a send window, so what is due goes out whatever the hour of the run.
        cadence={"send_window_start": "00:00:00", "send_window_end": "23:59:59",
                 "calendar_days_back": 60},
        # The oracle's thank-yous are owed at the delay: the first run, not the debrief wait.
        debrief={"thank_you_wait_hours": 0},
    )  # fmt: skip


def first_cycles(app: App, timeout: float = 150.0) -> Service:
    """Run the service until two whole cycles ran after the watcher's first complete read."""
    stop = threading.Event()
    service = Service(app, stop=stop, cycle_seconds=1.0, poll_seconds=3600)
    thread = threading.Thread(target=service.run, name="livedin-service")
    thread.start()
    try:
        deadline, after_read = time.monotonic() + timeout, None
        seen, idle = -1, 0
        while time.monotonic() < deadline:
            watcher = service.watcher
            if after_read is None and watcher is not None and watcher.stats.syncs >= 1:
                after_read = service.stats.cycles
            if after_read is not None and service.stats.cycles >= after_read + 2:
                return service
            # An idle service runs no second cycle: a wake-up that found nothing due says done.
            if after_read is not None and service.stats.cycles > after_read:
                if seen != service.stats.cycles:
                    seen, idle = service.stats.cycles, service.stats.idle_ticks
                elif service.stats.idle_ticks > idle:
                    return service
            time.sleep(0.1)
        raise AssertionError(f"no two cycles after the first read within {timeout} s")
    finally:
        stop.set()
        thread.join(60)


def recipients(raw: bytes) -> set[str]:
    msg = email.message_from_bytes(raw)
    return {a.lower() for _, a in getaddresses(msg.get_all("To", []))}


@pytest.mark.parametrize("how", ["service", "dispatch"])
def test_first_run_sends_exactly_what_the_oracle_allows(
    how: str,
    tmp_path: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    ics_http_server: IcsFeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = datetime.now(UTC)
    facts = generate(started)
    assert seed_mailbox(mailbox, facts) >= 5000
    ics_http_server.set_body(calendar(facts))
    monkeypatch.setenv("LIVEDIN_IMAP", mailbox.password)
    monkeypatch.setenv("LIVEDIN_SMTP", smtp.password)
    app = build_app(settings(tmp_path, mailbox, smtp, ics_http_server))
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        rows = [ContactRow(line=n, name=p.name, emails=(p.address,))
                for n, p in enumerate(facts.contacts(), 1)]  # fmt: skip
        assert not import_rows(uow, rows, source="csv", now=started).errors
        uow.commit()

    if how == "service":  # `coffeechat run`: the watcher thread beside the cycle
        first_cycles(app)
    else:  # the Prefect `dispatch` flow's body: mail, then the cycle, in one call
        report = gated_cycle(app, datetime.now(UTC))
        assert report.problems == [], report.problems

    verdict = first_run(facts, started)
    assert len(verdict.sent_to) >= 4 and verdict.drafts_to and verdict.not_thanked
    ada = facts.contacts()[0].address  # the case: outreach a week before, ended 3.5 h ago
    assert ada in verdict.sent_to
    mailed = [recipients(m.raw) for m in smtp.messages]
    to_contacts = sorted(a for r in mailed for a in r if a != USER)
    assert ada in to_contacts, "the issue's thank-you was lost"
    assert to_contacts == sorted(verdict.sent_to), "thank-yous over SMTP differ from the oracle"
    assert sum(USER in r for r in mailed) == verdict.prep_sheets + verdict.debriefs
    drafts = sorted(a for m in mailbox.messages("Drafts") for a in recipients(m.raw))
    assert drafts == sorted(verdict.drafts_to), "Drafts differ from the oracle"
    with app.factory() as session:
        listed = status_report(session, app.account_id, datetime.now(UTC))["not_thanked"]
    assert {row["contact"] for row in listed} == verdict.not_thanked
