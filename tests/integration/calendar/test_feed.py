"""IcsFeedSource against the test bed's real HTTP feed server (and Radicale's GET)."""

from __future__ import annotations

import logging
import ssl
import time
import traceback
from datetime import timedelta
from pathlib import Path

import pytest

from coffeechat.integrations.calendar import (
    CalendarError,
    IcsFeedSource,
    SourceGarbage,
    SourceNotFound,
    SourceState,
    SourceTlsFailure,
    SourceUnreachable,
    Window,
)
from tests.integration.calendar.conftest import ProxyFactory
from tests.integration.calendar.ics import WINDOW, vcalendar, vevent
from tests.testbed.caldav import Calendar
from tests.testbed.icsfeed import IcsFeedServer
from tests.testbed.ports import free_port
from tests.testbed.tls import TestbedCA

ONE = vcalendar(vevent("one@x", "20300310T150000Z", "20300310T160000Z"))
TWO = vcalendar(vevent("one@x", "20300311T150000Z", "20300311T160000Z"))
SECRET = "private-0123456789abcdef"


def secret_url(server: IcsFeedServer) -> str:
    """The feed URL with a token in the query, as "secret address" feeds have."""
    return f"{server.url}?token={SECRET}"


def assert_redacted(err: CalendarError, *secrets: str) -> None:
    """No secret in the message, the repr or the whole printed traceback."""
    printed = "".join(traceback.format_exception(err))
    for secret in (SECRET, "/calendar.ics", *secrets):
        assert secret not in str(err)
        assert secret not in repr(err)
        assert secret not in printed


def test_first_fetch_returns_the_body_and_validators(ics_http_server: IcsFeedServer) -> None:
    ics_http_server.set_body(ONE)
    source = IcsFeedSource("work", secret_url(ics_http_server))

    result = source.fetch(SourceState(), WINDOW)

    assert result.changed
    assert result.data == (ONE.encode(),)
    assert result.state.etag and result.state.etag.startswith('"')
    assert result.state.digest
    # Written this very second: a weak validator (RFC 9110 8.8.2.2), so the ETag alone is kept.
    assert result.state.last_modified is None
    assert ics_http_server.request_count == 1


def test_unchanged_feed_costs_one_conditional_request(ics_http_server: IcsFeedServer) -> None:
    ics_http_server.set_body(ONE)
    source = IcsFeedSource("work", secret_url(ics_http_server))
    first = source.fetch(SourceState(), WINDOW)
    before = ics_http_server.request_count

    again = source.fetch(first.state, WINDOW)

    assert (again.changed, again.data) == (False, ())
    assert again.state == first.state
    assert ics_http_server.request_count == before + 1
    last = ics_http_server.requests[-1]
    assert last.status == 304
    assert last.headers["if-none-match"] == first.state.etag


def test_last_modified_alone_is_enough_for_a_304(ics_http_server: IcsFeedServer) -> None:
    ics_http_server.set_body(ONE, modified=time.time() - 60)
    source = IcsFeedSource("work", ics_http_server.url)
    first = source.fetch(SourceState(), WINDOW)

    held = SourceState(last_modified=first.state.last_modified, covered=first.state.covered)
    again = source.fetch(held, WINDOW)

    assert not again.changed
    assert ics_http_server.requests[-1].status == 304


def test_changed_feed_returns_new_data(ics_http_server: IcsFeedServer) -> None:
    ics_http_server.set_body(ONE)
    source = IcsFeedSource("work", secret_url(ics_http_server))
    first = source.fetch(SourceState(), WINDOW)
    ics_http_server.set_body(TWO)

    second = source.fetch(first.state, WINDOW)

    assert second.changed
    assert second.data == (TWO.encode(),)
    assert second.state.etag != first.state.etag
    assert ics_http_server.requests[-1].status == 200


def test_same_bytes_without_validators_is_unchanged(ics_http_server: IcsFeedServer) -> None:
    # A server that ignores If-None-Match answers 200 every time: the digest catches it.
    ics_http_server.set_body(ONE)
    source = IcsFeedSource("work", ics_http_server.url)
    first = source.fetch(SourceState(), WINDOW)

    held = SourceState(digest=first.state.digest, covered=first.state.covered)
    again = source.fetch(held, WINDOW)

    assert ics_http_server.requests[-1].status == 200
    assert (again.changed, again.data) == (False, ())
    assert again.state.etag == first.state.etag


def test_server_error_is_transient_and_redacted(ics_http_server: IcsFeedServer) -> None:
    ics_http_server.set_body(ONE)
    ics_http_server.fail_next(500)
    source = IcsFeedSource("work", secret_url(ics_http_server))

    with pytest.raises(SourceGarbage) as caught:
        source.fetch(SourceState(), WINDOW)

    assert caught.value.transient
    assert caught.value.status == 500
    assert f"http://127.0.0.1:{ics_http_server.port}/…" in str(caught.value)
    assert_redacted(caught.value)


def test_garbage_200_is_permanent(ics_http_server: IcsFeedServer) -> None:
    ics_http_server.set_body(ONE)
    ics_http_server.garbage_next()
    source = IcsFeedSource("work", secret_url(ics_http_server))

    with pytest.raises(SourceGarbage) as caught:
        source.fetch(SourceState(), WINDOW)

    assert not caught.value.transient
    assert_redacted(caught.value)


def test_truncated_calendar_is_garbage(ics_http_server: IcsFeedServer) -> None:
    # Half a feed would read as "every later meeting was cancelled".
    ics_http_server.set_body(ONE[: len(ONE) // 2])
    with pytest.raises(SourceGarbage):
        IcsFeedSource("work", ics_http_server.url).fetch(SourceState(), WINDOW)


def test_oversized_feed_is_refused(ics_http_server: IcsFeedServer) -> None:
    ics_http_server.set_body(ONE)
    source = IcsFeedSource("work", ics_http_server.url, max_bytes=len(ONE) - 1)
    with pytest.raises(SourceGarbage, match="larger than"):
        source.fetch(SourceState(), WINDOW)


def test_wrong_path_is_not_found(ics_http_server: IcsFeedServer) -> None:
    url = ics_http_server.url.replace("/calendar.ics", f"/{SECRET}.ics")
    with pytest.raises(SourceNotFound) as caught:
        IcsFeedSource("work", url).fetch(SourceState(), WINDOW)
    assert not caught.value.transient
    assert_redacted(caught.value)


def test_nothing_listening_is_unreachable_and_transient() -> None:
    url = f"http://127.0.0.1:{free_port()}/feeds/{SECRET}/basic.ics"
    with pytest.raises(SourceUnreachable) as caught:
        IcsFeedSource("work", url, timeout=5).fetch(SourceState(), WINDOW)
    assert caught.value.transient
    assert_redacted(caught.value)


def test_webcal_is_fetched_over_verified_https(
    ics_http_server: IcsFeedServer,
    proxy: ProxyFactory,
    server_tls: ssl.SSLContext,
    testbed_ca: TestbedCA,
) -> None:
    ics_http_server.set_body(ONE)
    front = proxy(ics_http_server.port, server_tls)
    webcal = front.url_for(secret_url(ics_http_server)).replace("https://", "webcal://")
    source = IcsFeedSource("work", webcal, ca_file=testbed_ca.ca_path)

    first = source.fetch(SourceState(), WINDOW)
    again = source.fetch(first.state, WINDOW)

    assert first.data == (ONE.encode(),)
    assert not again.changed
    assert [seen.status for seen in front.seen] == [200, 304]


def test_untrusted_certificate_is_a_tls_failure(
    ics_http_server: IcsFeedServer,
    proxy: ProxyFactory,
    server_tls: ssl.SSLContext,
    foreign_ca: Path,
) -> None:
    ics_http_server.set_body(ONE)
    front = proxy(ics_http_server.port, server_tls)
    source = IcsFeedSource("work", front.url_for(secret_url(ics_http_server)), ca_file=foreign_ca)

    with pytest.raises(SourceTlsFailure) as caught:
        source.fetch(SourceState(), WINDOW)

    assert not caught.value.transient
    assert "certificate" in str(caught.value)
    assert_redacted(caught.value)
    assert front.seen == []  # nothing, token included, went out before verification


def test_https_to_a_plain_http_port_is_a_tls_failure(ics_http_server: IcsFeedServer) -> None:
    url = secret_url(ics_http_server).replace("http://", "https://")
    with pytest.raises(SourceTlsFailure) as caught:
        IcsFeedSource("work", url, timeout=5).fetch(SourceState(), WINDOW)
    assert_redacted(caught.value)


def test_credentials_are_sent_basic_and_never_shown(ics_http_server: IcsFeedServer) -> None:
    ics_http_server.set_body(ONE)
    source = IcsFeedSource("work", ics_http_server.url, username="me", password=lambda: SECRET)

    source.fetch(SourceState(), WINDOW)

    assert ics_http_server.requests[-1].headers["authorization"].startswith("Basic ")
    assert SECRET not in repr(source)


def test_password_over_plain_http_to_another_host_is_refused() -> None:
    called: list[bool] = []

    def password() -> str:
        called.append(True)
        return SECRET

    with pytest.raises(ValueError, match="plain http") as caught:
        IcsFeedSource(
            "work", f"http://calendar.example/{SECRET}.ics", username="me", password=password
        )
    assert SECRET not in str(caught.value)
    assert called == []


def test_repr_hides_the_url(ics_http_server: IcsFeedServer) -> None:
    source = IcsFeedSource("work", secret_url(ics_http_server))
    assert SECRET not in repr(source) and "calendar.ics" not in repr(source)


def test_radicale_collection_served_as_a_feed(calendar: Calendar) -> None:
    calendar.put_event(ONE)
    source = IcsFeedSource("radicale", calendar.feed_url)

    first = source.fetch(SourceState(), WINDOW)
    again = source.fetch(first.state, WINDOW)

    assert first.changed and b"UID:one@x" in first.data[0]
    assert not again.changed


def test_nothing_logs_the_secret_url_even_at_debug(
    ics_http_server: IcsFeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ics_http_server.set_body(ONE)
    source = IcsFeedSource("work", secret_url(ics_http_server))
    ics_http_server.fail_next(503)
    with pytest.raises(SourceGarbage):
        source.fetch(SourceState(), WINDOW)

    source.fetch(source.fetch(SourceState(), WINDOW).state, WINDOW)

    assert SECRET not in caplog.text


def test_a_window_in_a_new_day_fetches_in_full_once(ics_http_server: IcsFeedServer) -> None:
    # Same bytes, but a moved window may bring new occurrences of a series: parse again.
    ics_http_server.set_body(ONE)
    source = IcsFeedSource("work", ics_http_server.url)
    first = source.fetch(SourceState(), WINDOW)
    tomorrow = Window(WINDOW.start + timedelta(days=1), WINDOW.end + timedelta(days=1))

    moved = source.fetch(first.state, tomorrow)
    again = source.fetch(moved.state, tomorrow)

    assert moved.changed and moved.data == (ONE.encode(),)
    assert "if-none-match" not in ics_http_server.requests[-2].headers
    assert (again.changed, ics_http_server.requests[-1].status) == (False, 304)
