"""The SMTP edge: submit one message, with every failure translated into an SmtpError.

Only SmtpTransient is worth retrying as is; SmtpOutcomeUnknown must never be retried blindly.
"""

from __future__ import annotations

from coffeechat.integrations.imap import Credential
from coffeechat.integrations.smtp.client import SmtpEndpoint, send
from coffeechat.integrations.smtp.errors import (
    SmtpAuthFailed,
    SmtpCredentialUnavailable,
    SmtpError,
    SmtpOutcomeUnknown,
    SmtpPlaintextRefused,
    SmtpRejected,
    SmtpTlsFailure,
    SmtpTransient,
    SmtpUnreachable,
)
from coffeechat.integrations.smtp.providers import (
    provider_stores_sent_copy,
    should_append_sent_copy,
)
from coffeechat.integrations.smtp.settings import smtp_credential, smtp_endpoint

__all__ = [
    "Credential",
    "SmtpAuthFailed",
    "SmtpCredentialUnavailable",
    "SmtpEndpoint",
    "SmtpError",
    "SmtpOutcomeUnknown",
    "SmtpPlaintextRefused",
    "SmtpRejected",
    "SmtpTlsFailure",
    "SmtpTransient",
    "SmtpUnreachable",
    "provider_stores_sent_copy",
    "send",
    "should_append_sent_copy",
    "smtp_credential",
    "smtp_endpoint",
]
