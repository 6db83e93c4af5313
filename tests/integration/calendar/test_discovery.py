"""CalDAV discovery from what a user knows, on two real servers laid out differently.

Radicale: the principal is also the calendar home (/testbed/), behind Basic auth, and
/.well-known/caldav answers 301 to the root. Xandikos: principal /user/, home /user/calendars/,
no auth, and /.well-known/caldav answers 302 (which an HTTP client turns into a GET if left to
follow it). The root, principal and home are not calendar collections on either.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coffeechat.integrations.calendar import (
    CalDavSource,
    SourceAuthFailed,
    SourceNotFound,
    SourceState,
)
from coffeechat.integrations.calendar.base import SourceUnreachable
from coffeechat.integrations.calendar.dav import FoundCalendar, discover
from tests.integration.calendar.ics import WINDOW, vcalendar, vevent
from tests.testbed.caldav import Calendar, RadicaleServer
from tests.testbed.ports import LOOPBACK, free_port
from tests.testbed.xandikos import XandikosServer, xandikos_argv

EVENT = vcalendar(vevent("found@x", "20300310T150000Z", "20300310T160000Z", "Coffee with Ana"))


def radicale_discover(
    radicale: RadicaleServer, start: str, **kwargs: object
) -> list[FoundCalendar]:
    password = radicale.password
    return discover(
        start,
        username=radicale.username,
        password=lambda: password,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("where", ["root", "principal", "home", "collection"])
def test_radicale_calendars_found_from_any_starting_point(
    radicale: RadicaleServer, calendar: Calendar, where: str
) -> None:
    start = {
        "root": radicale.url,
        "principal": f"{radicale.url}{radicale.username}/",
        "home": f"{radicale.url}{radicale.username}",  # no trailing slash, as users type it
        "collection": calendar.url,
    }[where]
    found = radicale_discover(radicale, start)
    name = calendar.path.strip("/").rpartition("/")[2]
    assert FoundCalendar(name, calendar.url) in found
    if where == "collection":
        assert found == [FoundCalendar(name, calendar.url)]


def test_radicale_from_an_email_address_through_the_well_known_uri(
    radicale: RadicaleServer, calendar: Calendar
) -> None:
    # The domain's https://example.org/ is played by the loopback server: no real DNS.
    found = radicale_discover(radicale, "testbed@example.org", domain_url=radicale.url)
    assert calendar.url in [c.url for c in found]


def test_radicale_wrong_password_is_an_auth_failure_without_the_secret(
    radicale: RadicaleServer,
) -> None:
    wrong = "not-the-password-4711"
    with pytest.raises(SourceAuthFailed) as caught:
        discover(radicale.url, username=radicale.username, password=lambda: wrong)
    printed = "".join(traceback.format_exception(caught.value))
    assert wrong not in printed


def test_nothing_listening_is_unreachable() -> None:
    with pytest.raises(SourceUnreachable):
        discover(f"http://127.0.0.1:{free_port()}/", timeout=5)


@pytest.mark.parametrize("where", ["/", "/user/", "/user/calendars/", "/user/calendars"])
def test_xandikos_calendars_found_from_root_principal_and_home(
    xandikos: XandikosServer, where: str
) -> None:
    extra = xandikos.new_calendar()
    found = discover(xandikos.url.rstrip("/") + where)
    urls = [c.url for c in found]
    assert xandikos.url.rstrip("/") + xandikos.default_calendar_path in urls
    assert xandikos.url.rstrip("/") + extra in urls
    assert all(c.url.startswith(xandikos.url + "user/calendars/") for c in found)


def test_xandikos_from_an_email_address_through_a_302_well_known(
    xandikos: XandikosServer,
) -> None:
    found = discover("user@example.org", domain_url=xandikos.url)
    assert FoundCalendar("calendar", xandikos.url.rstrip("/") + xandikos.default_calendar_path) in (
        found
    )


def test_an_address_that_is_neither_url_nor_email_is_refused() -> None:
    with pytest.raises(ValueError, match="URL, an email address or a domain"):
        discover("user@exa mple.org")


@pytest.fixture
def lone_xandikos() -> Iterator[XandikosServer]:
    """A Xandikos of its own, holding exactly its one default calendar."""
    argv = xandikos_argv()
    if argv is None:
        pytest.skip("Xandikos is not installed")
    server = XandikosServer(argv)
    server.start()
    try:
        yield server
    finally:
        server.close()


def test_sync_from_a_server_root_reads_its_only_calendar(lone_xandikos: XandikosServer) -> None:
    lone_xandikos.put_event(lone_xandikos.default_calendar_path, EVENT)
    result = CalDavSource("x", lone_xandikos.url).fetch(SourceState(), WINDOW)
    assert result.changed and any(b"UID:found@x" in d for d in result.data)


def test_sync_from_a_home_with_several_calendars_names_them(xandikos: XandikosServer) -> None:
    xandikos.new_calendar("second")  # with the default one: two to choose from
    source = CalDavSource("x", xandikos.url + "user/calendars/")
    with pytest.raises(SourceNotFound, match=r"calendars found there \(.*'calendar'.*'second'"):
        source.fetch(SourceState(), WINDOW)


def test_xandikos_collection_is_read_and_an_unchanged_one_skipped(xandikos: XandikosServer) -> None:
    path = xandikos.new_calendar()
    source = CalDavSource("x", xandikos.url.rstrip("/") + path)
    xandikos.put_event(path, EVENT)
    first = source.fetch(SourceState(), WINDOW)
    assert first.changed and first.state.sync_token  # Xandikos offers the standard marker
    assert not source.fetch(first.state, WINDOW).changed
    later = vcalendar(vevent("later@x", "20300311T150000Z", "20300311T160000Z", "Lunch"))
    xandikos.put_event(path, later)
    second = source.fetch(first.state, WINDOW)
    assert second.changed and len(second.data) == 2


@pytest.fixture
def redirector() -> Iterator[list[str]]:
    """A loopback server whose well-known URI redirects to locations[0]; all else is 404."""
    locations: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PROPFIND(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/.well-known/caldav"):
                self.send_response(302)
                self.send_header("Location", locations[0])
            else:
                self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    locations.append(f"http://{LOOPBACK}:{httpd.server_address[1]}/")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield locations
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_well_known_redirect_to_another_domain_is_not_followed(redirector: list[str]) -> None:
    base = redirector.pop()
    # Another name for the same loopback server: refused by name, and no traffic leaves.
    redirector.append(base.replace(LOOPBACK, "localhost"))
    with pytest.raises(SourceNotFound, match="points to another domain"):
        discover("ada@example.org", domain_url=base, password=lambda: "pw", timeout=5)
