"""Zone-name resolution and video-link extraction."""

from __future__ import annotations

import pytest

from coffeechat.models.calendar.video import find_video_link, meeting_link
from coffeechat.models.calendar.zones import known_zone


@pytest.mark.parametrize(
    ("tzid", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Eastern Standard Time", "America/New_York"),
        ("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"),
        ("(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", "Europe/Brussels"),
        ("(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "Asia/Kolkata"),
        ("(UTC) Coordinated Universal Time", "UTC"),
        ("/freeassociation.sourceforge.net/Tzfile/Europe/Berlin", "Europe/Berlin"),
        ('"Europe/Berlin"', "Europe/Berlin"),
        # Fixed offsets, as Outlook and some exporters write them.
        ("UTC+01", "UTC+01:00"),
        ("GMT+01:00", "UTC+01:00"),
        ("UTC-5", "UTC-05:00"),
        ("gmt+0530", "UTC+05:30"),
        ("UTC+00", "UTC"),
        # A label naming no known city (or one whose offset disagrees) still states its offset.
        ("(UTC+05:00) Nowhere", "UTC+05:00"),
        ("(UTC+09:00) Berlin", "UTC+09:00"),
    ],
)
def test_known_zone_names(tzid: str, expected: str) -> None:
    zone = known_zone(tzid)
    assert zone is not None and zone.name == expected


@pytest.mark.parametrize(
    "tzid",
    ["Mars/Olympus_Mons", "", "(UTC) Nowhere", "UTC+15", "GMT+01:75", "UTC+1:2", "../../etc"],
)
def test_unknown_zone_names(tzid: str) -> None:
    assert known_zone(tzid) is None


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("Join https://us02web.zoom.us/j/123?pwd=x.", "https://us02web.zoom.us/j/123?pwd=x"),
        (
            "<https://teams.microsoft.com/l/meetup-join/19%3a/0>",
            "https://teams.microsoft.com/l/meetup-join/19%3a/0",
        ),
        ("meet: https://meet.google.com/abc-defg-hij)", "https://meet.google.com/abc-defg-hij"),
        ("https://acme.webex.com/acme/j.php?MTID=m1", "https://acme.webex.com/acme/j.php?MTID=m1"),
        ("https://acme.webex.com/meet/ada", "https://acme.webex.com/meet/ada"),
        (
            "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fzoom.us%2Fj%2F9&data=1",
            "https://zoom.us/j/9",
        ),
    ],
)
def test_links_found(text: str, link: str) -> None:
    assert find_video_link([text]) == link


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)//zoom.us/j/1",
        "ftp://zoom.us/j/1",
        "https://zoom.us.evil.example/j/1",
        "https://evilzoom.us/j/1",
        "https://support.google.com/a/users/answer/9282720",
        "zoom.us/j/123 without scheme",
        "https://[::1/j/1",
    ],
)
def test_non_links_ignored(text: str) -> None:
    assert find_video_link([text]) is None


def test_first_property_wins() -> None:
    assert find_video_link(["https://meet.google.com/aaa-bbbb-ccc", "https://zoom.us/j/1"]) == (
        "https://meet.google.com/aaa-bbbb-ccc"
    )


def test_meeting_link_requires_http() -> None:
    assert meeting_link("data:text/html,https://zoom.us/j/1") is None
