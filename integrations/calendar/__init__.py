"""Calendar sources: an ICS feed URL, a local .ics file, a CalDAV collection.

Each returns raw iCalendar bytes for models/calendar to parse, and translates its failures
into CalendarError subclasses; only SourceUnreachable (and HTTP 5xx/429) is transient.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from coffeechat.integrations.calendar.base import (
    MAX_BYTES,
    CalendarError,
    CalendarSource,
    FetchResult,
    Password,
    SourceAuthFailed,
    SourceGarbage,
    SourceNotFound,
    SourceState,
    SourceTlsFailure,
    SourceUnreachable,
    Window,
    redact_url,
)
from coffeechat.integrations.calendar.feed import IcsFeedSource
from coffeechat.integrations.calendar.file import IcsFileSource

SourceKind = Literal["ics_url", "ics_file", "caldav"]


def build_source(
    kind: SourceKind,
    name: str,
    *,
    url: str | None = None,
    path: str | Path | None = None,
    username: str | None = None,
    password: Password | None = None,
    ca_file: str | Path | None = None,
) -> CalendarSource:
    """Build the source a calendar config entry describes; ValueError when it is incomplete."""
    if kind == "ics_file":
        if path is None:
            raise ValueError(f"calendar {name!r}: an ics_file source needs a path")
        return IcsFileSource(name, path)
    if not url:
        raise ValueError(f"calendar {name!r}: a {kind} source needs a url")
    if kind == "ics_url":
        return IcsFeedSource(name, url, ca_file=ca_file, username=username, password=password)
    if kind == "caldav":
        from coffeechat.integrations.calendar.dav import CalDavSource

        return CalDavSource(name, url, username=username, password=password, ca_file=ca_file)
    raise ValueError(f"calendar {name!r}: unknown source kind {kind!r}")


def __getattr__(name: str) -> Any:
    """CalDavSource on first use: the caldav client and its HTTP stack cost memory for good."""
    if name == "CalDavSource":
        from coffeechat.integrations.calendar.dav import CalDavSource

        return CalDavSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_BYTES",
    "CalDavSource",
    "CalendarError",
    "CalendarSource",
    "FetchResult",
    "IcsFeedSource",
    "IcsFileSource",
    "Password",
    "SourceAuthFailed",
    "SourceGarbage",
    "SourceKind",
    "SourceNotFound",
    "SourceState",
    "SourceTlsFailure",
    "SourceUnreachable",
    "Window",
    "build_source",
    "redact_url",
]
