"""From an email address to candidate servers: the provider table, autoconfig, then DNS SRV."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

from coffeechat.integrations.discovery import autoconfig, providers, srv
from coffeechat.integrations.discovery.probe import probe_first
from coffeechat.integrations.discovery.servers import MAX_CANDIDATES, Found, Options, Server

__all__ = ["discover", "domain_of", "probe_first"]

_ADDRESS = re.compile(r"^[^@\s]{1,64}@([A-Za-z0-9.-]{1,253})$")


def domain_of(address: str) -> str:
    """The lower-cased domain of an address; ValueError when it is not one."""
    match = _ADDRESS.match(address.strip())
    if match is None or not autoconfig.HOSTNAME.match(match.group(1)):
        raise ValueError(f"{address!r} is not an email address")
    return match.group(1).lower().rstrip(".")


def discover(address: str, options: Options | None = None, provider: str | None = None) -> Found:
    """Candidate servers for address; Found.source is "" when nothing was found.

    provider names a table entry to use whatever the domain (e.g. "Microsoft 365" for a
    company domain hosted there).
    """
    options = options or Options()
    address = address.strip()
    domain = domain_of(address)
    table = options.providers if options.providers is not None else providers.BUILT_IN
    if provider:
        entry = providers.provider_named(provider, table)
    else:
        entry = providers.provider_for(domain, table)
    if provider and entry is None:
        raise ValueError(f"no built-in provider named {provider!r}")
    if entry is not None:
        # A provider's CalDAV server is in its entry; one without (Gmail, Outlook) has the
        # secret ICS address instead, so DNS is not asked.
        return Found(
            address,
            f"provider {entry.name}",
            entry.imap,
            entry.smtp,
            autoconfig._fill(entry.username, address),
            entry.caldav,
            entry.guidance,
            entry.ics_hint,
            entry.oauth_only,
        )
    found = _from_autoconfig(address, options) or _from_srv(address, domain, options)
    caldav = tuple(srv.caldav_urls(domain, options))
    hosts = [urlsplit(url).hostname or "" for url in caldav]
    warnings = found.warnings + tuple(_outside(domain, "CalDAV", hosts))
    return replace(found, caldav=caldav, warnings=warnings)


def in_domain(host: str, domain: str) -> bool:
    """Whether host is the domain itself or a name under it."""
    host = host.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


def _outside(domain: str, what: str, hosts: list[str]) -> list[str]:
    return [
        f"DNS names {host} for {what}, outside {domain}: check it is your provider's server "
        "before typing a password"
        for host in dict.fromkeys(hosts)
        if not in_domain(host, domain)
    ]


def _from_autoconfig(address: str, options: Options) -> Found | None:
    for url in autoconfig.urls_for(address, options):
        try:
            servers, username = autoconfig.parse(autoconfig.fetch(url, options), address, options)
        except autoconfig.AutoconfigError:
            continue  # the next place may have it; nothing found at all is told by the caller
        if servers:
            return _found(address, f"autoconfig {url.split('?')[0]}", servers, username)
    return None


def _from_srv(address: str, domain: str, options: Options) -> Found:
    servers = srv.mail_servers(domain, options)
    found = _found(address, "DNS SRV" if servers else "", servers, address)
    hosts = [s.host for s in servers]
    return replace(found, warnings=tuple(_outside(domain, "mail", hosts)))


def _found(address: str, source: str, servers: list[Server], username: str | None) -> Found:
    imap = tuple(dict.fromkeys(s for s in servers if s.protocol == "imap"))[:MAX_CANDIDATES]
    smtp = tuple(dict.fromkeys(s for s in servers if s.protocol == "smtp"))[:MAX_CANDIDATES]
    return Found(address, source, imap, smtp, username)
