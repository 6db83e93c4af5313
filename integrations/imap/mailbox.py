"""A logged-in IMAP session: folders, searches, bulk fetches, APPEND and IDLE."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType

from imap_tools.utils import encode_folder

from coffeechat.integrations.imap import fetch, folders, idle, stream
from coffeechat.integrations.imap.connection import ImapEndpoint, _Session, discard
from coffeechat.integrations.imap.errors import (
    CommandRejected,
    ConnectionDropped,
    MailboxError,
    rejected,
    translated,
)
from coffeechat.integrations.imap.fetch import FullItem, HeaderItem

log = logging.getLogger(__name__)

_STATUS_PAIR = re.compile(rb"([A-Z]+) (\d+)")


@dataclass(frozen=True)
class FolderStatus:
    """A folder's counters from STATUS."""

    uidvalidity: int
    uidnext: int
    messages: int
    highest_modseq: int | None


class PendingHeaders:
    """The answer to a header fetch sent ahead of time (see Mailbox.prefetch_headers)."""

    def __init__(self, mailbox: Mailbox, folder: str) -> None:
        """Track one prefetch; made by Mailbox.prefetch_headers only."""
        self._mailbox = mailbox
        self.folder = folder
        self._tag: bytes | None = None
        self._items: list[HeaderItem] | None = None
        self._error: MailboxError | None = None

    def result(self) -> list[HeaderItem]:
        """Return the headers (uid, size, header block), reading the answer if still needed."""
        if self._items is None and self._mailbox._pending is self:
            self._mailbox._finish_pending()
        if self._error is not None:
            raise self._error
        if self._items is None:
            raise ConnectionDropped(f"the prefetch of {self.folder!r} was lost with its session")
        return self._items


class Mailbox:
    """One logged-in IMAP session (a context manager); not thread-safe."""

    def __init__(self, session: _Session, endpoint: ImapEndpoint, capabilities: frozenset[str]):
        """Wrap a logged-in session; use coffeechat.integrations.imap.connect() rather than this."""
        self._session = session
        self._client: imaplib.IMAP4 = session.client
        self._host = endpoint.host
        self._label = f"{endpoint.username}@{endpoint.host}:{endpoint.effective_port}"
        self.capabilities = capabilities
        self._selected: str | None = None
        self._news = False  # new mail announced in a response we already cleared away
        self._broken = False
        self._pending: PendingHeaders | None = None  # a prefetch whose answer is still unread
        self._roles: dict[str, str] | None = None  # what this session's LIST found, once asked
        self._names: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"Mailbox({self._label})"

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Log out, ignoring a connection that is already gone."""
        # With a prefetch in flight LOGOUT would first read its whole answer: just hang up.
        if not self._broken and self._pending is None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error, EOFError):
                self._client.logout()
        self._broken = True
        discard(self._session)

    @contextlib.contextmanager
    def _command(self, name: str, folder: str | None = None) -> Iterator[None]:
        if self._broken:
            raise ConnectionDropped(f"session with {self._host} is closed; reconnect")
        if self._pending is not None:
            self._finish_pending()
        try:
            with translated(name, self._host, folder):
                yield
        except (ConnectionDropped, KeyboardInterrupt, SystemExit):
            # Interrupted mid-command, the rest of the response would confuse the next one.
            self._broken = True
            self._selected = None
            self._pending = None
            raise

    def _examine(self, folder: str) -> None:
        # Read-only selection: nothing we do can set \Seen or clear \Recent by accident.
        if self._selected == folder and not self._broken:
            # Dovecot runs a command on its current view and only then looks for new mail:
            # NOOP brings the view up to date so the next SEARCH/FETCH sees everything.
            self.noop()
            return
        self._selected = None
        with self._command("EXAMINE", folder):
            self._session.folder.set(folder, readonly=True)
        self._selected = folder
        # What SELECT reports (EXISTS, FLAGS...) is no news: start counting from here.
        self._client.untagged_responses.clear()
        self._news = False

    def delete_uids(self, folder: str, uids: Sequence[int]) -> bool:
        """Remove exactly these messages (UID EXPUNGE); False when the server cannot do that safely.

        A plain EXPUNGE would also remove anything else the user flagged \\Deleted, so without
        UIDPLUS nothing is expunged: the messages are only flagged, and False says so.
        """
        wanted = fetch.normalise_uids(uids)
        if not wanted:
            return True
        self._selected = None  # leave read-only mode: this is the one command that writes
        with self._command("SELECT", folder):
            self._session.folder.set(folder, readonly=False)
        try:
            with self._command("UID STORE", folder):
                typ, data = self._client.uid(
                    "STORE", fetch.sequence_set(wanted), "+FLAGS.SILENT", "(\\Deleted)"
                )
            if typ != "OK":
                raise rejected("UID STORE", typ, data, folder)
            if "UIDPLUS" not in self.capabilities:
                return False
            with self._command("UID EXPUNGE", folder):
                typ, data = self._client.uid("EXPUNGE", fetch.sequence_set(wanted))
            if typ != "OK":
                raise rejected("UID EXPUNGE", typ, data, folder)
            return True
        finally:
            # Never CLOSE here: CLOSE expunges every \\Deleted message in the folder. Going back
            # to a read-only EXAMINE deselects without expunging anything.
            with contextlib.suppress(MailboxError):
                self._examine(folder)

    def clear_untagged(self) -> None:
        """Forget unsolicited responses (Dovecot leftovers) before a bulk fetch."""
        self._news = self._news or idle.has_news(self._client)
        self._client.untagged_responses.clear()

    def noop(self) -> None:
        """Send NOOP (keeps the session alive, lets the server report changes)."""
        with self._command("NOOP"):
            self._client.noop()

    @property
    def can_idle(self) -> bool:
        """Whether the server offers IDLE (RFC 2177); without it a watcher must poll."""
        return "IDLE" in self.capabilities

    def special_folders(self) -> dict[str, str]:
        """Return {"sent": ..., "drafts": ...} (and trash/junk/archive/all when known)."""
        with self._command("LIST"):
            listed = folders.list_folders(self._session, ())
            roles = folders.special_folders(self._session, self.capabilities, listed)
        self._roles, self._names = roles, folders.folder_names(listed)
        return dict(roles)

    def folder_for(self, role: str, configured: str | None = None) -> str | None:
        """The folder playing role now: configured if it exists, else what the server says.

        Looked up once per session (forget_folders() asks again): a folder renamed or a
        namespace changed since the last session is found under its new name.
        """
        if self._roles is None:
            self.special_folders()
        assert self._roles is not None
        if configured is not None and configured in self._names:
            return configured
        found = self._roles.get(role)
        if configured is not None:
            log.warning(
                "the configured %s folder %r is not on %s; using %r",
                role,
                configured,
                self._host,
                found,
            )
        return found

    def forget_folders(self) -> None:
        """Drop the folder roles found so far: the next folder_for() lists the folders again."""
        self._roles = None

    def check_news(self, folder: str) -> bool:
        """Poll folder with NOOP (for servers without IDLE); True when new mail was announced."""
        self._examine(folder)  # NOOP when already selected: that is the poll
        news = self._news or idle.has_news(self._client)
        if news:
            self.clear_untagged()
            self._news = False
        return news

    def status(self, folder: str) -> FolderStatus:
        """Return UIDVALIDITY, UIDNEXT, MESSAGES (and HIGHESTMODSEQ with CONDSTORE) of folder."""
        items = "UIDVALIDITY UIDNEXT MESSAGES"
        if "CONDSTORE" in self.capabilities:
            items += " HIGHESTMODSEQ"
        with self._command("STATUS", folder):
            typ, data = self._client._simple_command("STATUS", encode_folder(folder), f"({items})")
            if typ != "OK":
                raise rejected("STATUS", typ, data, folder)
            _, lines = self._client._untagged_response(typ, data, "STATUS")
        values = _status_values(lines)
        try:
            return FolderStatus(
                uidvalidity=values["UIDVALIDITY"],
                uidnext=values["UIDNEXT"],
                messages=values["MESSAGES"],
                highest_modseq=values.get("HIGHESTMODSEQ"),
            )
        except KeyError as err:
            raise MailboxError(f"STATUS of {folder!r} on {self._host} lacks {err}") from None

    def uids_after(self, folder: str, last_uid: int) -> list[int]:
        """Return the UIDs above last_uid (n:* always matches the highest UID: filtered here)."""
        if last_uid >= fetch.MAX_UID:
            return []
        uids = self._search(folder, "UID", f"{max(last_uid, 0) + 1}:*")
        return [uid for uid in uids if uid > last_uid]

    def uids_since(self, folder: str, since: date) -> list[int]:
        """Return the UIDs of messages whose internal date is on or after since."""
        return self._search(folder, "SINCE", fetch.imap_date(since))

    def search_message_id(self, folder: str, message_id: str) -> list[int]:
        """Return the UIDs whose Message-ID header contains <message_id>."""
        return self._search(folder, "HEADER", "Message-ID", _quoted_message_id(message_id))

    def uids_to_since(self, folder: str, address: str, since: date) -> list[int]:
        """Return the UIDs of messages to address with an internal date on or after since."""
        if not address.isascii() or any(c in address for c in '"\\\r\n'):
            return []  # never a quoted-string we could get wrong; outbox addresses are plain
        return self._search(folder, "SINCE", fetch.imap_date(since), "TO", f'"{address}"')

    def _search(self, folder: str, *criteria: str) -> list[int]:
        self._examine(folder)
        with self._command("UID SEARCH", folder):
            typ, data = self._client.uid("SEARCH", *criteria)
        if typ != "OK":
            raise rejected("UID SEARCH", typ, data, folder)
        return fetch.parse_search(data)

    def fetch_headers(
        self, folder: str, uids: Sequence[int], *, chunk: int = 2000, lean: bool = False
    ) -> Iterator[HeaderItem]:
        """Yield header, size, flags, date per UID, in chunks (lean: no flags/date); no \\Seen."""
        items = fetch.LEAN_HEADER_ITEMS if lean else fetch.HEADER_ITEMS
        for part in fetch.chunks(fetch.normalise_uids(uids), chunk):
            yield from fetch.parse_headers(self._fetch(folder, part, items), lean=lean)

    def prefetch_headers(self, folder: str, uids: Sequence[int]) -> PendingHeaders:
        """Send a lean header fetch now, read it on result(): the server works meanwhile."""
        # Any other command on this session reads the answer first (IMAP answers come in
        # order), so nothing else has to know that a fetch is in flight.
        wanted = fetch.normalise_uids(uids)
        pending = PendingHeaders(self, folder)
        if not wanted:
            pending._items = []
            return pending
        self._examine(folder)
        self.clear_untagged()
        with self._command("UID FETCH", folder):
            pending._tag = stream.send_uid_fetch(
                self._client, fetch.sequence_set(wanted), fetch.LEAN_HEADER_ITEMS
            )
        self._pending = pending
        return pending

    def _finish_pending(self) -> None:
        """Read the answer of a prefetch still in flight (before anything else is sent)."""
        pending, self._pending = self._pending, None
        if pending is None or pending._tag is None:
            return
        tag, pending._tag = pending._tag, None
        with self._command("UID FETCH", pending.folder):
            typ, data = stream.read_uid_fetch(self._client, tag)
        if typ != "OK":
            # Kept for result(): the command that happened to read this answer is not at fault.
            pending._error = rejected("UID FETCH", typ, data, pending.folder)
            return
        pending._items = list(fetch.parse_headers(data, lean=True))

    def fetch_full(
        self, folder: str, uids: Sequence[int], *, max_bytes: int, chunk: int = 200
    ) -> Iterator[FullItem]:
        """Yield whole messages of at most max_bytes (larger ones skipped); never sets \\Seen."""
        items = fetch.full_items(max_bytes)
        for part in fetch.chunks(fetch.normalise_uids(uids), chunk):
            yield from fetch.parse_full(self._fetch(folder, part, items), max_bytes)

    def _fetch(self, folder: str, uids: Sequence[int], items: str) -> list[object]:
        # Re-examined per chunk: the caller may have used another folder between chunks.
        self._examine(folder)
        self.clear_untagged()
        with self._command("UID FETCH", folder):
            typ, data = fetch.uid_fetch(self._client, uids, items)
        if typ != "OK":
            raise rejected("UID FETCH", typ, data, folder)
        return data

    def append(
        self,
        folder: str,
        raw: bytes,
        *,
        flags: Sequence[str] = (),
        when: datetime | None = None,
    ) -> int | None:
        """APPEND raw to folder (when must be timezone-aware); return the new UID if reported."""
        with self._command("APPEND", folder):
            self._session.append(raw, folder, dt=when, flag_set=list(flags))
            codes = self._client.untagged_responses.pop("APPENDUID", [])
        last = codes[-1] if codes else b""
        parts = last.split() if isinstance(last, bytes) else []
        return int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else None

    def idle_wait(
        self, folder: str, timeout: float, interrupted: Callable[[], bool] | None = None
    ) -> bool:
        """IDLE on folder until new mail is announced (True) or timeout seconds pass (False).

        interrupted() is checked about once a second, with no traffic; True ends the wait.
        """
        idle.check_timeout(timeout)
        if not self.can_idle:
            raise CommandRejected(f"{self._host} does not offer IDLE; poll with check_news()")
        self._examine(folder)
        if self._news or idle.has_news(self._client):
            self.clear_untagged()
            self._news = False
            return True
        with self._command("IDLE", folder):
            woke = idle.idle(self._client, self._host, timeout, interrupted)
        self._client.untagged_responses.clear()
        self._news = False
        return woke


def _status_values(lines: Sequence[object]) -> dict[str, int]:
    # The folder name may come as a literal; the counters are in the last bytes item.
    last = [item for item in lines if isinstance(item, bytes)]
    text = last[-1].rsplit(b"(", 1)[-1] if last else b""
    return {key.decode(): int(value) for key, value in _STATUS_PAIR.findall(text)}


def _quoted_message_id(message_id: str) -> str:
    value = message_id.strip().strip("<>")
    if not value or not all(" " < ch < "\x7f" for ch in value):
        raise ValueError("a Message-ID must be non-empty printable ASCII without spaces")
    # HEADER matches substrings: the brackets stop "<1@x>" from matching "<21@x>".
    value = f"<{value}>"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
