"""``coffeechat connect ADDRESS``: from a bare address on a test-bed domain to a checked setup.

The domain's mail settings come from an autoconfig file served over HTTPS, its CalDAV server
from a DNS SRV record on a loopback DNS server; the test bed CA stands in for the system's
trust store, so the command line holds the address and nothing else about the servers.
"""

from __future__ import annotations

import base64
import http.client
import tomllib
from collections.abc import Iterator

import pytest

from coffeechat.deployments.cli import connect_wizard
from coffeechat.integrations import tls
from tests.integration.connect.bed import autoconfig_server, autoconfig_xml, dns_server
from tests.integration.connect.conftest import Connect
from tests.testbed import Mailbox, RadicaleServer, SmtpServer
from tests.testbed.autoconfig import AutoconfigServer
from tests.testbed.dns import DnsServer
from tests.testbed.tls import TestbedCA

__all__ = ["autoconfig_server", "dns_server"]  # fixtures

_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>Work</D:displayname></D:prop></D:set>
</C:mkcalendar>"""


@pytest.fixture
def trusted_bed(testbed_ca: TestbedCA, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test bed CA as this process's default trust store (as a real CA would be)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(testbed_ca.ca_path))
    tls._context.cache_clear()
    yield
    monkeypatch.delenv("SSL_CERT_FILE")
    tls._context.cache_clear()


@pytest.fixture
def bed_domain(
    mailbox: Mailbox, smtp: SmtpServer, radicale: RadicaleServer, dns_server: DnsServer,
    autoconfig_server: AutoconfigServer, trusted_bed: None, monkeypatch: pytest.MonkeyPatch,
) -> str:  # fmt: skip
    """bed.test: autoconfig names Dovecot and aiosmtpd, SRV names Radicale; one login for all."""
    address = f"{mailbox.user}@bed.test"
    autoconfig_server.files["/mail/config-v1.1.xml"] = autoconfig_xml(
        "127.0.0.1", mailbox.ssl_port, smtp.port
    ).replace(b"<username>%EMAILADDRESS%", b"<username>%EMAILLOCALPART%")
    dns_server.add("_caldav._tcp.bed.test", "SRV", f"0 1 {radicale.port} localhost.")
    monkeypatch.setenv("COFFEECHAT_AUTOCONFIG_URL", autoconfig_server.url())
    monkeypatch.setenv("COFFEECHAT_DNS_SERVER", f"{dns_server.host}:{dns_server.port}")
    # A provider gives one login for mail and calendar: the relay and Radicale learn this one.
    monkeypatch.setattr(SmtpServer, "username", mailbox.user)
    monkeypatch.setattr(SmtpServer, "password", mailbox.password)
    smtp.require_auth = True
    users = radicale.root / "users"
    users.write_text(users.read_text() + f"{mailbox.user}:{mailbox.password}\n")
    _mkcalendar(radicale, mailbox.user, mailbox.password)
    return address


def _mkcalendar(radicale: RadicaleServer, user: str, password: str) -> None:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    conn = http.client.HTTPConnection(radicale.host, radicale.port, timeout=10)
    try:
        headers = {"Authorization": f"Basic {token}", "Content-Type": "application/xml"}
        conn.request("MKCALENDAR", f"/{user}/work/", _MKCALENDAR, headers)
        status = conn.getresponse().status
    finally:
        conn.close()
    assert status == 201, status


def check_written(text: str, mailbox: Mailbox, smtp: SmtpServer, radicale: RadicaleServer) -> None:
    data = tomllib.loads(text)
    assert data["imap"] | {"password": "-"} == {
        "host": "127.0.0.1", "port": mailbox.ssl_port, "security": "ssl",
        "username": mailbox.user, "password": "-",
    }  # fmt: skip
    assert (data["smtp"]["host"], data["smtp"]["port"]) == ("127.0.0.1", smtp.port)
    assert data["smtp"]["security"] == "starttls" and data["smtp"]["username"] == mailbox.user
    assert data["smtp"]["password"] == data["imap"]["password"]  # one login, stored once
    [cal] = data["calendars"]
    assert cal["kind"] == "caldav" and cal["url"].endswith(f"/{mailbox.user}/work/")
    assert f":{radicale.port}/" in cal["url"] and cal["username"] == mailbox.user
    assert mailbox.password not in text


def test_yes_finds_and_checks_imap_smtp_and_caldav_from_the_address_alone(
    connect: Connect, bed_domain: str, mailbox: Mailbox, smtp: SmtpServer,
    radicale: RadicaleServer,
) -> None:  # fmt: skip
    result = connect(bed_domain, "--yes", "--secret-store", "env:CC_ADDR_PW", "--password-stdin",
                     stdin=f"{mailbox.password}\n")  # fmt: skip
    assert result.code == 0, result.output
    text = " ".join(result.output.split())  # the console wraps long lines
    assert f"found settings for {bed_domain} in autoconfig https://127.0.0.1:" in text
    # The test bed's CalDAV host is outside bed.test: said before the password goes there.
    assert "warning: DNS names localhost for CalDAV, outside bed.test" in text
    for line in ("ok     IMAP", "ok     SMTP", "ok     calendar main"):
        assert line in result.output, result.output
    check_written(result.text, mailbox, smtp, radicale)
    account = tomllib.loads(result.text)["account"]
    assert account["email"] == bed_domain and account["timezone"]  # the system's zone
    assert mailbox.password not in result.output


def test_on_a_terminal_it_asks_only_to_confirm_and_for_the_password_and_profile(
    connect: Connect, bed_domain: str, mailbox: Mailbox, smtp: SmtpServer,
    radicale: RadicaleServer, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(connect_wizard, "interactive", lambda: True)
    answers = [
        "", "",  # use the IMAP and SMTP servers found
        "env:CC_TTY_PW", mailbox.password,  # where to keep the secret, then the secret
        "Sam Doe", "Europe/Paris", "Data engineer moving into climate tech", "Three chats a week",
    ]  # fmt: skip
    result = connect(bed_domain, stdin="\n".join(answers) + "\n")
    assert result.code == 0, result.output
    assert "Use this IMAP server?" in result.output and "Use this SMTP server?" in result.output
    assert "IMAP host" not in result.output and "IMAP port" not in result.output
    check_written(result.text, mailbox, smtp, radicale)
    account = tomllib.loads(result.text)["account"]
    assert account == {
        "email": bed_domain, "name": "Sam Doe", "timezone": "Europe/Paris",
        "elevator_pitch": "Data engineer moving into climate tech", "goals": "Three chats a week",
    }  # fmt: skip
    assert mailbox.password not in result.output


def test_what_was_not_found_is_asked_on_a_terminal(
    connect: Connect, mailbox: Mailbox, dns_server: DnsServer, trusted_bed: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("COFFEECHAT_AUTOCONFIG_URL", "https://127.0.0.1:1/x?e={address}")
    monkeypatch.setenv("COFFEECHAT_DNS_SERVER", f"{dns_server.host}:{dns_server.port}")
    monkeypatch.setattr(connect_wizard, "interactive", lambda: True)
    answers = ["127.0.0.1", "starttls", str(mailbox.port), "", "env:CC_ASK_PW", mailbox.password]
    result = connect(
        f"{mailbox.user}@nothing.test", "--imap-user", mailbox.user, "--no-calendar",
        "--name", "Sam", "--timezone", "UTC", "--pitch", "", "--goals", "",
        stdin="\n".join(answers) + "\n",
    )  # fmt: skip
    assert "no published settings found" in result.output
    assert "IMAP security" in result.output and "IMAP port" in result.output
    assert "ok     IMAP" in result.output, result.output


def test_without_a_terminal_what_was_not_found_names_the_flags(
    connect: Connect, dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COFFEECHAT_AUTOCONFIG_URL", "https://127.0.0.1:1/x?e={address}")
    monkeypatch.setenv("COFFEECHAT_DNS_SERVER", f"{dns_server.host}:{dns_server.port}")
    result = connect("sam@nothing.test", "--yes")
    assert result.code != 0
    text = " ".join(result.output.split())
    assert "--imap-host HOST with --imap-port PORT and --imap-security" in text, result.output
    assert not result.config.exists()


def test_tls_on_a_plain_port_says_to_use_starttls(connect: Connect, mailbox: Mailbox) -> None:
    result = connect(
        "--imap-host", mailbox.host, "--imap-port", str(mailbox.port), "--imap-security", "ssl",
        "--imap-user", mailbox.user, "--secret-store", "env:X", "--password-stdin",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    assert result.code == 1
    assert "WRONG_VERSION_NUMBER" in result.output
    assert "hint: this port answers in plain text: try --imap-security starttls" in result.output


def test_plain_text_refused_names_the_flag_not_the_setting(
    connect: Connect, mailbox: Mailbox
) -> None:
    result = connect(
        "--imap-host", mailbox.host, "--imap-port", str(mailbox.port), "--imap-security", "plain",
        "--imap-user", mailbox.user, "--secret-store", "env:X", "--password-stdin",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    assert result.code == 1
    text = " ".join(result.output.split())
    assert "allow_plaintext" not in text and "--imap-allow-plaintext" in text, result.output


def test_a_new_secret_without_a_terminal_names_each_way_to_give_it(
    connect: Connect, mailbox: Mailbox
) -> None:
    result = connect("--imap-host", mailbox.host, "--imap-user", mailbox.user)
    assert result.code != 0
    text = " ".join(result.output.split())
    for flag in ("--secret-store env:VARNAME", "--secret-store keyring", "--password-stdin",
                 "--oauth-token-command"):  # fmt: skip
        assert flag in text, result.output


def test_plain_smtp_refused_names_the_flag_not_the_setting(
    connect: Connect, mailbox: Mailbox, smtp: SmtpServer
) -> None:
    result = connect(
        "--imap-host", mailbox.host, "--imap-port", str(mailbox.ssl_port), "--imap-security",
        "ssl", "--imap-user", mailbox.user, "--imap-ca-file", str(mailbox.ca_path),
        "--smtp-host", smtp.host, "--smtp-port", str(smtp.port), "--smtp-security", "plain",
        "--secret-store", "env:X", "--password-stdin", "--smtp-same-password",
        stdin=f"{mailbox.password}\n",
    )  # fmt: skip
    assert result.code == 1
    text = " ".join(result.output.split())
    assert "allow_plaintext" not in text and "--smtp-allow-plaintext" in text, result.output


def test_an_oauth_only_provider_needs_a_token_command_before_anything_is_tried(
    connect: Connect,
) -> None:
    # The table answers for outlook.com: no DNS, no connection, just the recipe.
    result = connect("sam@outlook.com", "--yes")
    assert result.code != 0
    text = " ".join(result.output.split())
    assert "found settings for sam@outlook.com in provider Outlook.com" in text
    assert "https://github.com/pdobsan/oama" in text
    assert "--oauth-token-command 'oama access sam@outlook.com'" in text, result.output
    assert not result.config.exists()


def test_provider_without_an_address_says_how_to_give_one(connect: Connect) -> None:
    result = connect("--provider", "microsoft365")
    assert result.code != 0
    assert "coffeechat connect ADDRESS" in " ".join(result.output.split())


def test_without_an_address_a_terminal_is_asked_security_and_port(
    connect: Connect, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_wizard, "interactive", lambda: True)
    answers = [
        "starttls", str(mailbox.port),  # IMAP security and port: a plain port with STARTTLS
        "env:CC_PORT_PW", mailbox.password,
        "",  # no SMTP host
        "Sam", "Europe/Berlin", "", "",
    ]  # fmt: skip
    result = connect(
        "--imap-host", mailbox.host, "--imap-user", mailbox.user,
        "--imap-ca-file", str(mailbox.ca_path), stdin="\n".join(answers) + "\n",
    )  # fmt: skip
    assert result.code == 0, result.output
    data = tomllib.loads(result.text)
    assert data["imap"]["security"] == "starttls" and data["imap"]["port"] == mailbox.port
    assert data["account"] == {"name": "Sam", "timezone": "Europe/Berlin"}


def test_without_a_terminal_what_was_found_is_used_only_with_yes(
    connect: Connect, bed_domain: str, mailbox: Mailbox
) -> None:
    result = connect(bed_domain, "--secret-store", "env:CC_NOYES_PW", "--password-stdin",
                     stdin=f"{mailbox.password}\n")  # fmt: skip
    assert result.code != 0
    text = " ".join(result.output.split())
    assert "found IMAP 127.0.0.1:" in text and "add --yes to use the IMAP server found" in text
    assert not result.config.exists()
