"""XOAUTH2 against the real Dovecot, its oauth2 passdb asking the test bed's token authority.

The login goes the way a configured account's does: an ``oauth_token_command`` secret
reference in [imap], turned into an endpoint and a just-in-time credential by flows/steps/app.py.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from datetime import date
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import build_app, imap_credential, imap_endpoint
from coffeechat.flows.steps.watcher import InboxWatcher
from coffeechat.integrations.config import ImapConfig, Settings
from coffeechat.integrations.imap import AuthenticationFailed, Credential, connect
from coffeechat.models.store.tables import SyncCursor
from tests.integration.imap.conftest import make_message, password_of, ssl_endpoint
from tests.testbed import Mailbox as Account
from tests.testbed.oauth import TokenAuthority, command_runs, printing_command, token_forms


def oauth_config(account: Account, command: str) -> ImapConfig:
    """[imap] for the account over TLS, logging in with a token command instead of a password."""
    return ImapConfig.model_validate(
        {
            "host": account.host,
            "port": account.ssl_port,
            "security": "ssl",
            "ca_file": str(account.ca_path),
            "username": account.user,
            "oauth_token_command": f"command:{command}",
        }
    )


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the captured log records hold: messages, arguments and tracebacks."""
    return (
        "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
        + caplog.text
    )


def test_token_command_login_lists_folders_and_fetches(
    mailbox: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    authority: TokenAuthority = mailbox.server.oauth
    mailbox.append(make_message(1))
    mailbox.append(make_message(2), folder="Archive")
    cfg = oauth_config(mailbox, authority.token_command(mailbox.user))
    credential = imap_credential(cfg)
    assert authority.issued(mailbox.user) == []  # nothing is fetched before a login needs it

    with connect(imap_endpoint(cfg), credential) as box:
        folders = box.special_folders()
        assert (folders["sent"], folders["drafts"]) == ("Sent", "Drafts")
        assert box.status("Archive").messages == 1
        uids = box.uids_since("INBOX", date(2000, 1, 1))
        [item] = list(box.fetch_full("INBOX", uids, max_bytes=1_000_000))
    assert message_from_bytes(item.raw)["Subject"] == "Coffee chat 1"

    [token] = authority.issued(mailbox.user)
    # Dovecot asked the authority about exactly this token, once, and learnt the right user.
    assert [(c.token, c.user) for c in authority.checks("imap")][-1:] == [(token, mailbox.user)]
    assert sum(c.token == token for c in authority.checks()) == 1
    assert "IMAP connected" in caplog.text  # the log was captured: its silence means something
    text = logged(caplog)
    assert all(form not in text for form in token_forms(mailbox.user, token))


def test_every_connection_runs_the_command_for_a_fresh_token(mailbox: Account) -> None:
    authority: TokenAuthority = mailbox.server.oauth
    cfg = oauth_config(mailbox, authority.token_command(mailbox.user))
    endpoint, credential = imap_endpoint(cfg), imap_credential(cfg)
    for _ in range(3):
        with connect(endpoint, credential) as box:
            box.noop()
    tokens = authority.issued(mailbox.user)
    assert len(set(tokens)) == 3
    checked = [c.token for c in authority.checks("imap") if c.user == mailbox.user]
    assert checked[-3:] == tokens  # each login presented the token fetched just before it


@pytest.mark.parametrize("kind", ["unknown", "expired", "another user's"])
def test_a_refused_token_is_authentication_failed_once_without_the_token(
    mailbox: Account, tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.DEBUG)
    authority: TokenAuthority = mailbox.server.oauth
    token = authority.refused_token(kind, mailbox.user, other="user999")
    runs = tmp_path / "runs"
    cfg = oauth_config(mailbox, printing_command(token, runs))

    with pytest.raises(AuthenticationFailed) as caught:
        connect(imap_endpoint(cfg), imap_credential(cfg))

    exc = caught.value
    assert exc.transient is False  # nothing retries it
    assert f"refused the login of {mailbox.user!r}" in str(exc)
    assert exc.__cause__ is None and exc.__context__ is None  # no imaplib frames chained
    text = f"{exc} {exc!r} {''.join(traceback.format_exception(exc))} {logged(caplog)}"
    assert all(form not in text for form in token_forms(mailbox.user, token))
    # Tried once: one run of the command, one question to the authority.
    assert command_runs(runs) == 1
    assert [c.token for c in authority.checks("imap")].count(token) == 1


def test_the_watcher_does_not_hammer_the_server_with_a_refused_token(
    mailbox: Account, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    authority: TokenAuthority = mailbox.server.oauth
    token = authority.issue(mailbox.user)
    authority.expire(token)
    runs = tmp_path / "runs"
    cfg = oauth_config(mailbox, printing_command(token, runs))
    app = build_app(Settings(data_dir=tmp_path, imap=cfg))
    stop = threading.Event()
    watcher = InboxWatcher(app, stop=stop, poll_seconds=300)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while watcher.stats.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        # A transient error would be retried after 1 s (it used to be): wait past that.
        time.sleep(1.5)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert watcher.stats.failures == 1 and command_runs(runs) == 1
    assert watcher.stats.last_error.startswith("AuthenticationFailed: ")
    with app.factory() as s:
        cursor = s.scalars(select(SyncCursor)).one()
    assert cursor.consecutive_failures == 1 and "refused the login" in cursor.last_error
    warnings = [r for r in caplog.records if r.name == "coffeechat.flows.steps.watcher"]
    assert warnings and all(r.exc_info is None for r in warnings)  # a message, no traceback
    text = f"{logged(caplog)} {cursor.last_error}"
    assert all(form not in text for form in token_forms(mailbox.user, token))


def test_password_logins_never_reach_the_token_authority(mailbox: Account) -> None:
    authority: TokenAuthority = mailbox.server.oauth
    token = authority.issue(mailbox.user)
    before = len(authority.checks())
    with connect(ssl_endpoint(mailbox), password_of(mailbox)) as box:
        box.noop()
    for wrong in ("wrong-password", token):  # not even a valid token works as a password
        with pytest.raises(AuthenticationFailed):
            connect(ssl_endpoint(mailbox), password_of(mailbox, wrong))
    # Dovecot's passdbs are split by mechanism: PLAIN/LOGIN never POST a password anywhere.
    assert len(authority.checks()) == before
    with connect(ssl_endpoint(mailbox), lambda: Credential("xoauth2", token)) as box:
        box.noop()
    assert [c.token for c in authority.checks()[before:]] == [token]
