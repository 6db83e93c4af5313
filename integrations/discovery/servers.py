"""What discovery finds (servers, login name, guidance) and the knobs it runs with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Protocol = Literal["imap", "smtp"]
Security = Literal["ssl", "starttls", "plain"]

# Budgets: a person is waiting, and what a domain serves is untrusted.
TIMEOUT = 8.0
MAX_AUTOCONFIG_BYTES = 64_000
MAX_CANDIDATES = 6


@dataclass(frozen=True)
class Server:
    """One place to try: protocol, host, port and how the channel is secured."""

    protocol: Protocol
    host: str
    port: int
    security: Security

    def __str__(self) -> str:
        return f"{self.protocol.upper()} {self.host}:{self.port} ({self.security})"


@dataclass(frozen=True)
class Found:
    """Everything discovery learned about one address, best candidates first."""

    address: str
    source: str  # "provider NAME", "autoconfig URL", "DNS SRV", or "" when nothing
    imap: tuple[Server, ...] = ()
    smtp: tuple[Server, ...] = ()
    username: str | None = None  # the login to use, when the source says
    caldav: tuple[str, ...] = ()  # URLs to start CalDAV discovery from
    guidance: tuple[str, ...] = ()  # provider advice shown before the password is asked
    ics_hint: str | None = None  # where the provider shows a calendar's secret ICS address
    oauth_only: bool = False  # passwords are refused: a token command is needed
    # DNS is not authenticated: a record naming a host outside the address's domain is told
    # to the user before a password goes there (RFC 6186, section 6).
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    """A built-in (or test-supplied) entry: the domains it serves and its settings."""

    name: str
    domains: tuple[str, ...]
    imap: tuple[Server, ...]
    smtp: tuple[Server, ...]
    username: str = "%EMAILADDRESS%"
    caldav: tuple[str, ...] = ()
    guidance: tuple[str, ...] = ()
    ics_hint: str | None = None
    oauth_only: bool = False


@dataclass(frozen=True)
class Options:
    """Where discovery looks; every network step is bounded and can be pointed at loopback."""

    providers: tuple[Provider, ...] | None = None  # None: the built-in table
    autoconfig_urls: tuple[str, ...] | None = None  # None: the domain's own autoconfig URLs
    ca_file: Path | None = None  # extra CA for the autoconfig fetch
    dns_server: tuple[str, int] | None = None  # None: the system's resolver
    timeout: float = TIMEOUT
    max_bytes: int = MAX_AUTOCONFIG_BYTES
    # Which hosts a fetched file may name (tests refuse anything but loopback).
    host_allowed: Callable[[str], bool] = field(default=lambda host: True)
