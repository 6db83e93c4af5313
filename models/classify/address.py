"""One identity for an email address: the form a mail server would route, never a lookalike's.

``str.lower()`` folds more than ASCII: KELVIN SIGN (U+212A) lowers to ``k`` and a Turkish
dotted capital I to ``i̇``, so ``\u212aate@example.com`` would pass for ``kate@example.com``. Servers
treat local parts as opaque apart from (conventionally) ASCII case, and route a domain by its
IDNA A-label. So: ASCII letters are lower-cased and nothing else is; a non-ASCII domain is
checked with IDNA 2008 (no compatibility mapping, which would fold lookalikes too) and written
as its A-label, the form it has on the wire, so ``bücher.example`` and ``xn--bcher-kva.example``
are one domain; a domain that IDNA refuses stays as it is and matches only itself.
"""

from __future__ import annotations

import idna

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_MAX_DOMAIN = 255


def ascii_lower(text: str) -> str:
    """Text with only A-Z lower-cased; every other character is kept as it is."""
    return text.translate(_ASCII_LOWER)


def _a_label_domain(domain: str) -> str:
    domain = ascii_lower(domain).rstrip(".")
    if domain.isascii() or len(domain) > _MAX_DOMAIN:
        return domain
    try:
        return idna.encode(domain, uts46=False).decode("ascii")  # folds nothing, refuses much
    except (idna.IDNAError, UnicodeError, ValueError):
        return domain


def normalise_address(addr: str) -> str:
    """The routing identity of an addr-spec: ASCII case folded, a non-ASCII domain as A-label."""
    addr = addr.strip()
    local, at, domain = addr.rpartition("@")
    if not at:
        return ascii_lower(addr)
    return f"{ascii_lower(local)}@{_a_label_domain(domain)}"


def address_forms(addr: str) -> tuple[str, ...]:
    """The normalised address and, for an IDNA domain, its Unicode (U-label) spelling too."""
    normalised = normalise_address(addr)
    local, _, domain = normalised.rpartition("@")
    if "xn--" not in domain:
        return (normalised,)
    try:
        unicode_domain = idna.decode(domain)
    except (idna.IDNAError, UnicodeError, ValueError):
        return (normalised,)
    return (normalised, f"{local}@{unicode_domain}")
