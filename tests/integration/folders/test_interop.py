"""Sent and Drafts on servers laid out like Gmail, Exchange, German and French mailboxes.

Each style is a real Dovecot on loopback with the provider's folder names and SPECIAL-USE
attributes (the French name travels in modified UTF-7); a server without IDLE or SPECIAL-USE
is matched by names and polled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint, utcnow
from coffeechat.flows.steps.inbox import folder_plan, sync_account_mail
from coffeechat.flows.steps.watcher import InboxWatcher
from coffeechat.integrations.imap import CommandRejected, connect
from coffeechat.integrations.imap.folders import list_folders
from coffeechat.models.store.tables import Interview
from tests.integration.folders.conftest import STYLES, AppFor, append, create_folders
from tests.integration.inbox.test_inbox_sync import add_contact, mail
from tests.testbed import DovecotServer


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> float:
    """Poll predicate until true; return how long it took, or fail."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_style_finds_sent_and_reads_it_before_inbox(
    style: str, interop_dovecot: DovecotServer, app_for: AppFor
) -> None:
    account = interop_dovecot.take_user()
    folders = STYLES[style]
    create_folders(account, *folders)
    sent, drafts = (name for name, use in folders.items() if use in ("\\Sent", "\\Drafts"))
    app = app_for(account)
    interview = add_contact(app, "Grace Hopper", "grace@example.com", requested=False)
    append(
        account,
        mail("Sam <sam@example.net>", "Coffee?", mid="<o1@x>", to="grace@example.com"),
        sent,
    )
    reply = mail("grace@example.com", "Re: Coffee?", mid="<r1@x>", extra="In-Reply-To: <o1@x>\r\n")
    append(account, reply)
    cfg = app.settings.imap
    assert cfg is not None
    with connect(imap_endpoint(cfg), imap_credential(cfg)) as box:
        roles = box.special_folders()
        assert (roles["sent"], roles["drafts"]) == (sent, drafts)
        assert folder_plan(app, box)[:2] == [(sent, True), ("INBOX", False)]
        reports = sync_account_mail(app, box, utcnow())
    assert [r.folder for r in reports] == [sent, "INBOX"]
    assert reports[0].effects == ["outreach"] and reports[1].effects == ["reply"]
    assert _state(app, interview) == "replied"


def test_attributes_asked_for_with_return_special_use(
    interop_dovecot: DovecotServer, app_for: AppFor
) -> None:
    account = interop_dovecot.take_user()
    create_folders(account, "Gesendete Elemente", "Éléments envoyés")
    cfg = app_for(account).settings.imap
    assert cfg is not None
    with connect(imap_endpoint(cfg), imap_credential(cfg)) as box:
        assert {"LIST-EXTENDED", "SPECIAL-USE"} <= box.capabilities
        extended = list_folders(box._session, ('""', '"*"', "RETURN", "(SPECIAL-USE)"))
        selected = list_folders(box._session, ("(SPECIAL-USE)", '""', '"*"'))
    flagged = {f.name for f in extended if "\\Sent" in f.flags}
    assert flagged == {"Gesendete Elemente", "Éléments envoyés"}
    assert {f.name for f in selected} == flagged


def test_a_server_without_idle_or_special_use_is_matched_by_name_and_polled(
    bare_dovecot: DovecotServer, app_for: AppFor
) -> None:
    account = bare_dovecot.take_user()
    app = app_for(account)
    cfg = app.settings.imap
    assert cfg is not None
    with connect(imap_endpoint(cfg), imap_credential(cfg)) as box:
        assert "IDLE" not in box.capabilities and "SPECIAL-USE" not in box.capabilities
        assert not box.can_idle
        roles = box.special_folders()
        assert (roles["sent"], roles["drafts"]) == ("INBOX.Sent Messages", "INBOX.Drafts")
        with pytest.raises(CommandRejected, match="IDLE"):
            box.idle_wait("INBOX", timeout=1)
        box.noop()  # nothing was sent: the session is in step
    interview = add_contact(app, "Ada Lovelace", "ada@example.com")
    stop = threading.Event()
    watcher = InboxWatcher(app, stop=stop, poll_seconds=2)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: watcher.stats.syncs >= 1)
        reply = mail(
            "ada@example.com", "Re: Coffee?", mid="<a1@x>",
            extra="In-Reply-To: <outreach-1@coffeechat.example.net>\r\n",
        )  # fmt: skip
        append(account, reply)
        wait_for(lambda: _state(app, interview) == "replied", timeout=15)
        assert watcher.stats.polls >= 1 and watcher.stats.failures == 0
        assert watcher.stats.logins == 1
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def _state(app: App, interview: int) -> str:
    with app.factory() as s:
        found = s.get(Interview, interview)
        return found.state if found is not None else ""
