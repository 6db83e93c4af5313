"""Discovery from an email address against loopback servers: provider table, autoconfig, SRV."""

from __future__ import annotations

import pytest

from coffeechat.integrations.discovery import Options, Server, discover, probe_first
from coffeechat.integrations.discovery.servers import Provider
from tests.integration.connect.bed import autoconfig_server, autoconfig_xml, dns_server, loopback
from tests.testbed import Mailbox, SmtpServer
from tests.testbed.autoconfig import CONFIG_PATH, AutoconfigServer
from tests.testbed.dns import DnsServer
from tests.testbed.tls import TestbedCA

ADDRESS = "sam@bed.test"
__all__ = ["autoconfig_server", "dns_server"]  # fixtures


def options(
    testbed_ca: TestbedCA, dns: DnsServer, auto: AutoconfigServer | None = None, **kw: object
) -> Options:
    urls = (auto.url(),) if auto else ("https://127.0.0.1:1/none?emailaddress={address}",)
    values: dict[str, object] = {
        "providers": (), "autoconfig_urls": urls, "ca_file": testbed_ca.ca_path,
        "dns_server": dns.address, "timeout": 5.0, "host_allowed": loopback,
    }  # fmt: skip
    return Options(**(values | kw))  # type: ignore[arg-type]


def test_a_provider_entry_is_used_and_each_candidate_tried_in_order(
    mailbox: Mailbox, smtp: SmtpServer, testbed_ca: TestbedCA, dns_server: DnsServer
) -> None:
    # The first IMAP candidate asks for TLS on the plain port: it fails with a hint to change
    # security, and the next one (STARTTLS there) answers.
    entry = Provider(
        "Bed", ("bed.test",),
        (Server("imap", "127.0.0.1", mailbox.port, "ssl"),
         Server("imap", "127.0.0.1", mailbox.port, "starttls")),
        (Server("smtp", "127.0.0.1", smtp.port, "starttls"),),
        username="%EMAILLOCALPART%", guidance=("make an app password",),
    )  # fmt: skip
    found = discover(ADDRESS, options(testbed_ca, dns_server, providers=(entry,)))
    assert found.source == "provider Bed" and found.username == "sam"
    assert found.guidance == ("make an app password",)
    server, failed = probe_first(found.imap, testbed_ca.ca_path, 5.0)
    assert server == found.imap[1]
    [tried] = failed
    assert "WRONG_VERSION_NUMBER" in tried.detail
    assert tried.hint == "this port answers in plain text: try --imap-security starttls"
    assert probe_first(found.smtp, testbed_ca.ca_path, 5.0)[0] == found.smtp[0]
    assert not dns_server.queries  # the entry says everything: DNS is not asked


def test_the_built_in_table_knows_the_large_providers() -> None:
    for address, imap_host in [
        ("a@gmail.com", "imap.gmail.com"), ("a@icloud.com", "imap.mail.me.com"),
        ("a@outlook.com", "outlook.office365.com"), ("a@fastmail.com", "imap.fastmail.com"),
        ("a@yahoo.com", "imap.mail.yahoo.com"), ("a@gmx.de", "imap.gmx.net"),
        ("a@web.de", "imap.web.de"), ("a@proton.me", "127.0.0.1"), ("a@posteo.de", "posteo.de"),
        ("a@mailbox.org", "imap.mailbox.org"),
    ]:  # fmt: skip
        # An unreachable DNS server: the table alone answers (and CalDAV SRV finds nothing).
        found = discover(address, Options(dns_server=("127.0.0.1", 9), timeout=0.2))
        assert found.imap[0].host == imap_host and found.smtp, address
    gmail = discover("a@gmail.com", Options(dns_server=("127.0.0.1", 9), timeout=0.2))
    assert "apppasswords" in gmail.guidance[0] and gmail.ics_hint
    outlook = discover("a@outlook.com", Options(dns_server=("127.0.0.1", 9), timeout=0.2))
    assert outlook.oauth_only and "--oauth-token-command" in outlook.guidance[0]
    m365 = discover("a@corp.example", Options(dns_server=("127.0.0.1", 9), timeout=0.2),
                    provider="microsoft365")  # fmt: skip
    assert m365.smtp[0].host == "smtp.office365.com"


def test_autoconfig_over_https_names_the_servers_and_the_login(
    mailbox: Mailbox, smtp: SmtpServer, testbed_ca: TestbedCA, dns_server: DnsServer,
    autoconfig_server: AutoconfigServer,
) -> None:  # fmt: skip
    autoconfig_server.files[CONFIG_PATH] = autoconfig_xml("127.0.0.1", mailbox.ssl_port, smtp.port)
    found = discover(ADDRESS, options(testbed_ca, dns_server, autoconfig_server))
    assert found.source.startswith("autoconfig https://127.0.0.1:")
    assert found.imap == (Server("imap", "127.0.0.1", mailbox.ssl_port, "ssl"),)
    assert found.smtp == (Server("smtp", "127.0.0.1", smtp.port, "starttls"),)
    assert found.username == "sam"
    assert autoconfig_server.requests == [f"{CONFIG_PATH}?emailaddress=sam@bed.test"]
    assert probe_first(found.imap, testbed_ca.ca_path, 5.0)[0] == found.imap[0]


def test_an_untrusted_autoconfig_certificate_is_not_believed(
    mailbox: Mailbox, smtp: SmtpServer, testbed_ca: TestbedCA, dns_server: DnsServer,
    autoconfig_server: AutoconfigServer,
) -> None:  # fmt: skip
    autoconfig_server.files[CONFIG_PATH] = autoconfig_xml("127.0.0.1", mailbox.ssl_port, smtp.port)
    found = discover(ADDRESS, options(testbed_ca, dns_server, autoconfig_server, ca_file=None))
    assert found.source == "" and not found.imap


@pytest.mark.parametrize("case", ["huge", "entities", "dtd", "remote host", "garbage"])
def test_hostile_autoconfig_files_are_refused_or_bounded(
    mailbox: Mailbox, smtp: SmtpServer, testbed_ca: TestbedCA, dns_server: DnsServer,
    autoconfig_server: AutoconfigServer, case: str,
) -> None:  # fmt: skip
    good = autoconfig_xml("127.0.0.1", mailbox.ssl_port, smtp.port)
    body = {
        "huge": good.replace(b"<domain>", b"<!--" + b"x" * 5_000_000 + b"--><domain>"),
        "entities": b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + good.split(b"?>", 1)[1].replace(b"<domain>bed.test", b"<domain>&b;"),
        "dtd": b'<?xml version="1.0"?><!DOCTYPE clientConfig SYSTEM "http://127.0.0.1:9/x.dtd">'
        + good.split(b"?>", 1)[1],
        "remote host": autoconfig_xml("imap.example.com", 993, smtp.port).replace(
            b"<hostname>127.0.0.1</hostname><port>" + str(smtp.port).encode(),
            b"<hostname>smtp.example.com</hostname><port>587",
        ),
        "garbage": b"\x00\xff<clientConfig><emailProvider>",
    }[case]
    autoconfig_server.files[CONFIG_PATH] = body
    found = discover(ADDRESS, options(testbed_ca, dns_server, autoconfig_server))
    assert found.source == "" and not found.imap and not found.smtp
    assert autoconfig_server.requests  # it was fetched, and then refused


def test_srv_records_from_a_loopback_dns_server(
    mailbox: Mailbox, smtp: SmtpServer, testbed_ca: TestbedCA, dns_server: DnsServer
) -> None:
    dns_server.add("_imaps._tcp.bed.test", "SRV", f"0 1 {mailbox.ssl_port} localhost.")
    dns_server.add("_imap._tcp.bed.test", "SRV", f"10 1 {mailbox.port} localhost.")
    dns_server.add("_submissions._tcp.bed.test", "SRV", "0 0 0 .")  # not offered (RFC 6186)
    dns_server.add("_submission._tcp.bed.test", "SRV", f"0 1 {smtp.port} localhost.",
                   "5 1 25 mail.example.com.")  # fmt: skip
    dns_server.add("_caldav._tcp.bed.test", "SRV", "0 1 5232 localhost.")
    found = discover(ADDRESS, options(testbed_ca, dns_server))
    assert found.source == "DNS SRV" and found.username == ADDRESS
    assert found.imap == (
        Server("imap", "localhost", mailbox.ssl_port, "ssl"),
        Server("imap", "localhost", mailbox.port, "starttls"),
    )
    # The record naming a host beyond loopback is dropped by the test's host rule.
    assert found.smtp == (Server("smtp", "localhost", smtp.port, "starttls"),)
    assert found.caldav == ("http://localhost:5232/",)
    assert probe_first(found.imap, testbed_ca.ca_path, 5.0)[0] == found.imap[0]
    assert probe_first(found.smtp, testbed_ca.ca_path, 5.0)[0] == found.smtp[0]


def test_nothing_found_is_an_empty_answer_not_an_error(
    testbed_ca: TestbedCA, dns_server: DnsServer
) -> None:
    found = discover(ADDRESS, options(testbed_ca, dns_server))
    assert found.source == "" and not found.imap and not found.smtp and not found.caldav
    with pytest.raises(ValueError, match="not an email address"):
        discover("no-at-sign", options(testbed_ca, dns_server))


def test_srv_targets_outside_the_domain_are_flagged_before_a_password_goes_there(
    testbed_ca: TestbedCA, dns_server: DnsServer
) -> None:
    dns_server.add("_imaps._tcp.bed.test", "SRV", "0 1 993 localhost.")
    dns_server.add("_submission._tcp.bed.test", "SRV", "0 1 587 mail.bed.test.")
    dns_server.add("_caldavs._tcp.bed.test", "SRV", "0 1 443 dav.bed.test.")
    found = discover(ADDRESS, options(testbed_ca, dns_server, host_allowed=lambda host: True))
    assert [w.split(" ")[2] for w in found.warnings] == ["localhost"]
    assert "for mail, outside bed.test" in found.warnings[0]
    assert found.caldav == ("https://dav.bed.test/",)
