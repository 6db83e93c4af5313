"""``coffeechat connect`` given a CalDAV server, not a collection: it stores the collection."""

from __future__ import annotations

import tomllib

from tests.integration.calendar.test_discovery import lone_xandikos  # noqa: F401 - fixture
from tests.integration.connect.conftest import Connect, connect  # noqa: F401 - the fixture
from tests.integration.connect.test_connect import imap_args
from tests.testbed import Mailbox as BedMailbox
from tests.testbed.xandikos import XandikosServer


def test_a_server_root_with_one_calendar_stores_that_collection(
    connect: Connect,  # noqa: F811 - the imported fixture
    mailbox: BedMailbox,
    lone_xandikos: XandikosServer,  # noqa: F811 - the imported fixture
) -> None:
    result = connect(
        *imap_args(mailbox),
        "--calendar", f"work=caldav:{lone_xandikos.url}",
        "--secret-store", "env:X", "--password-stdin",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    assert result.code == 0, result.output
    assert "ok     calendar work" in result.output
    [entry] = tomllib.loads(result.text)["calendars"]
    assert entry["url"] == lone_xandikos.url.rstrip("/") + lone_xandikos.default_calendar_path


def test_a_home_with_several_calendars_lists_them_and_writes_nothing(
    connect: Connect,  # noqa: F811 - the imported fixture
    mailbox: BedMailbox,
    xandikos: XandikosServer,
) -> None:
    other = xandikos.new_calendar()
    result = connect(
        *imap_args(mailbox),
        "--calendar", f"work=caldav:{xandikos.url}user/calendars/",
        "--secret-store", "env:X", "--password-stdin",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    assert result.code == 1 and result.text == ""
    assert f"{xandikos.url.rstrip('/')}{other}" in result.output
    assert f"{xandikos.url.rstrip('/')}{xandikos.default_calendar_path}" in result.output
    assert "FAILED calendar work: calendar: " in result.output


def test_an_email_address_is_resolved_through_the_well_known_uri_to_its_calendar(
    connect: Connect,  # noqa: F811 - the imported fixture
    mailbox: BedMailbox,
    xandikos: XandikosServer,
) -> None:
    # The domain cannot be played on loopback from the CLI: a URL stands in for the address.
    well_known = f"{xandikos.url}.well-known/caldav"
    result = connect(
        *imap_args(mailbox),
        "--calendar", f"work=caldav:{well_known}",
        "--secret-store", "env:X", "--password-stdin",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    assert f"{xandikos.url.rstrip('/')}{xandikos.default_calendar_path}" in result.output
