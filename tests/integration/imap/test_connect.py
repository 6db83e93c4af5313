"""Connecting and logging in against the real Dovecot: success and each distinct failure."""

from __future__ import annotations

import traceback
from collections.abc import Iterator

import pytest

from coffeechat.integrations.imap import (
    AuthenticationFailed,
    ConnectionDropped,
    Credential,
    CredentialUnavailable,
    HostUnreachable,
    MailboxError,
    PlaintextRefused,
    TlsFailure,
    connect,
)
from coffeechat.integrations.secrets import SecretUnavailable
from tests.integration.imap.conftest import password_of, ssl_endpoint
from tests.testbed import Mailbox as Account
from tests.testbed.ports import free_port

WRONG = "Wr0ng-Sekrit-7731"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _shallow_reprs(value: object, depth: int = 2) -> Iterator[str]:
    # What a logger with "show locals" would print, one level into each object's attributes.
    yield repr(value)
    if depth and hasattr(value, "__dict__"):
        for attribute in vars(value).values():
            yield from _shallow_reprs(attribute, depth - 1)


def _assert_no_secret(exc: BaseException, secret: str) -> None:
    for link in _chain(exc):
        assert secret not in str(link)
        assert secret not in repr(link)
        assert secret not in repr(vars(link))
        tb = link.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename != __file__:  # this test's own frame holds it
                for value in tb.tb_frame.f_locals.values():
                    assert all(secret not in text for text in _shallow_reprs(value))
            tb = tb.tb_next
    assert secret not in "".join(traceback.format_exception(exc))


def test_ssl_login_with_testbed_ca(mailbox: Account) -> None:
    with connect(ssl_endpoint(mailbox), password_of(mailbox)) as imap:
        assert "IMAP4REV1" in imap.capabilities
        # Re-read after login: Dovecot adds the post-login set (e.g. IDLE, CONDSTORE).
        assert {"IDLE", "CONDSTORE"} <= imap.capabilities
        assert mailbox.user in repr(imap)
        assert mailbox.password not in repr(imap)
        imap.noop()


def test_starttls_login(mailbox: Account) -> None:
    endpoint = ssl_endpoint(mailbox, port=mailbox.port, security="starttls")
    with connect(endpoint, password_of(mailbox)) as imap:
        imap.noop()


def test_plaintext_to_loopback_when_allowed(mailbox: Account) -> None:
    endpoint = ssl_endpoint(mailbox, port=mailbox.port, security="plain", allow_plaintext=True)
    with connect(endpoint, password_of(mailbox)) as imap:
        imap.noop()


def test_wrong_password_is_authentication_failed_without_the_secret(mailbox: Account) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        connect(ssl_endpoint(mailbox), password_of(mailbox, WRONG))
    exc = caught.value
    assert exc.transient is False
    assert mailbox.user in str(exc)
    _assert_no_secret(exc, WRONG)


def test_wrong_non_ascii_password_uses_sasl_and_fails_cleanly(mailbox: Account) -> None:
    secret = "pässwörd-Ünïcode-42"
    with pytest.raises(AuthenticationFailed) as caught:
        connect(ssl_endpoint(mailbox), password_of(mailbox, secret))
    _assert_no_secret(caught.value, secret)


def test_an_unknown_xoauth2_token_is_refused_without_leaking(mailbox: Account) -> None:
    token = "ya29.secret-access-token-991"
    with pytest.raises(AuthenticationFailed) as caught:
        connect(ssl_endpoint(mailbox), lambda: Credential("xoauth2", token))
    _assert_no_secret(caught.value, token)


def test_nothing_listening_is_host_unreachable(mailbox: Account) -> None:
    resolved: list[bool] = []

    def credential() -> Credential:
        resolved.append(True)
        return Credential("password", mailbox.password)

    with pytest.raises(HostUnreachable) as caught:
        connect(ssl_endpoint(mailbox, port=free_port()), credential)
    assert caught.value.transient is False
    assert resolved == []  # the secret is only fetched once a login is about to happen


def test_unresolvable_host_is_host_unreachable(mailbox: Account) -> None:
    with pytest.raises(HostUnreachable):
        connect(ssl_endpoint(mailbox, host="no-such-host.invalid"), password_of(mailbox))


def test_untrusted_certificate_is_tls_failure(mailbox: Account) -> None:
    with pytest.raises(TlsFailure) as caught:
        connect(ssl_endpoint(mailbox, ca_file=None), password_of(mailbox))
    assert "certificate" in str(caught.value)


def test_untrusted_certificate_on_starttls_is_tls_failure(mailbox: Account) -> None:
    endpoint = ssl_endpoint(mailbox, port=mailbox.port, security="starttls", ca_file=None)
    with pytest.raises(TlsFailure):
        connect(endpoint, password_of(mailbox))


def test_tls_to_a_plaintext_port_is_tls_failure(mailbox: Account) -> None:
    with pytest.raises(TlsFailure):
        connect(ssl_endpoint(mailbox, port=mailbox.port), password_of(mailbox))


def test_plaintext_without_allow_plaintext_is_refused(mailbox: Account) -> None:
    endpoint = ssl_endpoint(mailbox, port=mailbox.port, security="plain")
    with pytest.raises(PlaintextRefused, match="allow_plaintext"):
        connect(endpoint, password_of(mailbox))


def test_plaintext_to_a_remote_host_is_refused_even_when_allowed(mailbox: Account) -> None:
    # Refused before any connection is tried, so the address need not exist.
    endpoint = ssl_endpoint(
        mailbox, host="imap.example.com", security="plain", allow_plaintext=True
    )
    with pytest.raises(PlaintextRefused, match="loopback"):
        connect(endpoint, password_of(mailbox))


def test_credential_repr_hides_the_secret() -> None:
    credential = Credential("password", "hunter2-secret")
    assert "hunter2-secret" not in repr(credential)
    assert "hunter2-secret" not in str(credential)
    assert "password" in repr(credential)


def test_only_connection_dropped_is_transient() -> None:
    assert ConnectionDropped.transient is True
    for kind in (AuthenticationFailed, TlsFailure, HostUnreachable, PlaintextRefused):
        assert issubclass(kind, MailboxError)
        assert kind.transient is False


def test_an_unreadable_secret_is_a_mailbox_error_naming_the_reference(mailbox: Account) -> None:
    def credential() -> Credential:
        raise SecretUnavailable("environment variable MISSING_IMAP_PW is not set")

    with pytest.raises(CredentialUnavailable) as caught:
        connect(ssl_endpoint(mailbox), credential)
    assert "MISSING_IMAP_PW" in str(caught.value)
    assert not caught.value.transient  # not retried: the helper or keyring must be fixed first
