"""Folders that move under a running account: renamed, renumbered, or in a new namespace.

A Sent folder that is gone is looked up again and never stops INBOX; a message already
known by its Message-ID only changes location (no effect fires twice); the watcher backs
off across failing cycles even when each login succeeds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint, utcnow
from coffeechat.flows.steps.inbox import FolderReport, SyncIncomplete, sync_account_mail
from coffeechat.flows.steps.watcher import InboxWatcher, backoff_seconds
from coffeechat.integrations.imap import Mailbox, connect
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.tables import EventLog, Interview, Message, SyncCursor
from coffeechat.models.store.uow import UnitOfWork
from tests.integration.folders.conftest import (
    AppFor,
    append,
    create_folders,
    rename_folder,
)
from tests.integration.inbox.test_inbox_sync import add_contact, mail
from tests.testbed import DovecotServer
from tests.testbed.dovecot import namespace_config

OUTREACH = mail("Sam <sam@example.net>", "Coffee?", mid="<o1@x>", to="grace@example.com")


def reply(n: int) -> bytes:
    """Grace's n-th reply to the outreach."""
    return mail(
        "grace@example.com", "Re: Coffee?", mid=f"<r{n}@x>", extra="In-Reply-To: <o1@x>\r\n"
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> float:
    """Poll predicate until true; return how long it took, or fail."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def session(app: App) -> Mailbox:
    """A logged-in session of the app's mailbox (the caller closes it)."""
    cfg = app.settings.imap
    assert cfg is not None
    return connect(imap_endpoint(cfg), imap_credential(cfg))


def state(app: App, interview: int) -> str:
    with app.factory() as s:
        found = s.get(Interview, interview)
        return found.state if found is not None else ""


def logged(app: App) -> list[str]:
    """The domain events logged so far, oldest first: a repeated effect would show twice."""
    with app.factory() as s:
        return list(s.scalars(select(EventLog.type).order_by(EventLog.id)))


REPLY_ONLY = ["ReplyReceived", "StateChanged"]


def after(app: App, before: list[str]) -> list[str]:
    """The events logged since before was taken, sorted."""
    now = logged(app)
    assert now[: len(before)] == before
    return sorted(now[len(before) :])


def folder_of(app: App, message_id: str) -> str:
    with app.factory() as s:
        found = s.scalars(select(Message.folder).where(Message.message_id == message_id)).one()
        return found or ""


def cursor(app: App, folder: str) -> SyncCursor:
    with app.factory() as s:
        return s.scalars(select(SyncCursor).where(SyncCursor.source == folder)).one()


def test_sent_renamed_mid_session_is_found_again_and_nothing_fires_twice(
    interop_dovecot: DovecotServer, app_for: AppFor
) -> None:
    account = interop_dovecot.take_user()
    create_folders(account, "Sent Items")
    app = app_for(account)
    interview = add_contact(app, "Grace Hopper", "grace@example.com", requested=False)
    append(account, OUTREACH, "Sent Items")
    with session(app) as box:
        first = sync_account_mail(app, box, utcnow())
        assert first[0].folder == "Sent Items" and first[0].effects == ["outreach"]
        events = logged(app)
        # The provider renames the folder; SPECIAL-USE moves with it (Dovecot: \Sent on "Sent").
        rename_folder(account, "Sent Items", "Sent")
        append(account, reply(1))
        again = sync_account_mail(app, box, utcnow())  # same session: its folder list is stale
    assert [r.folder for r in again] == ["Sent", "INBOX"]
    # A new cursor, so Sent is backfilled: the outreach is known by Message-ID, only moved.
    assert again[0].already_known == 1 and again[0].effects == []
    assert folder_of(app, "<o1@x>") == "Sent"
    assert again[1].effects == ["reply"] and state(app, interview) == "replied"
    assert after(app, events) == REPLY_ONLY  # the reply, and nothing else
    assert all(cursor(app, f).consecutive_failures == 0 for f in ("Sent", "INBOX"))


def test_a_uidvalidity_change_on_sent_re_applies_nothing(
    interop_dovecot: DovecotServer, app_for: AppFor
) -> None:
    account = interop_dovecot.take_user()
    create_folders(account, "[Gmail]/Sent Mail")
    app = app_for(account)
    add_contact(app, "Grace Hopper", "grace@example.com", requested=False)
    append(account, OUTREACH, "[Gmail]/Sent Mail")
    with session(app) as box:
        sync_account_mail(app, box, utcnow())
    events = logged(app)
    before = account.uidvalidity("[Gmail]/Sent Mail")
    account.recreate_folder("[Gmail]/Sent Mail")
    assert account.uidvalidity("[Gmail]/Sent Mail") != before
    with session(app) as box:
        reports = sync_account_mail(app, box, utcnow())
    assert reports[0].uidvalidity_changed and reports[0].already_known == 1
    assert reports[0].effects == [] and logged(app) == events


def test_inbox_is_read_when_sent_fails(interop_dovecot: DovecotServer, app_for: AppFor) -> None:
    account = interop_dovecot.take_user()
    create_folders(account, "Sent Items")
    app = app_for(account)
    interview = add_contact(app, "Grace Hopper", "grace@example.com", requested=False)
    append(account, OUTREACH, "Sent Items")
    with session(app) as box:
        sync_account_mail(app, box, utcnow())
    # Sent's UIDVALIDITY "keeps changing": syncing Sent stops until a person looks.
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        cur = uow.session.scalars(select(SyncCursor).where(SyncCursor.source == "Sent Items")).one()
        cur.uidvalidity, cur.uidvalidity_changes = 1, 3
        uow.commit()
    append(account, reply(1))
    with session(app) as box, pytest.raises(SyncIncomplete) as caught:
        sync_account_mail(app, box, utcnow())
    assert [r.folder for r in caught.value.reports] == ["INBOX"]
    assert [(f, type(e).__name__) for f, e in caught.value.failures] == [
        ("Sent Items", "UidValidityUnstable")
    ]
    assert state(app, interview) == "replied"  # INBOX was read all the same
    sent = cursor(app, "Sent Items")
    assert sent.consecutive_failures == 1 and "UIDVALIDITY" in sent.last_error
    with app.factory() as s:
        report = status_report(s, app.account_id, utcnow())
    shown = {src["source"]: src for src in report["sources"]}
    assert shown["Sent Items"]["failing"] and shown["Sent Items"]["consecutive_failures"] == 1
    assert not shown["INBOX"]["failing"]


def _watch(
    app: App, poll: float, reports: list[FolderReport]
) -> tuple[InboxWatcher, threading.Thread, threading.Event]:
    stop = threading.Event()
    watcher = InboxWatcher(app, stop=stop, poll_seconds=poll, on_sync=reports.extend)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    return watcher, thread, stop


def test_namespace_change_mid_life_next_reply_within_one_poll_few_logins(
    drifting_dovecot: DovecotServer, app_for: AppFor
) -> None:
    account = drifting_dovecot.take_user()
    # What `connect` used to pin: the name the server used on the day.
    app = app_for(account, sent_folder="INBOX.Sent")
    interview = add_contact(app, "Grace Hopper", "grace@example.com", requested=False)
    append(account, OUTREACH, "INBOX.Sent")
    reports: list[FolderReport] = []
    poll = 10.0  # the shortest imap.poll_seconds a config may set
    watcher, thread, stop = _watch(app, poll, reports)
    try:
        wait_for(lambda: state(app, interview) == "requested")
        events = logged(app)
        logins_before = drifting_dovecot.logins(account.user)
        changed = time.monotonic()
        # The provider moves to a flat namespace: the same folder is now called "Sent".
        drifting_dovecot.reconfigure(
            namespace_config({"Sent": "\\Sent", "Drafts": "\\Drafts"}, separator="/")
        )
        append(account, reply(1))
        back = wait_for(lambda: state(app, interview) == "replied")
        # The restart drops the session: one retry (5 s later) syncs at once, within one poll.
        assert back <= poll + 5.0, back  # generous: 5 s measured; a loaded machine is slower
        # Watch the rest of a 30 s window: no reconnect loop.
        time.sleep(max(0.0, 30.0 - (time.monotonic() - changed)))
        logins = drifting_dovecot.logins(account.user) - logins_before
        print(f"\nnamespace change: reply recorded {back:.1f} s after, {logins} logins in 30 s")
        assert 1 <= logins <= 5, logins  # (the old code: about one a second)
        assert after(app, events) == REPLY_ONLY  # the outreach never fires twice
        assert any(r.folder == "Sent" and r.already_known == 1 for r in reports)
        assert cursor(app, "Sent").consecutive_failures == 0
        assert watcher.stats.consecutive_failures == 0
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_sent_renamed_under_a_running_watcher_costs_no_login(
    interop_dovecot: DovecotServer, app_for: AppFor
) -> None:
    account = interop_dovecot.take_user()
    create_folders(account, "Sent Items")
    app = app_for(account)
    interview = add_contact(app, "Grace Hopper", "grace@example.com", requested=False)
    append(account, OUTREACH, "Sent Items")
    reports: list[FolderReport] = []
    watcher, thread, stop = _watch(app, 300, reports)
    try:
        wait_for(lambda: state(app, interview) == "requested")
        time.sleep(0.3)  # into IDLE
        rename_folder(account, "Sent Items", "Sent")
        append(account, reply(1))  # IDLE wakes the watcher; its folder list is stale
        wait_for(lambda: state(app, interview) == "replied", timeout=15)
        assert any(r.folder == "Sent" and r.already_known == 1 for r in reports)
        assert watcher.stats.logins == 1 and watcher.stats.failures == 0
        time.sleep(1.5)  # back in IDLE
    finally:
        asked = time.monotonic()
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - asked < 2.5  # seen inside IDLE


def test_backoff_grows_across_cycles_whose_login_succeeds_and_stop_is_prompt(
    interop_dovecot: DovecotServer, app_for: AppFor
) -> None:
    account = interop_dovecot.take_user()
    app = app_for(account)
    append(account, reply(1))
    with session(app) as box:
        sync_account_mail(app, box, utcnow())
    # INBOX now fails at every sync, right after a login that works.
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        cur = uow.session.scalars(select(SyncCursor).where(SyncCursor.source == "INBOX")).one()
        cur.uidvalidity, cur.uidvalidity_changes = 1, 3
        uow.commit()
    before = interop_dovecot.logins(account.user)
    watcher, thread, stop = _watch(app, 300, [])
    try:
        wait_for(lambda: watcher.stats.failures >= 2, timeout=15)
        time.sleep(4.0)
        # 1st cycle at 0 s, 2nd after 5 s, the 3rd only 60 s later.
        assert interop_dovecot.logins(account.user) - before == 2
        assert watcher.stats.consecutive_failures == 2
        inbox = cursor(app, "INBOX")
        assert inbox.consecutive_failures >= 2 and "UIDVALIDITY" in inbox.last_error
    finally:
        asked = time.monotonic()
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - asked < 2.5


def test_the_backoff_schedule_allows_one_login_a_minute_then_fewer() -> None:
    waits = [backoff_seconds(n) for n in range(1, 12)]
    assert waits[0] <= 5.0  # one quick retry: a server restart is over by then
    assert all(w >= 60.0 for w in waits[1:]) and waits == sorted(waits)
    assert waits[-1] == 900.0 and max(waits) == 900.0
