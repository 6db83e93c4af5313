"""Address identity as a server routes it: ASCII case folded, lookalikes and IDNA kept apart."""

from __future__ import annotations

import pytest

from coffeechat.models.classify.address import address_forms, ascii_lower, normalise_address
from coffeechat.models.classify.headers import parse_addresses


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kate@EXAMPLE.com", "kate@example.com"),
        ("\u212aate@example.com", "\u212aate@example.com"),  # KELVIN SIGN is no K
        ("\u0130nci@example.com", "\u0130nci@example.com"),  # str.lower() makes 'i̇nci'
        ("J\u00dcRGEN@Example.DE", "j\u00dcrgen@example.de"),  # only ASCII letters fold
        ("jo@b\u00fccher.example", "jo@xn--bcher-kva.example"),  # one domain, two spellings
        ("jo@xn--bcher-kva.example", "jo@xn--bcher-kva.example"),
        ("jo@XN--BCHER-KVA.example", "jo@xn--bcher-kva.example"),
        ("jo@B\u00dcCHER.example", "jo@b\u00dccher.example"),  # IDNA 2008 refuses capitals
        ("jo@\uff45xample.com", "jo@\uff45xample.com"),  # fullwidth e: IDNA 2008 refuses it
        ("jo@example.com.", "jo@example.com"),
        ("  jo@example.com ", "jo@example.com"),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_normalise_address(raw: str, expected: str) -> None:
    assert normalise_address(raw) == expected


def test_lookalikes_never_equal_the_ascii_address() -> None:
    contact = normalise_address("kate@example.com")
    for lookalike in ("\u212aate@example.com", "kate@\uff45xample.com", "\u212aATE@example.com"):
        assert normalise_address(lookalike) != contact


def test_ascii_lower_touches_nothing_else() -> None:
    assert ascii_lower("ABC\u212a\u0130\u00c9xyz") == "abc\u212a\u0130\u00c9xyz"


def test_address_forms_add_the_unicode_spelling() -> None:
    assert address_forms("Jo@b\u00fccher.example") == (
        "jo@xn--bcher-kva.example",
        "jo@b\u00fccher.example",
    )
    assert address_forms("jo@example.com") == ("jo@example.com",)


def test_parsed_headers_use_the_same_identity() -> None:
    addrs, _, _ = parse_addresses(["Kate <\u212aATE@Example.com>, jo@XN--BCHER-KVA.example"])
    assert addrs == ("\u212aate@example.com", "jo@xn--bcher-kva.example")
