"""CalDavSource against the test bed's real Radicale, through a recording proxy where we count."""

from __future__ import annotations

import base64
import logging
import ssl
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coffeechat.integrations.calendar import (
    CalDavSource,
    SourceAuthFailed,
    SourceGarbage,
    SourceNotFound,
    SourceState,
    SourceTlsFailure,
    SourceUnreachable,
    Window,
)
from tests.integration.calendar.conftest import ProxyFactory, RecordingProxy
from tests.integration.calendar.ics import WINDOW, vcalendar, vevent
from tests.testbed.caldav import Calendar, RadicaleServer
from tests.testbed.icsfeed import IcsFeedServer
from tests.testbed.ports import free_port
from tests.testbed.tls import TestbedCA

INSIDE = vcalendar(vevent("inside@x", "20300310T150000Z", "20300310T160000Z", "Coffee with Ana"))
OUTSIDE = vcalendar(vevent("outside@x", "20300610T150000Z", "20300610T160000Z", "Later"))
# A weekly series that starts before the window, with one instance moved: it must come back
# whole (master and override, unexpanded) because instances fall inside the window.
SERIES = vcalendar(
    vevent("weekly@x", "20300101T090000Z", "20300101T093000Z", "Standup", "RRULE:FREQ=WEEKLY\r\n"),
    vevent(
        "weekly@x",
        "20300312T100000Z",
        "20300312T103000Z",
        "Standup (moved)",
        "RECURRENCE-ID:20300312T090000Z\r\n",
    ),
)


def source_for(calendar: Calendar, url: str | None = None, **kwargs: object) -> CalDavSource:
    """A source for this test's collection with the test bed user's credentials."""
    password = calendar.password
    return CalDavSource(
        "radicale",
        url or calendar.url,
        username=calendar.username,
        password=lambda: password,
        **kwargs,  # type: ignore[arg-type]
    )


def uids(data: tuple[bytes, ...]) -> set[str]:
    """The UID lines found in the documents (the sources do not parse; neither do we)."""
    return {
        line.split(":", 1)[1].strip()
        for doc in data
        for line in doc.decode().splitlines()
        if line.startswith("UID:")
    }


@pytest.fixture
def counted(calendar: Calendar, proxy: ProxyFactory) -> tuple[CalDavSource, RecordingProxy]:
    """A source that reaches this test's collection through a recording proxy."""
    front = proxy(calendar.server.port)
    return source_for(calendar, front.url_for(calendar.url)), front


def test_events_inside_the_window_are_returned_raw(calendar: Calendar) -> None:
    calendar.put_event(INSIDE)
    calendar.put_event(OUTSIDE)
    calendar.put_event(SERIES)

    result = source_for(calendar).fetch(SourceState(), WINDOW)

    assert result.changed
    assert uids(result.data) == {"inside@x", "weekly@x"}
    series = next(doc for doc in result.data if b"weekly@x" in doc).decode()
    assert "RRULE:FREQ=WEEKLY" in series and "RECURRENCE-ID:20300312T090000Z" in series
    assert result.state.ctag and result.state.sync_token and result.state.covered


def test_unchanged_collection_costs_one_propfind(
    calendar: Calendar, counted: tuple[CalDavSource, RecordingProxy]
) -> None:
    source, front = counted
    calendar.put_event(INSIDE)
    first = source.fetch(SourceState(), WINDOW)
    assert "REPORT" in front.methods()
    front.clear()

    again = source.fetch(first.state, WINDOW)

    assert (again.changed, again.data) == (False, ())
    assert again.state == first.state
    # caldav asks anonymously first and answers the 401 with credentials where required;
    # Radicale here lets anyone read a calendar, so one PROPFIND is all that goes out.
    assert front.methods() == ["PROPFIND"]


def test_updated_event_is_a_change(calendar: Calendar) -> None:
    calendar.put_event(INSIDE)
    source = source_for(calendar)
    first = source.fetch(SourceState(), WINDOW)
    calendar.put_event(INSIDE.replace("Coffee with Ana", "Coffee with Ana (moved room)"))

    second = source.fetch(first.state, WINDOW)

    assert second.changed
    assert b"moved room" in second.data[0]
    assert second.state.sync_token != first.state.sync_token


def test_deleted_event_is_a_change_and_gone_from_the_data(calendar: Calendar) -> None:
    calendar.put_calendar(
        vcalendar(
            vevent("a@x", "20300305T100000Z", "20300305T110000Z"),
            vevent("b@x", "20300306T100000Z", "20300306T110000Z"),
        )
    )
    source = source_for(calendar)
    first = source.fetch(SourceState(), WINDOW)
    calendar.delete_event("b@x")

    second = source.fetch(first.state, WINDOW)

    assert uids(first.data) == {"a@x", "b@x"}
    assert second.changed and uids(second.data) == {"a@x"}


def test_change_outside_the_window_is_no_change(
    calendar: Calendar, counted: tuple[CalDavSource, RecordingProxy]
) -> None:
    source, front = counted
    calendar.put_event(INSIDE)
    first = source.fetch(SourceState(), WINDOW)
    calendar.put_event(OUTSIDE)
    front.clear()

    second = source.fetch(first.state, WINDOW)

    assert front.methods() == ["PROPFIND", "REPORT"]  # the ctag moved, so we looked...
    assert (second.changed, second.data) == (False, ())  # ...and found the window the same
    assert second.state.sync_token != first.state.sync_token


def test_a_window_in_a_new_day_queries_again(
    calendar: Calendar, counted: tuple[CalDavSource, RecordingProxy]
) -> None:
    source, front = counted
    calendar.put_event(INSIDE)
    first = source.fetch(SourceState(), WINDOW)
    same_day = Window(WINDOW.start.replace(hour=12), WINDOW.end.replace(hour=12))
    next_day = Window(datetime(2030, 3, 2, tzinfo=UTC), datetime(2030, 4, 2, tzinfo=UTC))
    front.clear()

    source.fetch(first.state, same_day)
    assert front.methods() == ["PROPFIND"]
    moved = source.fetch(first.state, next_day)

    assert front.methods() == ["PROPFIND", "PROPFIND", "REPORT"]
    assert moved.state.covered != first.state.covered
    assert moved.changed and uids(moved.data) == {"inside@x"}  # same bytes, new window


def test_wrong_password_is_auth_failed_and_redacted(radicale: RadicaleServer) -> None:
    # Radicale lets anyone read calendars here (they double as feeds), so a wrong password is
    # only ever checked where reading needs a login: the user's principal collection.
    wrong = "not-the-password-42"
    source = CalDavSource(
        "radicale", f"{radicale.url}testbed/", username="testbed", password=lambda: wrong
    )

    with pytest.raises(SourceAuthFailed) as caught:
        source.fetch(SourceState(), WINDOW)

    assert not caught.value.transient
    assert caught.value.status == 401
    printed = "".join(traceback.format_exception(caught.value))
    assert wrong not in printed and "/testbed/" not in str(caught.value)


def test_a_principal_with_several_calendars_names_them(
    calendar: Calendar, radicale: RadicaleServer
) -> None:
    # The principal (Radicale's calendar home) is not a calendar: discovery looks inside it.
    principal = calendar.url.rsplit("/", 2)[0] + "/"
    other = radicale.new_calendar()
    try:
        with pytest.raises(SourceNotFound, match="calendars found there"):
            source_for(calendar, principal).fetch(SourceState(), WINDOW)
    finally:
        radicale.request("DELETE", other.path)


def test_missing_collection_is_not_found(calendar: Calendar) -> None:
    with pytest.raises(SourceNotFound):
        source_for(calendar, calendar.url + "nope/").fetch(SourceState(), WINDOW)


def test_nothing_listening_is_unreachable_and_transient() -> None:
    source = CalDavSource(
        "radicale",
        f"http://127.0.0.1:{free_port()}/testbed/secret-cal/",
        username="u",
        password=lambda: "pw-123456",
        timeout=5,
    )
    with pytest.raises(SourceUnreachable) as caught:
        source.fetch(SourceState(), WINDOW)
    assert caught.value.transient
    assert "secret-cal" not in str(caught.value)
    assert "secret-cal" not in "".join(traceback.format_exception(caught.value))


def test_an_http_server_that_is_not_caldav_is_garbage(ics_http_server: IcsFeedServer) -> None:
    with pytest.raises(SourceGarbage) as caught:
        CalDavSource("feed", ics_http_server.url).fetch(SourceState(), WINDOW)
    assert not caught.value.transient  # 501 Not Implemented will not heal by retrying


def test_verified_tls_works_and_an_untrusted_ca_fails(
    calendar: Calendar,
    proxy: ProxyFactory,
    server_tls: ssl.SSLContext,
    testbed_ca: TestbedCA,
    foreign_ca: Path,
) -> None:
    calendar.put_event(INSIDE)
    front = proxy(calendar.server.port, server_tls)
    url = front.url_for(calendar.url)

    result = source_for(calendar, url, ca_file=testbed_ca.ca_path).fetch(SourceState(), WINDOW)
    assert uids(result.data) == {"inside@x"}

    front.clear()
    with pytest.raises(SourceTlsFailure) as caught:
        source_for(calendar, url, ca_file=foreign_ca).fetch(SourceState(), WINDOW)
    assert not caught.value.transient
    assert front.seen == []


def test_no_password_in_logs_and_no_events_at_default_levels(
    calendar: Calendar, radicale: RadicaleServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Root at DEBUG (what PREFECT_LOGGING_ROOT_LEVEL=DEBUG does): caldav keeps its own logger
    # at WARNING, so no event content; urllib3 logs request lines, never headers.
    caplog.set_level(logging.DEBUG)
    calendar.put_event(INSIDE)
    wrong = "not-the-password-42"
    source_for(calendar).fetch(SourceState(), WINDOW)
    with pytest.raises(SourceAuthFailed):
        CalDavSource(
            "radicale", f"{radicale.url}testbed/", username="testbed", password=lambda: wrong
        ).fetch(SourceState(), WINDOW)
    assert "Coffee with Ana" not in caplog.text

    # Someone debugging caldav itself sees bodies (its choice), but still no password.
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="caldav")
    source_for(calendar).fetch(SourceState(), WINDOW)
    with pytest.raises(SourceAuthFailed):
        CalDavSource(
            "radicale", f"{radicale.url}testbed/", username="testbed", password=lambda: wrong
        ).fetch(SourceState(), WINDOW)
    assert "Coffee with Ana" in caplog.text
    assert calendar.password not in caplog.text and wrong not in caplog.text
    for secret in (calendar.password, wrong):  # nor as a Basic Authorization header
        assert base64.b64encode(f"testbed:{secret}".encode()).decode() not in caplog.text
