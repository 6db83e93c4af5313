"""Dovecot servers laid out like other providers, and an App wired to one of their users.

interop: folders created per test (auto = no) with SPECIAL-USE on Gmail-, Exchange- and
localised names, so one server serves every style and a RENAME moves the attribute;
bare: no IDLE, no SPECIAL-USE (capabilities trimmed, no attributes), Courier-style
``INBOX.`` names; drifting: a server of its own for a test that changes its namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from imap_tools.imap_utf7 import utf7_encode

from coffeechat.flows.steps.app import App, build_app
from tests.testbed import Mailbox as BedMailbox
from tests.testbed import TestbedCA
from tests.testbed import world as bed
from tests.testbed.dovecot import DOVECOT_BIN, DovecotServer, namespace_config
from tests.testbed.imap import check_ok

# Folder name -> SPECIAL-USE, as different providers name them.
STYLES: dict[str, dict[str, str]] = {
    "gmail": {"[Gmail]/Sent Mail": "\\Sent", "[Gmail]/Drafts": "\\Drafts"},
    "exchange": {"Sent Items": "\\Sent", "Drafts": "\\Drafts"},
    "german": {"Gesendete Elemente": "\\Sent", "Entwürfe": "\\Drafts"},
    "french": {"Éléments envoyés": "\\Sent", "Brouillons": "\\Drafts"},
}
INTEROP_FOLDERS: dict[str, str | None] = {"Sent": "\\Sent"}
for _style in STYLES.values():
    INTEROP_FOLDERS |= _style
# What a server without IDLE and SPECIAL-USE offers (Dovecot's list minus those two).
BARE_CAPABILITY = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS NAMESPACE CONDSTORE "
    "QRESYNC ESEARCH SORT THREAD=REFERENCES CHILDREN UNSELECT MOVE"
)
COURIER = {"prefix": "INBOX.", "separator": "."}


def _require_dovecot() -> None:
    if not DOVECOT_BIN.exists():
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")


def _running(server: DovecotServer) -> Iterator[DovecotServer]:
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def interop_dovecot(testbed_ca: TestbedCA) -> Iterator[DovecotServer]:
    """Dovecot whose Gmail/Exchange/localised folders exist once a test creates them."""
    _require_dovecot()
    namespace = namespace_config(INTEROP_FOLDERS, auto="no")
    yield from _running(DovecotServer(testbed_ca.issue("dovecot-interop"), namespace=namespace))


@pytest.fixture(scope="session")
def bare_dovecot(testbed_ca: TestbedCA) -> Iterator[DovecotServer]:
    """Dovecot without IDLE and SPECIAL-USE, folders named INBOX.Sent Messages, INBOX.Drafts."""
    _require_dovecot()
    namespace = namespace_config({"Sent Messages": None, "Drafts": None}, **COURIER)
    server = DovecotServer(
        testbed_ca.issue("dovecot-bare"), namespace=namespace, imap_capability=BARE_CAPABILITY
    )
    yield from _running(server)


@pytest.fixture
def drifting_dovecot(testbed_ca: TestbedCA) -> Iterator[DovecotServer]:
    """A Dovecot of this test's own, Courier-style (INBOX.Sent) until it is reconfigured."""
    _require_dovecot()
    namespace = namespace_config({"Sent": "\\Sent", "Drafts": "\\Drafts"}, **COURIER)
    yield from _running(DovecotServer(testbed_ca.issue("dovecot-drift"), namespace=namespace))


def wire(folder: str) -> str:
    """The folder's name as it travels (RFC 3501 modified UTF-7)."""
    return utf7_encode(folder).decode("ascii")


def create_folders(account: BedMailbox, *folders: str) -> None:
    """CREATE each folder (names in modified UTF-7 on the wire)."""
    client = account.connect()
    try:
        for folder in folders:
            check_ok(*client.create(f'"{wire(folder)}"'), "CREATE")
    finally:
        client.logout()


def rename_folder(account: BedMailbox, old: str, new: str) -> None:
    """RENAME a folder, as a user (or a provider's migration) does."""
    client = account.connect()
    try:
        check_ok(*client.rename(f'"{wire(old)}"', f'"{wire(new)}"'), "RENAME")
    finally:
        client.logout()


def append(account: BedMailbox, raw: bytes, folder: str = "INBOX") -> int:
    """APPEND to a folder whatever its name's script."""
    return account.append(raw, folder=wire(folder))


AppFor = Callable[..., App]


@pytest.fixture
def app_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppFor:
    """Build an App on a test bed user: app_for(account, sent_folder=..., folders=[...])."""

    def build(account: BedMailbox, **imap: object) -> App:
        monkeypatch.setenv("TEST_IMAP_PASSWORD", account.password)
        settings = bed.settings(
            tmp_path, mailbox=account, timezone="UTC", imap={"backfill_days": 30, **imap}
        )
        return build_app(settings)

    return build
