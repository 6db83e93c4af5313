"""Return dates read from out-of-office text, relative to an injected today."""

from __future__ import annotations

from datetime import date

import pytest

from coffeechat.models.classify import extract_return_date

TODAY = date(2026, 11, 20)  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will be back on 3 December.", date(2026, 12, 3)),
        ("Back on Thursday, 3 December 2026.", date(2026, 12, 3)),
        ("I return on December 3rd.", date(2026, 12, 3)),
        ("Ich bin zurück am 05.01.2027.", date(2027, 1, 5)),
        ("Ich bin ab dem 5. Januar wieder erreichbar.", date(2027, 1, 5)),
        ("Je serai de retour le 2 janvier.", date(2027, 1, 2)),
        ("Je suis absente jusqu'au 4 janvier inclus.", date(2027, 1, 5)),
        ("Estaré de vuelta el 8 de enero de 2027.", date(2027, 1, 8)),
        ("Estoy fuera hasta el 5 de enero.", date(2027, 1, 6)),
        ("Jag är tillbaka den 7 januari.", date(2027, 1, 7)),
        ("Ik ben weer aanwezig op 11 januari.", date(2027, 1, 11)),
        ("Afwezig tot en met 10 januari.", date(2027, 1, 11)),
        ("Back 2026-12-14.", date(2026, 12, 14)),
        ("Out until 2026-12-10 with limited access.", date(2026, 12, 11)),
        ("I'm on leave until 14/12/2026.", date(2026, 12, 15)),
        ("Out from November 18 to November 30, returning December 1st, 2026.", date(2026, 12, 1)),
        ("Away until December 2, back on December 3.", date(2026, 12, 3)),
        ("戻りは 2026年12月8日 の予定です。", date(2026, 12, 8)),
    ],
)
def test_explicit_dates(text: str, expected: date) -> None:
    assert extract_return_date(text, TODAY) == expected


def test_year_rolls_over_in_december() -> None:
    assert extract_return_date("Back on 4 January.", date(2026, 12, 20)) == date(2027, 1, 4)


def test_stale_notice_keeps_the_recent_past_date() -> None:
    # a notice nobody switched off: the date just passed, not next year's
    assert extract_return_date("Back on 28 December.", date(2027, 1, 2)) == date(2026, 12, 28)


def test_weekday_relative_to_today() -> None:
    assert extract_return_date("I'll be back on Monday.", TODAY) == date(2026, 11, 23)
    assert extract_return_date("Out until Friday.", TODAY) == date(2026, 11, 28)
    assert extract_return_date("Ich bin morgen wieder da, zurück morgen.", TODAY) == date(
        2026, 11, 21
    )


def test_ambiguous_us_eu_slash_date_is_not_guessed_in_english() -> None:
    assert extract_return_date("Back 03/04.", TODAY) is None


def test_yearless_date_needs_a_reference_day() -> None:
    assert extract_return_date("Back on 3 December.", None) is None
    assert extract_return_date("Back on 3 December 2026.", None) == date(2026, 12, 3)


@pytest.mark.parametrize(
    "text",
    ["Thanks for your message.", "Back on 31 February.", "Version 2.3.4 is out", ""],
)
def test_no_date(text: str) -> None:
    assert extract_return_date(text, TODAY) is None


def test_far_future_dates_are_ignored() -> None:
    assert extract_return_date("Back on 3 December 2031.", TODAY) is None
