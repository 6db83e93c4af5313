"""A CalDAV calendar collection, read with a time-range query and skipped when unchanged.

Each poll is one PROPFIND for the collection's DAV:sync-token or CS:getctag; only when it
moved (or the covered range did) does a calendar-query REPORT fetch the events overlapping the
window: masters with their overrides, unexpanded. The sync token serves only as a change
marker, not for an incremental sync-collection: callers need the whole window each time to
notice a meeting that disappeared. Only the marker already held is asked for: Radicale
hashes the whole collection for each one (~90 ms per marker at 1,000 events). The PROPFIND
comes before the REPORT, so a change made between them is seen again at the next poll
rather than lost.

Users know their server's address, not a collection's path: `discover` starts from whatever
they have (the server root, a principal, a calendar home, or an email address whose domain is
asked for its RFC 6764 `/.well-known/caldav`) and follows `current-user-principal` and
`calendar-home-set` to the calendars that hold events. `coffeechat connect` stores the
collection URL it finds; a source configured by hand with a non-collection URL is resolved the
same way at each sync, and works when exactly one calendar is found there (several: the error
names them). DNS SRV/TXT records (the other half of RFC 6764) are not looked up.

caldav's DAVClient does the HTTP, the auth negotiation and the multistatus parsing; its
search() is not used because it builds resource objects whose data goes through vcal.fix(),
which rewrites events (adding DTSTAMP=now, so digests would never repeat) and logs diffs of
their content, attendees included, at WARNING. The REPORT body is the server's own text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as dav_http

from coffeechat.integrations.calendar.base import (
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
from coffeechat.integrations.tls import verifying_context

# What talking to a server through caldav can raise; anything else is a bug and surfaces.
_FAILURES = (
    dav_error.DAVError,
    dav_http.exceptions.RequestException,
    NotImplementedError,
    ValueError,
    OSError,
)

_CALENDAR = "{urn:ietf:params:xml:ns:caldav}calendar"
_PROP_PRINCIPAL = "{DAV:}current-user-principal"
_PROP_HOME = "{urn:ietf:params:xml:ns:caldav}calendar-home-set"
_PROP_NAME = "{DAV:}displayname"
_PROP_COMPONENTS = "{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set"
_PROP_TYPE = "{DAV:}resourcetype"
_DISCOVER = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:resourcetype/><D:displayname/><D:current-user-principal/>
    <C:calendar-home-set/><C:supported-calendar-component-set/></D:prop>
</D:propfind>"""
# A home with more calendars than this is listed up to it: the answer's cost is bounded.
MAX_CALENDARS = 200
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
        self._where = f"calendar {name!r} at {redact_url(self._url)}"
        _check_url(self._url, self._where, password is not None)
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
            with _client(self._url, self._username, secret, self._ca_file, self._timeout) as client:
                wanted = _wanted(state)
                try:
                    markers = self._markers(client, wanted)
                except _NotACalendar:
                    self._url = self._only_calendar(client)  # a root, principal or home
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

    def _only_calendar(self, client: DAVClient) -> str:
        found = _calendars_from(client, self._url, self._where)
        if len(found) == 1:
            return found[0].url
        if not found:
            raise SourceNotFound(f"{self._where}: not a calendar collection, and none found there")
        names = ", ".join(repr(c.name) for c in found[:10])
        raise SourceNotFound(
            f"{self._where}: {len(found)} calendars found there ({names}); "
            "choose one with `coffeechat connect` or give its URL"
        )

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
        if _CALENDAR not in _values(types):
            raise _NotACalendar(f"{self._where}: not a calendar collection")
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


class _NotACalendar(SourceNotFound):
    """The URL answers WebDAV but is not a calendar collection: discovery may start there."""


class FoundCalendar(NamedTuple):
    """A calendar collection discovery found: its display name and its URL."""

    name: str
    url: str


def discover(
    start: str,
    *,
    username: str | None = None,
    password: Password | None = None,
    ca_file: str | Path | None = None,
    timeout: float = 30.0,
    domain_url: str | None = None,
) -> list[FoundCalendar]:
    """List the event calendars reachable from a URL or an email address (or bare domain).

    For an address, its domain's `https://DOMAIN/.well-known/caldav` is asked, then the
    domain's root; `domain_url` stands in for `https://DOMAIN/` (a loopback server in tests).
    """
    where = f"CalDAV discovery from {redact_url(start) if '://' in start else start!r}"
    starts = [start] if "://" in start else _domain_starts(start, domain_url, where)
    secret = password() if password else None
    failures: list[CalendarError] = []
    for url in starts:
        _check_url(url, where, password is not None)
        try:
            with _client(url, username, secret, ca_file, timeout) as client:
                if url.rstrip("/").endswith("/.well-known/caldav"):
                    url = _follow_well_known(client, url, where)
                    _check_url(url, where, password is not None)  # not redirected to plain http
                return _calendars_from(client, url, where)
        except CalendarError as err:
            failures.append(err)
        except _FAILURES as err:
            failures.append(_translate(err, where, url, secret))
    # The most telling failure: a refused password or a broken server over "nothing there",
    # and the well-known URI's answer over the root's.
    raise next((f for f in failures if not isinstance(f, SourceNotFound)), failures[0])


def _domain_starts(address: str, domain_url: str | None, where: str) -> list[str]:
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain or "/" in domain or ":" in domain or " " in domain:
        raise ValueError(f"{where}: give a URL, an email address or a domain")
    base = domain_url or f"https://{domain}/"
    base = base if base.endswith("/") else base + "/"
    return [urljoin(base, "/.well-known/caldav"), base]


def _follow_well_known(client: DAVClient, url: str, where: str) -> str:
    """Where the well-known URI points (RFC 6764 section 5): one redirect, same domain only."""
    # By hand: requests turns a PROPFIND that meets a 302 into a GET.
    response = client.session.request(
        "PROPFIND",
        url,
        data=_DISCOVER.encode(),
        headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"},
        allow_redirects=False,
        timeout=client.timeout,
        verify=client.ssl_verify_cert,
    )
    status = int(response.status_code or 0)
    if status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
        target = urljoin(url, response.headers["Location"])
        host, new_host = urlsplit(url).hostname or "", urlsplit(target).hostname or ""
        if new_host != host and not new_host.endswith("." + host):
            raise SourceNotFound(f"{where}: the well-known URI points to another domain")
        return target
    if status in (200, 207, 401):
        return url  # the well-known URI is itself the context path
    raise http_status_error(status, where)


def _calendars_from(client: DAVClient, url: str, where: str) -> list[FoundCalendar]:
    """The calendars at url: itself, or those of its home, or of its principal's home."""
    props = _propfind(client, url, 0, where)[0][1]
    if _CALENDAR in _values(props.get(_PROP_TYPE)):
        return [_found(url, props)] if _holds_events(props) else []
    homes = _values(props.get(_PROP_HOME))
    principal = _values(props.get(_PROP_PRINCIPAL))
    if not homes and principal and _same_origin(url, urljoin(url, principal[0])):
        principal_url = urljoin(url, principal[0])
        if principal_url.rstrip("/") != url.rstrip("/"):
            homes = _values(_propfind(client, principal_url, 0, where)[0][1].get(_PROP_HOME))
    found: dict[str, FoundCalendar] = {}
    for home in [urljoin(url, h) for h in homes] or [url]:
        if not _same_origin(url, home):
            continue  # the password is for this server only
        for href, child in _propfind(client, home, 1, where):
            child_url = urljoin(home, href)
            kinds = _values(child.get(_PROP_TYPE))
            if _CALENDAR in kinds and _holds_events(child) and _same_origin(url, child_url):
                found.setdefault(child_url, _found(child_url, child))
    return sorted(found.values())[:MAX_CALENDARS]


def _propfind(
    client: DAVClient, url: str, depth: int, where: str
) -> list[tuple[str, dict[str, Any]]]:
    response: Any = client.propfind(url, _DISCOVER, depth=depth)
    if response.status not in (200, 207):
        raise http_status_error(response.status, where)
    results = [(r.href, r.properties) for r in response.results or [] if r.status == 200]
    if not results:
        raise SourceGarbage(f"{where}: not a WebDAV answer")
    return results


def _found(url: str, props: dict[str, Any]) -> FoundCalendar:
    name = _text(props.get(_PROP_NAME))
    return FoundCalendar(name or unquote(url.rstrip("/").rpartition("/")[2]), url)


def _holds_events(props: dict[str, Any]) -> bool:
    # No component set advertised means "any component" (RFC 4791 section 5.2.3).
    components = _values(props.get(_PROP_COMPONENTS))
    return not components or "VEVENT" in components


def _values(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def _check_url(url: str, where: str, with_password: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: the CalDAV URL must be http(s)://")
    if with_password and parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(f"{where}: refusing to send a password over plain http")


def _client(
    url: str, username: str | None, secret: str | None, ca_file: str | Path | None, timeout: float
) -> DAVClient:
    client = DAVClient(
        url=url,
        username=username,
        password=secret,
        ssl_verify_cert=str(ca_file) if ca_file is not None else True,
        timeout=max(1, round(timeout)),
        enable_rfc6764=False,  # no DNS lookups behind our back: discovery is ours, above
    )
    # No proxies or .netrc credentials picked up from the environment behind our back.
    client.session.trust_env = False
    return client


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
