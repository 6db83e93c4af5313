"""``connect`` from an email address: what discovery found, tried, confirmed or asked for.

Discovery (integrations/discovery) names candidates; here each is tried before any password
is typed, the user confirms (or ``--yes`` accepts) and only what was not found is asked.
Then a calendar is looked for with the same login, and the profile is filled in.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.markup import escape

from coffeechat.deployments import connect as c
from coffeechat.deployments.cli.runtime import console
from coffeechat.integrations.calendar import CalendarError
from coffeechat.integrations.discovery import Found, Options, Server, discover, probe_first

__all__ = ["Found", "Lookup", "calendar", "choose", "find", "override", "profile"]
from coffeechat.integrations.secrets import SecretUnavailable

if TYPE_CHECKING:
    from coffeechat.deployments.cli.connect_wizard import Login, Wizard

DEFAULT_PORTS = {
    ("imap", "ssl"): 993, ("imap", "starttls"): 143, ("imap", "plain"): 143,
    ("smtp", "ssl"): 465, ("smtp", "starttls"): 587, ("smtp", "plain"): 25,
}  # fmt: skip
SECURITIES = ("ssl", "starttls", "plain")


@dataclass(frozen=True)
class Lookup:
    """Where discovery looks (hidden flags: tests point them at loopback servers)."""

    dns_server: str | None = None
    autoconfig_urls: tuple[str, ...] = ()
    ca_file: Path | None = None
    timeout: float = 8.0

    def options(self) -> Options:
        """The discovery options these flags mean."""
        dns = None
        if self.dns_server:
            host, _, port = self.dns_server.rpartition(":")
            if not host or not port.isdigit():
                raise typer.BadParameter(f"--dns-server HOST:PORT, got {self.dns_server!r}")
            dns = (host, int(port))
        return Options(
            autoconfig_urls=self.autoconfig_urls or None,
            ca_file=self.ca_file,
            dns_server=dns,
            timeout=self.timeout,
        )


def find(address: str, provider: str | None, lookup: Lookup) -> Found:
    """Run discovery and say what it found (and the provider's advice)."""
    try:
        found = discover(address, lookup.options(), provider)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    if found.source:
        console.print(f"found settings for {escape(address)} in {escape(found.source)}")
    else:
        console.print(f"no published settings found for {escape(address)}")
    for advice in found.guidance:
        console.print(f"[yellow]note:[/yellow] {escape(advice)}")
    for warning in found.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    return found


def choose(
    w: Wizard, found: tuple[Server, ...], protocol: str, yes: bool, ca_file: Path | None
) -> Server | None:
    """The first candidate that answers, confirmed unless --yes; else what the user types."""
    label = protocol.upper()
    server, failed = probe_first(found, ca_file, 15.0)
    for tried in failed:
        hint = f"; {tried.hint}" if tried.hint else ""
        console.print(f"       tried {escape(str(tried.server))}: {escape(tried.detail + hint)}")
    if server is not None:
        console.print(f"[green]found[/green]  {escape(str(server))}")
        if not (yes or w.tty):
            p = protocol
            raise typer.BadParameter(
                f"add --yes to use the {label} server found (there is no terminal to ask), or "
                f"give --{p}-host, --{p}-port and --{p}-security"
            )
        if yes or typer.confirm(f"Use this {label} server?", default=True):
            return server
    if not w.tty:
        return None
    default = server or (found[0] if found else None)
    return ask_server(protocol, default)


def use_found(w: Wizard, found: Found, protocol: str, flags: dict[str, Any], yes: bool) -> bool:
    """Fill flags["host"/"port"/"security"] from the first found server that answers.

    False: no SMTP server, and the user chose to go without (coffeechat then only drafts).
    """
    candidates = override(
        found.imap if protocol == "imap" else found.smtp, flags["port"], flags["security"]
    )
    ca = Path(flags["ca_file"]) if flags["ca_file"] else None
    if candidates:
        server = choose(w, candidates, protocol, yes, ca)
    elif protocol == "smtp":
        server = ask_optional_smtp(w.tty)
        if server is None:
            return False
    else:
        server = ask_server(protocol, None) if w.tty else None
    if server is None:
        raise not_found(protocol, found.address.rpartition("@")[2])
    apply(flags, server)
    return True


def oauth_command(w: Wizard, found: Found, given: str | None, yes: bool) -> str | None:
    """The token command an OAuth-only provider needs: given, typed, or an error saying how."""
    if not found.oauth_only or given:
        return given
    if w.tty and not yes:
        typed = str(typer.prompt("Command printing an OAuth2 access token", default=""))
        if typed:
            return typed
    raise typer.BadParameter(
        f"{found.source.removeprefix('provider ')} accepts only OAuth2 logins: give "
        f"--oauth-token-command 'oama access {found.address}' (see the note above)"
    )


def ask_server(protocol: str, default: Server | None) -> Server:
    """Host, security and port, asked on a terminal (defaults from what was found)."""
    label = protocol.upper()
    host: str = typer.prompt(f"{label} host", default=default.host if default else None)
    security = ask_security(label, default.security if default else "ssl")
    port = ask_number(
        f"{label} port", 65535, default.port if default else DEFAULT_PORTS[(protocol, security)]
    )
    return Server(protocol, host, port, security)  # type: ignore[arg-type]


def ask_optional_smtp(tty: bool) -> Server | None:
    """An SMTP server typed on a terminal, or None: none found and none wanted now."""
    host = str(typer.prompt("SMTP host (empty: none)", default="")) if tty else ""
    if not host:
        console.print(
            "no SMTP server: nothing can be sent until one is added with coffeechat connect "
            "--smtp-host HOST --smtp-port PORT --smtp-security starttls"
        )
        return None
    security = ask_security("SMTP", "ssl")
    port = ask_number("SMTP port", 65535, DEFAULT_PORTS[("smtp", security)])
    return Server("smtp", host, port, security)  # type: ignore[arg-type]


def ask_security(label: str, default: str) -> str:
    """ssl, starttls or plain, asked until one of them is typed."""
    while True:
        answer = str(typer.prompt(f"{label} security (ssl, starttls or plain)", default=default))
        if answer.strip().lower() in SECURITIES:
            return answer.strip().lower()
        console.print("type ssl, starttls or plain")


def ask_number(label: str, high: int, default: int | None = None) -> int:
    """A whole number from 1 to high, asked until one is typed."""
    while True:
        answer = str(typer.prompt(label, default=default) if default else typer.prompt(label))
        if answer.strip().isdigit() and 1 <= int(answer) <= high:
            return int(answer)
        console.print(f"type a number from 1 to {high}")


def not_found(protocol: str, domain: str) -> typer.BadParameter:
    """The error for a server neither found nor given, naming the flags that give it."""
    p = protocol
    return typer.BadParameter(
        f"no working {p.upper()} server found for {domain}: give --{p}-host HOST with "
        f"--{p}-port PORT and --{p}-security ssl|starttls|plain (or run on a terminal to be asked)"
    )


def override(
    servers: tuple[Server, ...], port: int | None, security: str | None
) -> tuple[Server, ...]:
    """The found candidates as the user's --*-port / --*-security flags change them."""
    if port is None and security is None:
        return servers
    changed = []
    for s in servers:
        sec = security or s.security
        default = s.port if sec == s.security else DEFAULT_PORTS[(s.protocol, sec)]
        changed.append(Server(s.protocol, s.host, port or default, sec))  # type: ignore[arg-type]
    return tuple(dict.fromkeys(changed))


def apply(flags: dict[str, Any], server: Server | None) -> None:
    """Fill host, port and security flags the user did not give from the chosen server."""
    if server is None:
        return
    for key, value in (("host", server.host), ("port", server.port), ("security", server.security)):
        if flags.get(key) is None:
            flags[key] = value


def calendar(
    w: Wizard, found: Found, login: Login, username: str, yes: bool, ca_file: Path | None
) -> list[str]:
    """A --calendar spec for the CalDAV calendar found with the mail login, or the ICS address."""
    # A provider in the table without a CalDAV server (Gmail, Outlook) offers an ICS address.
    has_caldav = bool(found.caldav) or not found.source.startswith("provider ")
    if login.key == "password" and has_caldav:
        url = _caldav(w, found, login, username, yes, ca_file)
        if url is not None:
            return [f"main=caldav:{url}"]
    hint = found.ics_hint or "add one later: coffeechat connect --calendar-ics URL"
    console.print(f"no CalDAV calendar found with this login; {escape(hint)}")
    if w.tty and not yes:
        ics: str = typer.prompt("Calendar's secret ICS address (empty: none)", default="")
        if ics:
            return [f"main=ics_url:{ics}"]
    return []


def _caldav(
    w: Wizard, found: Found, login: Login, username: str, yes: bool, ca_file: Path | None
) -> str | None:
    from coffeechat.integrations.calendar.dav import discover as dav_discover

    password = c.password_of(login.secret, login.ref)
    for start in (*found.caldav, found.address):
        try:
            calendars = dav_discover(start, username=username, password=password,
                                     ca_file=ca_file, timeout=15.0)  # fmt: skip
        except (CalendarError, ValueError, SecretUnavailable):
            continue
        if not calendars:
            continue
        for i, cal in enumerate(calendars, 1):
            console.print(f"       calendar [{i}] {escape(cal.name)}: {escape(cal.url)}")
        if len(calendars) == 1 or yes or not w.tty:
            return calendars[0].url
        return calendars[ask_number("Which calendar?", len(calendars)) - 1].url
    return None


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def system_timezone() -> str:
    """This machine's IANA time zone: TZ, else /etc/localtime's target, else /etc/timezone."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).partition("zoneinfo/")[2])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        try:
            if ("/" in name and not name.startswith("/")) or name == "UTC":
                ZoneInfo(name)
                return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


PROFILE = (
    ("name", "Your name"),
    ("timezone", "Your time zone"),
    ("elevator_pitch", "Your pitch (one or two sentences on what you are looking for)"),
    ("goals", "Your goals for these conversations"),
)


def profile(w: Wizard, given: dict[str, Any], yes: bool, new_setup: bool) -> dict[str, Any]:
    """The [account] values to write: flags, else asked on a terminal, else sensible defaults."""
    old: dict[str, Any] = w.current.get("account") or {}
    values = {k: v for k, v in given.items() if v}
    if new_setup and not old.get("timezone"):
        values.setdefault("timezone", system_timezone())
    if not (new_setup and w.tty and not yes):
        return values
    for key, label in PROFILE:
        if given.get(key) is not None:  # given as a flag, even empty
            continue
        suggested = old.get(key) or values.get(key) or ""
        answer = str(typer.prompt(label, default=suggested, show_default=bool(suggested)))
        while key == "timezone" and not _zone_ok(answer):
            console.print("an IANA time zone, like Europe/Paris or America/New_York")
            answer = str(typer.prompt(label, default=suggested, show_default=bool(suggested)))
        if answer:
            values[key] = answer
    return values
