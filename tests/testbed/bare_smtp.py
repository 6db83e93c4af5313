"""An SMTP server on loopback without TLS that takes one XOAUTH2 token, as Gmail speaks it.

For what the test bed's SmtpServer cannot be: a server that does not offer STARTTLS (so the
client's TLS policy is what is tested) and that checks one known token (so a test can look for
that token everywhere). ``with bare_smtp(user, token) as server:`` gives its port and what it
accepted.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from tests.testbed.ports import LOOPBACK, free_port


class OAuthOnlyHandler:
    """aiosmtpd handler: XOAUTH2 for ``user`` with ``token`` only; records what it accepts."""

    def __init__(self, user: str, token: str) -> None:
        self.user = user
        self.token = token
        self.port = 0
        self.received: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope.original_content or b"")
        return "250 OK"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        expected = f"user={self.user}\x01auth=Bearer {self.token}\x01\x01".encode()
        if len(args) > 1 and base64.b64decode(args[1]) == expected:
            return AuthResult(success=True, auth_data="oauth")
        # A failed XOAUTH2 first sends a JSON challenge, answered with an empty line.
        await server.challenge_auth(b'{"status":"401","schemes":"Bearer"}')
        return AuthResult(success=False, handled=False)


@contextmanager
def bare_smtp(user: str, token: str) -> Iterator[OAuthOnlyHandler]:
    """Run the server on a free loopback port (``.port``) until the block ends."""
    handler = OAuthOnlyHandler(user, token)
    handler.port = free_port()
    controller = Controller(handler, hostname=LOOPBACK, port=handler.port, auth_require_tls=False)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()
