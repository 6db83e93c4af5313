"""DNS SRV records for mail (RFC 6186) and CalDAV (RFC 6764), asked of a configurable server."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import dns.resolver
from dns.rdtypes.IN.SRV import SRV

from coffeechat.integrations.discovery.autoconfig import HOSTNAME
from coffeechat.integrations.discovery.servers import MAX_CANDIDATES, Options, Server

# Service label -> (protocol, security); RFC 6186 prefers implicit TLS (RFC 8314).
MAIL_SERVICES = (
    ("_imaps._tcp", "imap", "ssl"),
    ("_imap._tcp", "imap", "starttls"),
    ("_submissions._tcp", "smtp", "ssl"),
    ("_submission._tcp", "smtp", "starttls"),
)
CALDAV_SERVICES = (("_caldavs._tcp", "https"), ("_caldav._tcp", "http"))


def lookup(name: str, options: Options) -> list[tuple[str, int]]:
    """(target, port) of name's SRV records by priority then weight; [] when none or no answer."""
    try:
        answer = _query(name, options)
    except (dns.exception.DNSException, OSError, ValueError):
        return []
    records = sorted(
        (r for r in answer if isinstance(r, SRV)), key=lambda r: (r.priority, -r.weight)
    )
    found = []
    for record in records[:MAX_CANDIDATES]:
        target = record.target.to_text(omit_final_dot=True).lower()
        # "." means the service is decidedly not offered (RFC 2782).
        if target in ("", ".") or record.port == 0 or not HOSTNAME.match(target):
            continue
        if options.host_allowed(target):
            found.append((target, int(record.port)))
    return found


def _query(name: str, options: Options) -> list[object]:
    if options.dns_server is None:
        resolver = dns.resolver.Resolver()
        resolver.lifetime = options.timeout
        return list(resolver.resolve(name, "SRV", raise_on_no_answer=False))
    host, port = options.dns_server
    query = dns.message.make_query(name, dns.rdatatype.SRV)
    response = dns.query.udp(query, host, timeout=options.timeout, port=port)
    return [r for rrset in response.answer for r in rrset]


def mail_servers(domain: str, options: Options) -> list[Server]:
    """The IMAP and submission servers the domain publishes, in RFC 6186's preference."""
    servers = []
    for service, protocol, security in MAIL_SERVICES:
        for host, port in lookup(f"{service}.{domain}", options):
            servers.append(Server(protocol, host, port, security))  # type: ignore[arg-type]
    return servers


def caldav_urls(domain: str, options: Options) -> list[str]:
    """CalDAV starting points the domain publishes (its context path is found by discovery)."""
    urls = []
    for service, scheme in CALDAV_SERVICES:
        for host, port in lookup(f"{service}.{domain}", options):
            default = 443 if scheme == "https" else 80
            where = host if port == default else f"{host}:{port}"
            urls.append(f"{scheme}://{where}/")
    return urls
