"""Turning the [smtp] configuration into an endpoint and a just-in-time credential."""

from __future__ import annotations

from collections.abc import Callable

from coffeechat.integrations.config import SmtpConfig
from coffeechat.integrations.imap import Credential
from coffeechat.integrations.secrets import resolve
from coffeechat.integrations.smtp.client import SmtpEndpoint


def smtp_endpoint(cfg: SmtpConfig) -> SmtpEndpoint:
    """The submission server to talk to, from the configuration."""
    return SmtpEndpoint(
        host=cfg.host,
        port=cfg.port,
        security=cfg.security,
        username=cfg.username,
        allow_plaintext=cfg.allow_plaintext,
        ca_file=cfg.ca_file,
    )


def smtp_credential(cfg: SmtpConfig) -> Callable[[], Credential] | None:
    """A callable resolving the secret only when a login needs it; None when no AUTH is set up."""
    if cfg.oauth_token_command is None and cfg.password is None:
        return None

    def credential() -> Credential:
        if cfg.oauth_token_command is not None:
            return Credential("xoauth2", resolve(cfg.oauth_token_command))
        assert cfg.password is not None
        return Credential("password", resolve(cfg.password))

    return credential
