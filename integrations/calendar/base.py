"""What every calendar source shares: its state, its result, its Protocol and its errors.

A source returns raw iCalendar bytes and never parses events: normalising is the pure
parser's job (models/calendar). changed=False promises that parsing again would find nothing
new *for this window*. A window moves with the clock, and a weekly series unchanged at its
source still brings new occurrences into it: so each source also remembers the day-rounded
range it last answered for (`covered`) and answers changed=True, with data, once the window
has moved into a new UTC day: one full fetch and parse per source per day, at most.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from coffeechat.models.calendar.types import MAX_CALENDAR_BYTES, Window

# What the parser accepts at most (see coffeechat.models.calendar.types): a source refuses anything
# bigger while reading it, before it is parsed, so one huge feed costs neither memory nor time.
# Sources take `max_bytes` to set a lower cap; a higher one would only be refused by the parser.
MAX_BYTES = MAX_CALENDAR_BYTES


@dataclass(frozen=True)
class SourceState:
    """What a source remembers between polls; the caller persists it (see to_dict/from_dict)."""

    etag: str | None = None
    last_modified: str | None = None
    sync_token: str | None = None
    ctag: str | None = None
    # sha256 of the data last returned: detects "no change" when a server ignores validators.
    digest: str | None = None
    # The day-rounded range last answered for, "start/end" in UTC basic format (see above).
    covered: str | None = None

    def to_dict(self) -> dict[str, str]:
        """Return the non-empty fields, ready for JSON."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> SourceState:
        """Rebuild a state from to_dict() output, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class FetchResult:
    """One poll: changed=False means the data equals what the last poll returned (data=())."""

    changed: bool
    state: SourceState
    data: tuple[bytes, ...] = ()


class CalendarSource(Protocol):
    """Anything that can hand over raw iCalendar documents for a window."""

    name: str

    def fetch(self, state: SourceState, window: Window) -> FetchResult:
        """Return the source's data, or changed=False when it is the same as at `state`."""
        ...


class CalendarError(Exception):
    """A source could not be read; the message never holds a secret (URL path, password)."""

    transient: bool = False

    def __init__(
        self, message: str, *, transient: bool | None = None, status: int | None = None
    ) -> None:
        """Keep the message; `transient` overrides the class default (e.g. for HTTP 5xx)."""
        super().__init__(message)
        if transient is not None:
            self.transient = transient
        self.status = status


class SourceUnreachable(CalendarError):
    """Nothing answered, the connection broke or timed out: try again later."""

    transient = True


class SourceAuthFailed(CalendarError):
    """The credentials were refused (or the file is not readable by us)."""


class SourceTlsFailure(CalendarError):
    """The TLS handshake or certificate verification failed, or TLS was downgraded."""


class SourceNotFound(CalendarError):
    """The URL, collection or file does not exist (or is not a calendar)."""


class SourceGarbage(CalendarError):
    """The answer was an HTTP error or not iCalendar; transient only for 5xx/429/408."""


def too_big(where: str, limit: int) -> SourceGarbage:
    """The error for a calendar over its size cap."""
    return SourceGarbage(f"{where}: larger than {limit} bytes, the calendar size cap; not read")


Password = Callable[[], str]


def covered_range(window: Window) -> str:
    """Return the window widened to whole UTC days plus one each side, as "start/end"."""
    # The extra day: a CalDAV server places floating and all-day events in UTC.
    day = datetime.min.time()
    start = datetime.combine(window.start.astimezone(UTC).date(), day, UTC) - timedelta(days=1)
    end = datetime.combine(window.end.astimezone(UTC).date(), day, UTC) + timedelta(days=2)
    return f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"


def redact_url(url: str) -> str:
    """Return scheme://host[:port]/… : "secret address" feeds carry their token in path/query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return "<unparseable URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    hidden = parts.path not in ("", "/") or parts.query or parts.fragment
    return f"{parts.scheme}://{netloc}/{'…' if hidden else ''}"


def scrub(text: str, url: str, secrets: Iterable[str] = ()) -> str:
    """Remove the URL's secret parts (and any given secrets) from a third party's message."""
    parts = urlsplit(url)
    suspects = [url, parts.path + ("?" + parts.query if parts.query else ""), parts.query]
    suspects += [parts.password or "", *secrets]
    # Longest first, so a full URL is replaced before its own path is.
    for suspect in sorted((s for s in suspects if len(s) > 1), key=len, reverse=True):
        text = text.replace(suspect, "…")
    return text


def describe(err: BaseException, url: str, secrets: Iterable[str] = ()) -> str:
    """Return "ErrorType: message" with secrets scrubbed, for our own error messages."""
    detail = scrub(str(err), url, secrets)
    return f"{type(err).__name__}: {detail}" if detail else type(err).__name__


def is_loopback(host: str | None) -> bool:
    """Return True for localhost and loopback addresses."""
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_icalendar(data: bytes, where: str) -> None:
    """Raise SourceGarbage unless data is one or more whole VCALENDARs (not cut short)."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n").rstrip()
    # A truncated calendar would look like mass cancellations: demand the final END too.
    if not text[:15].upper() == b"BEGIN:VCALENDAR" or not text[-13:].upper() == b"END:VCALENDAR":
        raise SourceGarbage(f"{where}: the answer is not an iCalendar document")


def digest_of(chunks: Iterable[bytes]) -> str:
    """Return a sha256 over the documents, each length-prefixed so boundaries count."""
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(len(chunk).to_bytes(8, "big"))
        hasher.update(chunk)
    return hasher.hexdigest()


def http_status_error(status: int, where: str) -> CalendarError:
    """Translate a final HTTP status that is not success into our error."""
    if status in (401, 403):
        return SourceAuthFailed(f"{where}: credentials refused (HTTP {status})", status=status)
    if status in (404, 410):
        return SourceNotFound(f"{where}: not found (HTTP {status})", status=status)
    # 501/505 say "never", not "later".
    transient = (status >= 500 and status not in (501, 505)) or status in (408, 425, 429)
    return SourceGarbage(f"{where}: HTTP {status}", transient=transient, status=status)


__all__ = [
    "MAX_BYTES",
    "CalendarError",
    "CalendarSource",
    "FetchResult",
    "Password",
    "SourceAuthFailed",
    "SourceGarbage",
    "SourceNotFound",
    "SourceState",
    "SourceTlsFailure",
    "SourceUnreachable",
    "Window",
    "too_big",
]
