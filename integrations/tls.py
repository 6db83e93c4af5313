"""The one way coffeechat makes TLS client contexts: always verifying, built once per CA."""

from __future__ import annotations

import ssl
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=16)
def _context(cafile: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


def verifying_context(ca_file: Path | str | None = None) -> ssl.SSLContext:
    """A context that verifies certificates and host names, trusting ``ca_file`` when given.

    Loading the system store costs ~100 ms, so each context is built once per process and
    shared (SSLContext is safe to share between connections and threads). Raises OSError or
    ssl.SSLError for an unreadable CA file; each edge translates that into its own error.
    """
    return _context(str(ca_file) if ca_file is not None else None)
