"""A CalDAV calendar collection, read with a time-range query and skipped when unchanged.

Each poll is one PROPFIND for the collection's DAV:sync-token or CS:getctag; only when it
moved (or the covered range did) does a calendar-query REPORT fetch the events overlapping the
window: masters with their overrides, unexpanded. The sync token serves only as a change
marker, not for an incremental sync-collection: callers need the whole window each time to
notice a meeting that disappeared. Only the marker already held is asked for: Radicale
hashes the whole collection for each one (~90 ms per marker at 1,000 events). The PROPFIND
comes before the REPORT, so a change made between them is seen again at the next poll
rather than lost.

caldav's DAVClient does the HTTP, the auth negotiation and the multistatus parsing; its
search() is not used because it builds resource objects whose data goes through vcal.fix(),
which rewrites events (adding DTSTAMP=now, so digests would never repeat) and logs diffs of
their content, attendees included, at WARNING. The REPORT body is the server's own text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as dav_http

from integrations.calendar.base import (
    CalendarError,
    FetchResult,
    Password,
    SourceAuthFailed,
    SourceGarbage,
    SourceNotFound,
    SourceState,
    SourceTlsFailure,
    SourceUnreachable,
    Window,
    covered_range,
    describe,
    digest_of,
    http_status_error,
    is_loopback,
    redact_url,
)
from integrations.tls import verifying_context

# What talking to a server through caldav can raise; anything else is a bug and surfaces.
_FAILURES = (
    dav_error.DAVError,
    dav_http.exceptions.RequestException,
    NotImplementedError,
    ValueError,
    OSError,
)

_CALENDAR = "{urn:ietf:params:xml:ns:caldav}calendar"
_PROP_CTAG = "{http://calendarserver.org/ns/}getctag"
_PROP_SYNC = "{DAV:}sync-token"

_PROPFIND = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
  <D:prop><D:resourcetype/>{props}</D:prop>
</D:propfind>"""
_PROP_XML = {_PROP_CTAG: "<CS:getctag/>", _PROP_SYNC: "<D:sync-token/>"}

_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


class CalDavSource:
    """One CalDAV calendar collection (its URL, not the server's root)."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        username: str | None = None,
        password: Password | None = None,
        ca_file: str | Path | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Check the URL; nothing is fetched yet."""
        self.name = name
        self._url = url if url.endswith("/") else url + "/"
        parts = urlsplit(self._url)
        self._where = f"calendar {name!r} at {redact_url(self._url)}"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{self._where}: the CalDAV URL must be http(s)://")
        if password and parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError(f"{self._where}: refusing to send a password over plain http")
        if ca_file is not None:
            verifying_context(ca_file)  # fail now on an unreadable CA
        self._username = username
        self._password = password
        self._ca_file = str(ca_file) if ca_file is not None else None
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"CalDavSource(name={self.name!r}, url={redact_url(self._url)!r})"

    def fetch(self, state: SourceState, window: Window) -> FetchResult:
        """Return the events overlapping window, or changed=False when nothing moved."""
        secret = self._password() if self._password else None
        covered = covered_range(window)
        try:
            with self._client(secret) as client:
                wanted = _wanted(state)
                markers = self._markers(client, wanted)
                held = {_PROP_CTAG: state.ctag, _PROP_SYNC: state.sync_token}
                same = all(
                    markers[prop] is not None and markers[prop] == held[prop] for prop in wanted
                )
                if same and state.covered == covered:
                    return FetchResult(changed=False, state=state)
                data = self._events(client, covered)
        except CalendarError:
            raise
        except _FAILURES as err:
            # `from None`: caldav's messages and attributes carry the URL.
            raise _translate(err, self._where, self._url, secret) from None
        digest = digest_of(data)
        ctag, token = markers.get(_PROP_CTAG), markers.get(_PROP_SYNC)
        new_state = SourceState(ctag=ctag, sync_token=token, digest=digest, covered=covered)
        if digest == state.digest and covered == state.covered:
            return FetchResult(changed=False, state=new_state)
        return FetchResult(changed=True, state=new_state, data=data)

    def _client(self, secret: str | None) -> DAVClient:
        client = DAVClient(
            url=self._url,
            username=self._username,
            password=secret,
            ssl_verify_cert=self._ca_file or True,
            timeout=max(1, round(self._timeout)),
            enable_rfc6764=False,  # no DNS discovery: talk to the URL the user gave, only
        )
        # No proxies or .netrc credentials picked up from the environment behind our back.
        client.session.trust_env = False
        return client

    def _markers(self, client: DAVClient, wanted: tuple[str, ...]) -> dict[str, str | None]:
        body = _PROPFIND.format(props="".join(_PROP_XML[prop] for prop in wanted))
        response: Any = client.propfind(self._url, body, depth=0)
        if response.status not in (200, 207):
            raise http_status_error(response.status, self._where)
        results = response.results or []
        if not results:
            raise SourceGarbage(f"{self._where}: not a WebDAV answer")
        props: dict[str, Any] = results[0].properties
        types = props.get("{DAV:}resourcetype") or []
        if _CALENDAR not in ([types] if isinstance(types, str) else types):
            raise SourceNotFound(f"{self._where}: not a calendar collection")
        return {prop: _text(props.get(prop)) for prop in wanted}

    def _events(self, client: DAVClient, covered: str) -> tuple[bytes, ...]:
        start, end = covered.split("/")
        response: Any = client.report(self._url, _QUERY.format(start=start, end=end), depth=1)
        if response.status not in (200, 207):
            raise http_status_error(response.status, self._where)
        found = [
            (result.href, result.calendar_data.encode())
            for result in response.parse_calendar_query()
            # Some servers list the collection itself or per-resource errors: no data there.
            if result.status == 200 and result.calendar_data
        ]
        return tuple(data for _, data in sorted(found))


def _wanted(state: SourceState) -> tuple[str, ...]:
    # The standard sync-token first; both only while we know of neither.
    if state.sync_token:
        return (_PROP_SYNC,)
    if state.ctag:
        return (_PROP_CTAG,)
    return (_PROP_SYNC, _PROP_CTAG)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _translate(err: Exception, where: str, url: str, secret: str | None) -> CalendarError:
    secrets = [secret] if secret else []
    why = describe(err, url, secrets)
    status = getattr(err, "status", None)
    if isinstance(err, dav_error.AuthorizationError):
        return SourceAuthFailed(f"{where}: credentials refused (HTTP {status})", status=status)
    if isinstance(err, NotImplementedError):  # the server offers no auth scheme caldav knows
        return SourceAuthFailed(f"{where}: no supported authentication method")
    if isinstance(err, dav_error.RateLimitError):
        return SourceGarbage(f"{where}: rate limited", transient=True, status=status)
    if isinstance(err, dav_error.NotFoundError):
        return SourceNotFound(f"{where}: not found", status=status)
    if isinstance(err, dav_http.exceptions.SSLError):
        return SourceTlsFailure(f"{where}: TLS failed ({why})")
    if isinstance(err, dav_http.exceptions.ConnectionError | dav_http.exceptions.Timeout):
        return SourceUnreachable(f"{where}: {why}")
    if isinstance(err, dav_error.DAVError | dav_http.exceptions.RequestException):
        transient = isinstance(status, int) and status >= 500
        return SourceGarbage(f"{where}: {why}", transient=transient, status=status)
    if isinstance(err, OSError):
        return SourceUnreachable(f"{where}: {why}")
    return SourceGarbage(f"{where}: unreadable answer ({why})")
