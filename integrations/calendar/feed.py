"""An ICS feed URL (the "secret address" calendars publish), polled with a conditional GET.

Built on stdlib http.client rather than httpx: httpx logs every request URL at INFO on the
"httpx" logger, and for a feed the URL *is* the secret; it also reads proxy settings and
.netrc from the environment by default. http.client logs nothing and does only what we ask.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import time
from dataclasses import replace
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from coffeechat.integrations.calendar.base import (
    MAX_BYTES,
    CalendarError,
    FetchResult,
    Password,
    SourceGarbage,
    SourceState,
    SourceTlsFailure,
    SourceUnreachable,
    Window,
    check_icalendar,
    covered_range,
    describe,
    digest_of,
    http_status_error,
    is_loopback,
    redact_url,
    too_big,
)
from coffeechat.integrations.tls import verifying_context

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_USER_AGENT = "coffeechat-calendar/0.1"


class IcsFeedSource:
    """An ICS feed URL; an unchanged feed costs one request and returns no data."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        ca_file: str | Path | None = None,
        username: str | None = None,
        password: Password | None = None,
        timeout: float = 30.0,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        """Check the URL and build the TLS context; nothing is fetched yet."""
        self.name = name
        self._url = _https_for_webcal(url)
        parts = urlsplit(self._url)
        self._where = f"calendar {name!r} at {redact_url(self._url)}"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{self._where}: the feed URL must be http(s):// or webcal://")
        if (username or password) and parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError(f"{self._where}: refusing to send a password over plain http")
        self._username = username
        self._password = password
        self._timeout = timeout
        self._max_bytes = max_bytes
        # Verified against the given CA, or the system store; never CERT_NONE. Built (once
        # per process) only when an https connection needs it: http feeds never pay for it.
        self._ca_file = ca_file or None

    def __repr__(self) -> str:
        return f"IcsFeedSource(name={self.name!r}, url={redact_url(self._url)!r})"

    def fetch(self, state: SourceState, window: Window) -> FetchResult:
        """GET the feed, conditionally within the same UTC day; 304 means unchanged."""
        covered = covered_range(window)
        fresh = state.covered == covered  # same day: a 304 or the same bytes mean "nothing new"
        conditions: dict[str, str] = {}
        if fresh and state.etag:
            conditions["If-None-Match"] = state.etag
        if fresh and state.last_modified:
            conditions["If-Modified-Since"] = state.last_modified
        secret = self._password() if self._password else None
        try:
            status, headers, body = self._get(conditions, secret)
        except CalendarError:
            raise
        except (OSError, http.client.HTTPException) as err:
            # `from None`: the library's exception may carry the URL in its message or request.
            raise _translate(err, self._where, self._url, secret) from None
        validators = {"etag": headers.get("ETag"), "last_modified": _strong_last_modified(headers)}
        if status == 304:
            if not conditions:
                raise SourceGarbage(f"{self._where}: 304 to an unconditional request")
            # A 304 may carry fresher validators (RFC 9110 15.4.5); keep the old ones otherwise.
            kept = {key: value for key, value in validators.items() if value}
            return FetchResult(changed=False, state=replace(state, **kept))
        if status != 200:
            raise http_status_error(status, self._where)
        check_icalendar(body, self._where)
        digest = digest_of([body])
        new_state = SourceState(digest=digest, covered=covered, **validators)
        if fresh and digest == state.digest:  # a server ignoring validators sent the same bytes
            return FetchResult(changed=False, state=new_state)
        return FetchResult(changed=True, state=new_state, data=(body,))

    def _get(self, conditions: dict[str, str], secret: str | None) -> tuple[int, Message, bytes]:
        deadline = time.monotonic() + self._timeout
        url = self._url
        origin = _origin(url)
        for _ in range(_MAX_REDIRECTS + 1):
            headers = {"User-Agent": _USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
            headers.update(conditions)
            # Credentials go only to the origin the user named, never to a redirect target.
            if self._username is not None and secret is not None and _origin(url) == origin:
                token = base64.b64encode(f"{self._username}:{secret}".encode()).decode()
                headers["Authorization"] = f"Basic {token}"
            status, reply, body, location = self._once(url, headers, deadline)
            if status not in _REDIRECTS or location is None:
                return status, reply, body
            target = urljoin(url, location)
            scheme = urlsplit(target).scheme
            if scheme not in ("http", "https"):
                raise SourceGarbage(f"{self._where}: redirected to a {scheme or 'bad'} URL")
            if urlsplit(url).scheme == "https" and scheme == "http":
                raise SourceTlsFailure(f"{self._where}: redirect from https to http refused")
            url = target
        raise SourceGarbage(f"{self._where}: more than {_MAX_REDIRECTS} redirects")

    def _once(
        self, url: str, headers: dict[str, str], deadline: float
    ) -> tuple[int, Message, bytes, str | None]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                host, parts.port, timeout=self._timeout, context=verifying_context(self._ca_file)
            )
        else:
            connection = http.client.HTTPConnection(host, parts.port, timeout=self._timeout)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            location = response.getheader("Location")
            body = self._read(response, deadline) if response.status == 200 else b""
            return response.status, response.msg, body, location
        finally:
            connection.close()

    def _read(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        declared = response.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise too_big(self._where, self._max_bytes)
        chunks: list[bytes] = []
        total = 0
        while chunk := response.read(_CHUNK):
            total += len(chunk)
            if total > self._max_bytes:
                raise too_big(self._where, self._max_bytes)
            # The socket timeout is per read: a server trickling bytes could hold us forever.
            if time.monotonic() > deadline:
                raise SourceUnreachable(f"{self._where}: timed out after {self._timeout:g}s")
            chunks.append(chunk)
        return b"".join(chunks)


def _https_for_webcal(url: str) -> str:
    # webcal:// is a hint to open a calendar app; the feed itself is served over https.
    scheme, sep, rest = url.strip().partition("://")
    if sep and scheme.lower() in ("webcal", "webcals"):
        return f"https://{rest}"
    return url.strip()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _translate(err: BaseException, where: str, url: str, secret: str | None) -> CalendarError:
    secrets = [secret] if secret else []
    if isinstance(err, ssl.SSLCertVerificationError):
        return SourceTlsFailure(f"{where}: certificate not trusted ({err.verify_message})")
    if isinstance(err, ssl.SSLError):
        return SourceTlsFailure(f"{where}: TLS failed ({describe(err, url, secrets)})")
    if isinstance(err, TimeoutError):
        return SourceUnreachable(f"{where}: timed out")
    if isinstance(err, socket.gaierror):
        return SourceUnreachable(f"{where}: host name not resolved ({err.strerror})")
    if isinstance(err, OSError | http.client.IncompleteRead):
        # RemoteDisconnected is both; a dropped connection is worth another try.
        return SourceUnreachable(f"{where}: {describe(err, url, secrets)}")
    return SourceGarbage(f"{where}: not an HTTP answer ({describe(err, url, secrets)})")


def _strong_last_modified(headers: Message) -> str | None:
    """Last-Modified, when it can be trusted as a validator (RFC 9110 8.8.2.2), else None.

    A time not at least a second before the response's Date may be followed by another write in
    the same second, which If-Modified-Since could not tell apart: such a feed is then fetched
    whole and compared by digest instead.
    """
    modified, date = headers.get("Last-Modified"), headers.get("Date")
    if not modified or not date:
        return None
    try:
        lag = parsedate_to_datetime(date) - parsedate_to_datetime(modified)
    except (TypeError, ValueError, IndexError):
        return None
    return modified if lag.total_seconds() >= 1 else None
