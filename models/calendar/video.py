"""Find the video-call link (Zoom, Teams, Meet, Webex) in an event's properties."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

# Where providers put the link, most specific first: a conference property beats a URL that
# merely appears in free text (descriptions often also link to dial-in help pages).
LINK_PROPERTIES = (
    "CONFERENCE",
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK",
    "URL",
    "LOCATION",
    "DESCRIPTION",
    "X-ALT-DESC",
)

_URL = re.compile(r"https?://[^\s<>\"'\\\]\[{}|^`]+", re.I)
_TRAILING = ".,;:!?)>*"
_PROVIDERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("zoom.us", re.compile(r"^/(j|my|w|s|wc/join)/")),
    ("zoomgov.com", re.compile(r"^/(j|my|w|s|wc/join)/")),
    ("teams.microsoft.com", re.compile(r"^/l/meetup-join/|^/meet/")),
    ("teams.live.com", re.compile(r"^/meet/")),
    ("meet.google.com", re.compile(r"^/[a-z]{3,}-[a-z]{3,}-[a-z]{3,}|^/lookup/")),
    ("webex.com", re.compile(r"^/(meet|join|[^/]+/j\.php|[^/]+/join|wbxmjs|webappng)", re.I)),
)
# Link wrappers that hide the real meeting URL in a query parameter.
_WRAPPERS = {"safelinks.protection.outlook.com": "url", "www.google.com": "q", "google.com": "q"}


def _host_is(host: str, domain: str) -> bool:
    """Whether host is the domain or one of its subdomains (not merely containing it)."""
    return host == domain or host.endswith("." + domain)


def _unwrap(url: str) -> str:
    """Return the target of a known redirect wrapper, or the URL itself."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for domain, param in _WRAPPERS.items():
        if _host_is(host, domain):
            target = parse_qs(parts.query).get(param)
            if target and target[0].lower().startswith(("http://", "https://")):
                return target[0]
    return url


def meeting_link(url: str) -> str | None:
    """Return the URL if it is an http(s) link to a known video provider's meeting."""
    try:
        url = _unwrap(url)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # e.g. a malformed IPv6 host: not a link we can vouch for
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    for domain, path in _PROVIDERS:
        if _host_is(host, domain) and path.search(parts.path or "/"):
            return url
    return None


def links_in(text: str) -> Iterable[str]:
    """Yield the http(s) URLs in free text, without trailing punctuation."""
    for match in _URL.finditer(text):
        yield match.group(0).rstrip(_TRAILING)


def find_video_link(values: Iterable[str]) -> str | None:
    """Return the first known video-meeting link among property values, in the given order."""
    for value in values:
        if "http" not in value.lower():  # cheap pre-check: most properties hold no link at all
            continue
        for url in links_in(value):
            link = meeting_link(url)
            if link is not None:
                return link
    return None
