"""Discovery's pure pieces: autoconfig parsing, hints, candidate overrides, the time zone."""

from __future__ import annotations

import pytest

from coffeechat.deployments.cli import connect_found as cf
from coffeechat.integrations.discovery import Options, Server, autoconfig
from coffeechat.integrations.discovery.find import domain_of, in_domain
from coffeechat.integrations.discovery.probe import security_hint
from coffeechat.integrations.discovery.providers import BUILT_IN, provider_named

CONFIG = b"""<clientConfig version="1.1"><emailProvider id="x.test">
<incomingServer type="imap"><hostname>imap.%EMAILDOMAIN%</hostname><port>143</port>
<socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></incomingServer>
<incomingServer type="imap"><hostname>bad host</hostname><port>993</port>
<socketType>SSL</socketType></incomingServer>
<incomingServer type="imap"><hostname>imap2.x.test</hostname><port>99999</port>
<socketType>SSL</socketType></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.x.test</hostname><port>465</port>
<socketType>SSL</socketType></outgoingServer>
</emailProvider></clientConfig>"""


def test_autoconfig_placeholders_filled_and_bad_entries_dropped() -> None:
    servers, username = autoconfig.parse(CONFIG, "ada@x.test", Options())
    assert servers == [
        Server("imap", "imap.x.test", 143, "starttls"),
        Server("smtp", "smtp.x.test", 465, "ssl"),
    ]
    assert username == "ada"


def test_autoconfig_over_the_cap_is_refused_before_parsing() -> None:
    with pytest.raises(autoconfig.AutoconfigError, match="over 100 bytes"):
        autoconfig.parse(CONFIG, "ada@x.test", Options(max_bytes=100))


def test_only_https_autoconfig_urls_are_asked() -> None:
    with pytest.raises(autoconfig.AutoconfigError, match="only https"):
        autoconfig.fetch("http://127.0.0.1:9/x.xml", Options())


def test_the_default_autoconfig_urls_are_the_mail_clients() -> None:
    assert autoconfig.urls_for("a+b@x.test", Options()) == [
        "https://autoconfig.x.test/mail/config-v1.1.xml?emailaddress=a%2Bb@x.test",
        "https://x.test/.well-known/autoconfig/mail/config-v1.1.xml",
    ]


def test_security_hints_name_the_flag() -> None:
    wrong = "TLS handshake failed: [SSL: WRONG_VERSION_NUMBER] wrong version number"
    assert security_hint("smtp", wrong) == (
        "this port answers in plain text: try --smtp-security starttls"
    )
    assert "--imap-security ssl" in security_hint("imap", "STARTTLS not supported by the server")
    assert security_hint("imap", "connection refused") == ""


def test_user_flags_change_the_found_candidates() -> None:
    found = (Server("imap", "h", 993, "ssl"), Server("imap", "h", 143, "starttls"))
    assert cf.override(found, None, None) == found
    assert cf.override(found, None, "starttls") == (Server("imap", "h", 143, "starttls"),)
    assert cf.override(found, 1143, None) == (
        Server("imap", "h", 1143, "ssl"),
        Server("imap", "h", 1143, "starttls"),
    )


def test_addresses_domains_and_provider_names() -> None:
    assert domain_of(" Ada@Example.ORG ") == "example.org"
    for bad in ("ada", "ada@", "@x.test", "a b@x.test", "ada@exa_mple.org"):
        with pytest.raises(ValueError):
            domain_of(bad)
    assert in_domain("mail.x.test.", "x.test") and in_domain("x.test", "x.test")
    assert not in_domain("evilx.test", "x.test")
    assert provider_named("Microsoft 365", BUILT_IN) is provider_named("microsoft365", BUILT_IN)
    assert provider_named("nope", BUILT_IN) is None


def test_every_built_in_provider_is_complete() -> None:
    for entry in BUILT_IN:
        assert entry.imap and entry.smtp, entry.name
        for server in entry.imap + entry.smtp:
            assert server.security in ("ssl", "starttls") and 0 < server.port < 65536
    domains = [d for entry in BUILT_IN for d in entry.domains]
    assert len(domains) == len(set(domains))  # one entry per domain


def test_system_time_zone_from_tz_or_localtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Chicago")
    assert cf.system_timezone() == "America/Chicago"
    monkeypatch.setenv("TZ", "Not/AZone")
    found = cf.system_timezone()
    assert found != "Not/AZone" and (found == "UTC" or "/" in found)
