"""The demo's mail server: pymap (IMAP, in memory) and aiosmtpd (SMTP) on one loop in a thread.

One event loop serves both protocols so that SMTP delivery is a plain ``await`` into the same
in-memory mailboxes IMAP clients read. pymap keeps nothing on disk, so ``save``/``load`` write
the mailboxes (with their UIDVALIDITY and UIDs) to the data directory: a second demo run in the
same directory continues the same world instead of one whose UIDs were all renumbered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from argparse import Namespace
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import Config, Identity, Login
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pymap.parsing.message import AppendMessage
from pymap.parsing.specials.flag import Flag
from pymap.user import Passwords, UserMetadata

from coffeechat.deployments.demo.mailbits import bounce_report

LOOPBACK = "127.0.0.1"
FOLDERS = ("Sent", "Drafts", "Trash")
T = TypeVar("T")


class _Config(Config):
    """pymap's in-memory backend config, minus the greeting's DNS lookup of our own name."""

    @property
    def greeting(self) -> bytes:
        """Greet without socket.getfqdn(), which can stall for seconds on a machine without DNS."""
        return b"coffeechat demo IMAP ready"


@dataclass(frozen=True)
class Stored:
    """One message as a mailbox holds it."""

    uid: int
    when: datetime
    flags: tuple[str, ...]
    raw: bytes


class MailServer:
    """IMAP and SMTP for a handful of local users; every method is called from other threads."""

    def __init__(self) -> None:
        """Prepare the loop; start() opens the ports."""
        self.host = LOOPBACK
        self.imap_port = 0
        self.smtp_port = 0
        self.deliveries = 0  # messages accepted over SMTP: the "nothing sent twice" witness
        # What the SMTP server accepted, in order: (envelope sender, recipients, message).
        self.received: list[tuple[str, list[str], bytes]] = []
        # The story's simulated clock, when it runs on one: delivered mail is dated by it.
        self.clock: datetime | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.Server] = []
        self._passwords: dict[str, str] = {}
        args = Namespace(passlib_cfg=None, proxy_protocol=None, inherited_sockets=None)
        self._config = _Config(
            args,
            host=LOOPBACK,
            port=0,
            demo_data=False,
            demo_user="",
            demo_password="",
            tls_enabled=False,  # loopback only; LOGIN is then offered without STARTTLS
            invalid_user_sleep=0.0,
            reject_dnsbl=False,
            cpu_subsystem=Subsystem.for_asyncio(),  # no worker threads to leave behind
        )
        self._login = Login(self._config)
        # aiosmtpd 1.4 itself sets the attribute it deprecates on every successful AUTH and
        # logs a warning about it at each login: noise on the demo's screen.
        logging.getLogger("mail.log").addFilter(_not_login_data_warning)

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> None:
        """Start the loop thread and listen on free loopback ports."""
        self._thread.start()
        self.imap_port, self.smtp_port = self._run(self._listen())

    async def _listen(self) -> tuple[int, int]:
        imap = IMAPServer(self._login, self._config)
        callback = ProxyProtocolReader(self._config.proxy_protocol).get_callback(imap)
        imap_server = await asyncio.start_server(callback, host=LOOPBACK, port=0)
        smtp_server = await self._loop.create_server(self._smtp, host=LOOPBACK, port=0)
        self._servers = [imap_server, smtp_server]
        return _port(imap_server), _port(smtp_server)

    def _smtp(self) -> SMTP:
        return SMTP(
            _Delivery(self),
            hostname="mx.demo.localhost",
            authenticator=self._authenticate,
            auth_require_tls=False,  # loopback only, like the IMAP side
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self._passwords.get(
            data.login.decode(errors="replace")
        ) == data.password.decode(errors="replace")
        return AuthResult(success=ok, handled=False)

    def stop(self) -> None:
        """Close the listeners and stop the loop."""
        if not self._thread.is_alive():
            return
        self._run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        # Sessions of a mail client still connected are cancelled while the loop runs: left
        # pending, each would print "Task was destroyed" and a traceback when the loop closes.
        sessions = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in sessions:
            task.cancel()
        if sessions:
            await asyncio.wait(sessions, timeout=2.0)

    def add_user(self, address: str, password: str) -> None:
        """Create (or reset the password of) a mailbox with INBOX, Sent, Drafts and Trash."""
        self._passwords[address] = password
        self._run(self._add_user(address, password))

    async def _add_user(self, address: str, password: str) -> None:
        hashed = await Passwords(self._config).hash_password(password)
        identity = Identity(address, self._login, None, frozenset())
        await identity.set(UserMetadata(self._config, address, password=hashed))
        async with identity.new_session() as session:
            names = {entry.name for entry in (await session.mailbox_set.list_mailboxes()).list()}
            for folder in FOLDERS:
                if folder not in names:
                    await session.mailbox_set.add_mailbox(folder)

    def is_local(self, address: str) -> bool:
        """Whether a mailbox exists for this address."""
        return address.lower() in self._passwords

    def append(
        self, user: str, folder: str, raw: bytes, when: datetime, flags: tuple[str, ...] = ()
    ) -> None:
        """Put a message straight into a mailbox (seeding: no SMTP, the past's internal date)."""
        self._run(self._append(user, folder, raw, when, flags))

    async def _append(
        self, user: str, folder: str, raw: bytes, when: datetime, flags: tuple[str, ...]
    ) -> None:
        mailbox = await self._mailbox(user, folder)
        message = AppendMessage(raw, when, frozenset(Flag(f.encode()) for f in flags))
        await mailbox.append(message, recent="\\Seen" not in flags)

    async def _mailbox(self, user: str, folder: str) -> Any:
        async with Identity(user, self._login, None, frozenset()).new_session() as session:
            return await session.mailbox_set.get_mailbox(folder)

    def messages(self, user: str, folder: str) -> list[Stored]:
        """Everything in one folder, by UID."""
        return self._run(self._messages(user, folder))

    async def _messages(self, user: str, folder: str) -> list[Stored]:
        mailbox = await self._mailbox(user, folder)
        found = [
            Stored(
                msg.uid,
                msg.internal_date,
                tuple(sorted(bytes(f).decode() for f in msg.permanent_flags)),
                bytes(msg._content),
            )
            async for msg in mailbox.messages()
            if not msg.expunged
        ]
        return sorted(found, key=lambda s: s.uid)

    def save(self, path: Path) -> None:
        """Write every mailbox (UIDVALIDITY, UIDs, flags, dates, bytes) under path."""
        index: dict[str, Any] = {}
        for user in self._passwords:
            for folder in ("INBOX", *FOLDERS):
                box = path / user / folder
                box.mkdir(parents=True, exist_ok=True)
                stored = self.messages(user, folder)
                for s in stored:
                    (box / f"{s.uid}.eml").write_bytes(s.raw)
                index[f"{user}/{folder}"] = {
                    "uidvalidity": self._run(self._validity(user, folder)),
                    "messages": [[s.uid, s.when.isoformat(), list(s.flags)] for s in stored],
                }
        (path / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")

    async def _validity(self, user: str, folder: str) -> int:
        return int((await self._mailbox(user, folder)).uid_validity)

    def load(self, path: Path) -> None:
        """Refill the mailboxes of existing users from save()'s files, keeping UIDs stable."""
        index = json.loads((path / "index.json").read_text(encoding="utf-8"))
        for key, entry in index.items():
            user, folder = key.split("/", 1)
            if self.is_local(user):
                self._run(self._restore(path / user / folder, user, folder, entry))

    async def _restore(self, box: Path, user: str, folder: str, entry: dict[str, Any]) -> None:
        mailbox = await self._mailbox(user, folder)
        # pymap has no API to choose these; same values -> our sync sees nothing renumbered.
        mailbox._uid_validity = int(entry["uidvalidity"])
        for uid, when, flags in entry["messages"]:
            mailbox._max_uid = int(uid) - 1
            raw = (box / f"{uid}.eml").read_bytes()
            seen = frozenset(Flag(f.encode()) for f in flags)
            await mailbox.append(AppendMessage(raw, datetime.fromisoformat(when), seen))

    async def deliver(self, sender: str, recipients: list[str], raw: bytes) -> None:
        """Deliver into local INBOXes; a local sender gets a bounce for unknown recipients."""
        self.deliveries += 1
        self.received.append((sender, list(recipients), raw))
        now = self.clock or datetime.now(UTC)
        unknown = []
        for rcpt in recipients:
            if self.is_local(rcpt):
                trace = f"Return-Path: <{sender}>\r\nDelivered-To: {rcpt}\r\n".encode()
                await self._append(rcpt.lower(), "INBOX", trace + raw, now, ())
            else:
                unknown.append(rcpt)
        if unknown and self.is_local(sender):
            report = bounce_report(sender, unknown, raw, now)
            await self._append(sender.lower(), "INBOX", report, now, ())


class _Delivery:
    """aiosmtpd handler: authenticated senders only, then delivery into the mailboxes."""

    def __init__(self, server: MailServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Take any recipient from a logged-in user; unknown ones bounce after DATA, as MTAs do."""
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        if not parseaddr(address)[1]:
            return "553 5.1.3 Bad recipient address"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        """Deliver the message to every recipient."""
        raw = envelope.original_content or b""
        await self._server.deliver(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        return "250 2.0.0 Delivered"


def _not_login_data_warning(record: logging.LogRecord) -> bool:
    return "login_data is deprecated" not in record.getMessage()


def _port(server: asyncio.Server) -> int:
    sockets = server.sockets
    return int(sockets[0].getsockname()[1])
