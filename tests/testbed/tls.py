"""A throw-away certificate authority (trustme) whose server certs cover 127.0.0.1 and localhost."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for one server: its cert chain and key, and the CA a client must trust."""

    ca_path: Path
    cert_path: Path
    key_path: Path

    def client_context(self) -> ssl.SSLContext:
        """Return a verifying client context that trusts only the testbed CA."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def server_context(self) -> ssl.SSLContext:
        """Return a server context presenting this cert."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_path), str(self.key_path))
        return context


class TestbedCA:
    """One CA per test session; every server gets a cert signed by it."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, directory: Path) -> None:
        """Create the CA and write its PEM into directory."""
        self.directory = directory
        self._ca = trustme.CA(organization_name="coffeechat testbed")
        self.ca_path = directory / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_path))
        self.ca_path.chmod(0o644)

    def issue(self, name: str) -> TlsFiles:
        """Issue a cert for 127.0.0.1/localhost and write it as <name>-cert.pem / -key.pem."""
        cert = self._ca.issue_cert("127.0.0.1", "localhost", common_name="localhost")
        cert_path = self.directory / f"{name}-cert.pem"
        key_path = self.directory / f"{name}-key.pem"
        cert_path.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        cert.private_key_pem.write_to_path(str(key_path))
        cert_path.chmod(0o644)
        # Radicale runs as root here and Dovecot reads keys as root, so 0600 is enough.
        key_path.chmod(0o600)
        return TlsFiles(self.ca_path, cert_path, key_path)
