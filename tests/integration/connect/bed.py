"""Loopback servers a domain's mail settings are discovered from: DNS and HTTPS autoconfig."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from tests.testbed.autoconfig import AutoconfigServer
from tests.testbed.dns import DnsServer
from tests.testbed.tls import TestbedCA


def loopback(host: str) -> bool:
    """Tests may reach nothing but this machine, whatever a served file names."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    server = DnsServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def autoconfig_server(testbed_ca: TestbedCA) -> Iterator[AutoconfigServer]:
    server = AutoconfigServer(testbed_ca.issue("autoconfig"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def autoconfig_xml(imap_host: str, imap_port: int, smtp_port: int, extra: str = "") -> bytes:
    return f"""<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="bed.test">
    <domain>bed.test</domain>
    <incomingServer type="pop3"><hostname>127.0.0.1</hostname><port>995</port>
      <socketType>SSL</socketType></incomingServer>
    <incomingServer type="imap">
      <hostname>{imap_host}</hostname><port>{imap_port}</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>127.0.0.1</hostname><port>{smtp_port}</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>{extra}
  </emailProvider>
</clientConfig>""".encode()
