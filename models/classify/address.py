"""One identity for an email address: the form a mail server would route, never a lookalike's.

``str.lower()`` folds more than ASCII: KELVIN SIGN (U+212A) lowers to ``k`` and a Turkish
dotted capital I to ``i̇``, so ``\u212aate@example.com`` would pass for ``kate@example.com``. Servers
treat local parts as opaque apart from (conventionally) ASCII case, and route a domain by its
IDNA A-label. So: ASCII letters are lower-cased and nothing else is; a non-ASCII domain is
checked with IDNA 2008 (no compatibility mapping, which would fold lookalikes too) and kept in
its Unicode form, so ``bücher.example`` and ``xn--bcher-kva.example`` are one domain and a
domain that IDNA refuses matches only itself.
"""

from __future__ import annotations

import idna

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_MAX_DOMAIN = 255


def ascii_lower(text: str) -> str:
    """Text with only A-Z lower-cased; every other character is kept as it is."""
    return text.translate(_ASCII_LOWER)


def _label(label: str) -> str:
    if label.isascii():
        if not label.startswith("xn--"):
            return label
        try:
            return idna.decode(label)  # an A-label names the same domain as its U-label
        except (idna.IDNAError, UnicodeError, ValueError):
            return label
    return label  # kept as is: matches only an identical label (see _domain)


def _domain(domain: str) -> str:
    domain = ascii_lower(domain).rstrip(".")
    if len(domain) > _MAX_DOMAIN:
        return domain
    if domain.isascii() and "xn--" not in domain:
        return domain
    if not domain.isascii():
        try:
            idna.encode(domain, uts46=False)  # refuses disallowed code points, folds nothing
        except (idna.IDNAError, UnicodeError, ValueError):
            return domain
    return ".".join(_label(label) for label in domain.split("."))


def normalise_address(addr: str) -> str:
    """The routing identity of an addr-spec: ASCII case folded, IDNA domains unified."""
    addr = addr.strip()
    local, at, domain = addr.rpartition("@")
    if not at:
        return ascii_lower(addr)
    return f"{ascii_lower(local)}@{_domain(domain)}"


def address_forms(addr: str) -> tuple[str, ...]:
    """The normalised address and, for an IDNA domain, its ASCII (A-label) spelling too."""
    normalised = normalise_address(addr)
    local, _, domain = normalised.rpartition("@")
    if domain.isascii():
        return (normalised,)
    try:
        ascii_domain = idna.encode(domain, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return (normalised,)
    return (normalised, f"{local}@{ascii_domain}")
