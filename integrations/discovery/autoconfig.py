"""The domain's autoconfig file (config-v1.1.xml) fetched as mail clients fetch it, parsed safely.

Only https is asked, no redirect is followed, the body is capped and the XML may hold no DTD
or entity: the file is untrusted input from whoever runs the domain.
"""

from __future__ import annotations

import http.client
import re
import ssl
import time
from urllib.parse import quote, urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from coffeechat.integrations.discovery.servers import Options, Server
from coffeechat.integrations.tls import verifying_context

DEFAULT_URLS = (
    "https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={address}",
    "https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
)
_SOCKET = {"ssl": "ssl", "tls": "ssl", "starttls": "starttls", "plain": "plain"}
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")


class AutoconfigError(Exception):
    """The file could not be fetched or read; the message says which and why."""


def urls_for(address: str, options: Options) -> list[str]:
    """The autoconfig URLs to ask for this address, in order."""
    domain = address.rpartition("@")[2]
    templates = options.autoconfig_urls or DEFAULT_URLS
    return [t.format(domain=domain, address=quote(address, safe="@")) for t in templates]


def fetch(url: str, options: Options) -> bytes:
    """GET url over https within the size and time budget; no redirects."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise AutoconfigError(f"{url}: only https:// autoconfig URLs are asked")
    try:
        context = verifying_context(options.ca_file)
    except (OSError, ssl.SSLError) as err:
        raise AutoconfigError(f"cannot load CA file {options.ca_file}: {err}") from None
    conn = http.client.HTTPSConnection(
        parts.hostname, parts.port or 443, timeout=options.timeout, context=context
    )
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("GET", target or "/", headers={"Accept": "application/xml, text/xml"})
        response = conn.getresponse()
        if response.status != 200:
            raise AutoconfigError(f"{parts.hostname}: HTTP {response.status}")
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > options.max_bytes:
            raise AutoconfigError(f"{parts.hostname}: autoconfig file too large")
        body = _read_bounded(response, options)
    except (OSError, http.client.HTTPException) as err:
        raise AutoconfigError(f"{parts.hostname}: {type(err).__name__}: {err}") from None
    finally:
        conn.close()
    if len(body) > options.max_bytes:
        raise AutoconfigError(f"{parts.hostname}: autoconfig file over {options.max_bytes} bytes")
    return body


def _read_bounded(response: http.client.HTTPResponse, options: Options) -> bytes:
    """At most max_bytes + 1 bytes, within twice the timeout overall (a trickle is cut off)."""
    deadline = time.monotonic() + 2 * options.timeout
    chunks: list[bytes] = []
    size = 0
    while size <= options.max_bytes:
        if time.monotonic() > deadline:
            raise AutoconfigError("autoconfig server too slow")
        chunk = response.read1(min(16_384, options.max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def parse(body: bytes, address: str, options: Options) -> tuple[list[Server], str | None]:
    """The IMAP and SMTP servers a config-v1.1 file names, and the login it says to use."""
    if len(body) > options.max_bytes:
        raise AutoconfigError(f"autoconfig file over {options.max_bytes} bytes")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SyntaxError, ValueError) as err:
        raise AutoconfigError(f"unreadable autoconfig file: {type(err).__name__}") from None
    provider = root.find("emailProvider")
    if root.tag != "clientConfig" or provider is None:
        raise AutoconfigError("not an autoconfig file (no clientConfig/emailProvider)")
    servers: list[Server] = []
    username: str | None = None
    for tag, protocol in (("incomingServer", "imap"), ("outgoingServer", "smtp")):
        for node in provider.findall(tag):
            if node.get("type") != protocol:
                continue  # POP3, Exchange, JMAP: not for us
            server = _server(node, protocol, address, options)
            if server is not None:
                servers.append(server)
                if protocol == "imap" and username is None:
                    username = _fill(_text(node, "username"), address) or None
    return servers, username


def _server(node: Element, protocol: str, address: str, options: Options) -> Server | None:
    host = _fill(_text(node, "hostname"), address).lower()
    port = _text(node, "port")
    security = _SOCKET.get(_text(node, "socketType").lower())
    if not HOSTNAME.match(host) or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    if security is None or not options.host_allowed(host):
        return None
    return Server(protocol, host, int(port), security)  # type: ignore[arg-type]


def _text(node: Element, tag: str) -> str:
    found = node.find(tag)
    return (found.text or "").strip()[:255] if found is not None else ""


def _fill(template: str, address: str) -> str:
    local, _, domain = address.rpartition("@")
    return (
        template.replace("%EMAILADDRESS%", address)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
    )
