"""The IMAP edge: connect to a mailbox and read it in bulk without changing its flags.

Everything raised from here is a MailboxError subclass; only ConnectionDropped is transient.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from coffeechat.integrations.imap.connection import (
    Credential,
    ImapEndpoint,
    discard,
    login,
    open_session,
    read_capabilities,
)
from coffeechat.integrations.imap.errors import (
    AuthenticationFailed,
    CommandRejected,
    ConnectionDropped,
    CredentialUnavailable,
    FolderNotFound,
    HostUnreachable,
    MailboxError,
    PlaintextRefused,
    TlsFailure,
)
from coffeechat.integrations.imap.fetch import FullItem, HeaderItem
from coffeechat.integrations.imap.mailbox import FolderStatus, Mailbox, PendingHeaders

__all__ = [
    "AuthenticationFailed",
    "CommandRejected",
    "ConnectionDropped",
    "Credential",
    "CredentialUnavailable",
    "FolderNotFound",
    "FolderStatus",
    "FullItem",
    "HeaderItem",
    "HostUnreachable",
    "ImapEndpoint",
    "Mailbox",
    "MailboxError",
    "PendingHeaders",
    "PlaintextRefused",
    "TlsFailure",
    "connect",
]

log = logging.getLogger(__name__)


def connect(endpoint: ImapEndpoint, credential: Callable[[], Credential]) -> Mailbox:
    """Open, secure and log in to the endpoint; credential() is called just before login."""
    session = open_session(endpoint)
    try:
        login(session, endpoint, credential)
        capabilities = read_capabilities(session, endpoint)
    except BaseException:
        discard(session)
        raise
    log.info(
        "IMAP connected to %s:%s as %s (%s)",
        endpoint.host,
        endpoint.effective_port,
        endpoint.username,
        endpoint.security,
    )
    return Mailbox(session, endpoint, capabilities)
