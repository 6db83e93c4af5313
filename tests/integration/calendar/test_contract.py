"""The contract the sync flow codes against: construction, state persistence, error values."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from coffeechat.integrations.calendar import (
    CalDavSource,
    CalendarSource,
    IcsFeedSource,
    IcsFileSource,
    SourceGarbage,
    SourceState,
    SourceUnreachable,
    build_source,
    redact_url,
)


def test_build_source_makes_each_kind(tmp_path: Path) -> None:
    sources: list[CalendarSource] = [
        build_source("ics_url", "feed", url="webcal://calendar.example/private-abc/basic.ics"),
        build_source("ics_file", "file", path=tmp_path / "cal.ics"),
        build_source(
            "caldav", "dav", url="https://dav.example/cal/", username="me", password=lambda: "pw"
        ),
    ]
    assert [type(s) for s in sources] == [IcsFeedSource, IcsFileSource, CalDavSource]
    assert [s.name for s in sources] == ["feed", "file", "dav"]
    assert "private-abc" not in repr(sources[0])


def test_build_source_refuses_incomplete_config() -> None:
    with pytest.raises(ValueError, match="needs a path"):
        build_source("ics_file", "file")
    with pytest.raises(ValueError, match="needs a url"):
        build_source("caldav", "dav")
    with pytest.raises(ValueError, match="http"):
        build_source("ics_url", "feed", url="ftp://calendar.example/x.ics")


def test_state_survives_json() -> None:
    state = SourceState(etag='"x"', ctag="c", digest="d", covered="a/b")
    assert SourceState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    assert SourceState.from_dict({"etag": "e", "from_a_newer_version": "?"}) == SourceState("e")


def test_errors_pickle_with_their_flags() -> None:
    # Prefect may pickle a failed task's exception.
    blob = pickle.dumps(SourceGarbage("HTTP 503", transient=True, status=503))
    err = pickle.loads(blob)  # noqa: S301 - our own bytes
    assert (err.transient, err.status, str(err)) == (True, 503, "HTTP 503")
    assert SourceUnreachable("x").transient and not SourceGarbage("x").transient


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://calendar.google.com/calendar/ical/a%40b/private-f00/basic.ics",
            "https://calendar.google.com/…",
        ),
        ("https://user:pw@dav.example:8443/cal/?token=1", "https://dav.example:8443/…"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
        ("https://[::1]/x", "https://[::1]/…"),
    ],
)
def test_redact_url_keeps_only_scheme_and_host(url: str, shown: str) -> None:
    assert redact_url(url) == shown
