"""The pure rules that say which contact a referral is about."""

from __future__ import annotations

import pytest

from coffeechat.models.contacts.referral_links import AmbiguousLink, Candidate, choose

ADA = Candidate(1, "Ada Lovelace", "Analytical", ("ada@example.com",))
CHARLES = Candidate(2, "Charles Babbage", "Engines", ("charles@example.org",))
CHARLES_TOO = Candidate(3, "Charles  babbage", "Navy", ("cb@navy.example",))
CHARLES_SOMEWHERE = Candidate(4, "Charles Babbage", "", ())


def test_the_address_decides_whatever_the_name_says() -> None:
    found = choose([ADA, CHARLES], address="CHARLES@example.org", name="Chuck", company="")
    assert found == CHARLES


def test_an_unknown_address_falls_back_to_the_name() -> None:
    found = choose([ADA, CHARLES], address="new@example.org", name="charles babbage", company="")
    assert found == CHARLES


def test_nobody_fits_means_a_new_contact() -> None:
    assert choose([ADA, CHARLES], address=None, name="Grace Hopper", company="") is None
    assert choose([ADA], address=None, name="", company="Engines") is None


def test_a_name_alone_that_fits_two_people_is_ambiguous() -> None:
    with pytest.raises(AmbiguousLink) as err:
        choose([CHARLES, CHARLES_TOO], address=None, name="Charles Babbage", company="")
    assert err.value.candidates == (CHARLES, CHARLES_TOO)


def test_the_company_settles_a_shared_name() -> None:
    found = choose([CHARLES, CHARLES_TOO], address=None, name="Charles Babbage", company="navy")
    assert found == CHARLES_TOO


def test_a_namesake_at_another_company_is_not_them() -> None:
    assert choose([CHARLES], address=None, name="Charles Babbage", company="Navy") is None


def test_a_namesake_whose_company_is_unknown_may_be_them_but_not_among_several() -> None:
    found = choose([CHARLES_SOMEWHERE], address=None, name="Charles Babbage", company="Navy")
    assert found == CHARLES_SOMEWHERE
    with pytest.raises(AmbiguousLink):
        choose(
            [CHARLES_SOMEWHERE, Candidate(5, "Charles Babbage", "", ())],
            address=None,
            name="Charles Babbage",
            company="Navy",
        )
