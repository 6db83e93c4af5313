"""The SMTP edge itself: TLS policy, STARTTLS refusal, XOAUTH2, and secrets kept out of errors."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme

from coffeechat.integrations.imap import Credential
from coffeechat.integrations.smtp import (
    SmtpAuthFailed,
    SmtpEndpoint,
    SmtpPlaintextRefused,
    SmtpTlsFailure,
    SmtpUnreachable,
    send,
)
from tests.testbed import SmtpServer
from tests.testbed.bare_smtp import OAuthOnlyHandler, bare_smtp
from tests.testbed.ports import LOOPBACK, free_port

TOKEN = "ya29.test-access-token"


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "sam@example.net"
    message["To"] = "ada@example.com"
    message["Subject"] = "hello"
    message["Message-ID"] = "<transport-test@example.net>"
    message.set_content("Hi\n.\nA line with a lone dot above.\n")
    return message


@pytest.fixture
def bare() -> Iterator[OAuthOnlyHandler]:
    """A loopback aiosmtpd without STARTTLS, with XOAUTH2."""
    with bare_smtp("sam@example.net", TOKEN) as server:
        yield server


def _endpoint(**kwargs: Any) -> SmtpEndpoint:
    values: dict[str, Any] = {"host": LOOPBACK, "port": 0, "security": "starttls",
                              "username": "sam@example.net", "timeout": 5.0}  # fmt: skip
    values.update(kwargs)
    return SmtpEndpoint(**values)


def _send(endpoint: SmtpEndpoint, credential: Credential | None = None) -> None:
    def resolve() -> Credential:
        assert credential is not None
        return credential

    send(endpoint, resolve if credential else None, _message(),
         envelope_from="sam@example.net", recipients=["ada@example.com"])  # fmt: skip


def test_starttls_and_implicit_tls_verify_against_the_configured_ca(smtp: SmtpServer) -> None:
    password = Credential("password", smtp.password)
    _send(_endpoint(port=smtp.port, ca_file=smtp.ca_path, username=smtp.username), password)
    _send(_endpoint(port=smtp.ssl_port, security="ssl", ca_file=smtp.ca_path,
                    username=smtp.username), password)  # fmt: skip
    assert [m.tls for m in smtp.messages] == [True, True]
    assert all(m.auth_user == smtp.username for m in smtp.messages)
    assert b"\r\n.\r\nA line" in smtp.messages[0].raw  # dot-stuffing undone by the server


def test_an_untrusted_certificate_is_refused(smtp: SmtpServer, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with pytest.raises(SmtpTlsFailure, match="not trusted"):
        _send(_endpoint(port=smtp.port, ca_file=other))
    with pytest.raises(SmtpTlsFailure, match="not trusted"):
        _send(_endpoint(port=smtp.ssl_port, security="ssl", ca_file=other))
    with pytest.raises(SmtpTlsFailure, match="not trusted"):
        _send(_endpoint(port=smtp.ssl_port, security="ssl"))  # system CAs do not know it
    assert smtp.messages == []


def test_starttls_configured_but_not_offered_is_refused(
    bare: OAuthOnlyHandler,
) -> None:
    port, handler = bare.port, bare
    with pytest.raises(SmtpTlsFailure, match="does not offer STARTTLS"):
        _send(_endpoint(port=port), Credential("xoauth2", TOKEN))
    assert handler.received == []


def test_plaintext_only_to_loopback_when_allowed(bare: OAuthOnlyHandler) -> None:
    port, handler = bare.port, bare
    with pytest.raises(SmtpPlaintextRefused):
        _send(_endpoint(port=port, security="plain"))
    with pytest.raises(SmtpPlaintextRefused, match="loopback"):
        _send(_endpoint(host="smtp.example.com", port=port, security="plain", allow_plaintext=True))
    loopback = _endpoint(port=port, security="plain", allow_plaintext=True)
    _send(loopback, Credential("xoauth2", TOKEN))
    assert len(handler.received) == 1


def test_xoauth2_refused_token_stops_without_leaking_it(
    bare: OAuthOnlyHandler,
) -> None:
    port, handler = bare.port, bare
    endpoint = _endpoint(port=port, security="plain", allow_plaintext=True)
    with pytest.raises(SmtpAuthFailed) as caught:
        _send(endpoint, Credential("xoauth2", "ya29.wrong-token"))
    assert "wrong-token" not in str(caught.value) and caught.value.__context__ is None
    assert "ya29" not in repr(endpoint) and "wrong" not in repr(Credential("xoauth2", "wrong"))
    assert handler.received == []


def test_a_closed_port_is_unreachable() -> None:
    with pytest.raises(SmtpUnreachable):
        _send(_endpoint(port=free_port(), security="plain", allow_plaintext=True))
