"""Due dates written in promises, relative to the day the debrief is read."""

from __future__ import annotations

from datetime import date

import pytest

from coffeechat.models.debrief.dates import due_date

SATURDAY = date(2026, 12, 5)
WEDNESDAY = date(2026, 11, 18)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("send it by Friday", SATURDAY, date(2026, 12, 11)),
        ("send it by Friday", WEDNESDAY, date(2026, 11, 20)),
        ("on Saturday", SATURDAY, date(2026, 12, 12)),  # the next one, never today
        ("next week", SATURDAY, date(2026, 12, 7)),
        ("next week", WEDNESDAY, date(2026, 11, 23)),
        ("by the end of next week", SATURDAY, date(2026, 12, 11)),
        ("by the end of the week", WEDNESDAY, date(2026, 11, 20)),
        ("by 12 Dec", SATURDAY, date(2026, 12, 12)),
        ("by Dec 14", SATURDAY, date(2026, 12, 14)),
        ("December 3rd", SATURDAY, date(2027, 12, 3)),  # already past this year
        ("on 3 March 2027", SATURDAY, date(2027, 3, 3)),
        ("in two weeks", SATURDAY, date(2026, 12, 19)),
        ("in 3 days", SATURDAY, date(2026, 12, 8)),
        ("in a couple of weeks", SATURDAY, date(2026, 12, 19)),
        ("within a month", SATURDAY, date(2027, 1, 5)),
        ("2026-12-18", SATURDAY, date(2026, 12, 18)),
        ("tomorrow", SATURDAY, date(2026, 12, 6)),
        ("tonight", SATURDAY, SATURDAY),
        ("next month", SATURDAY, date(2027, 1, 1)),
        ("bis Freitag", SATURDAY, date(2026, 12, 11)),
        ("by end of month", SATURDAY, date(2026, 12, 31)),
        ("by the end of the month", WEDNESDAY, date(2026, 11, 30)),
        ("d'ici fin du mois", SATURDAY, date(2026, 12, 31)),
        ("send it by 31/12", SATURDAY, date(2026, 12, 31)),
        ("send it by 12/31", SATURDAY, date(2026, 12, 31)),
        ("on 15/1/2027", SATURDAY, date(2027, 1, 15)),
        ("nächste Woche", SATURDAY, date(2026, 12, 7)),
        ("bis 10. Dezember", SATURDAY, date(2026, 12, 10)),
        ("in zwei Wochen", SATURDAY, date(2026, 12, 19)),
        ("d'ici vendredi", SATURDAY, date(2026, 12, 11)),
        ("la semaine prochaine", SATURDAY, date(2026, 12, 7)),
        ("le 12 décembre", SATURDAY, date(2026, 12, 12)),
        ("dans deux semaines", SATURDAY, date(2026, 12, 19)),
        ("demain", SATURDAY, date(2026, 12, 6)),
    ],
)
def test_phrases(text: str, today: date, expected: date) -> None:
    assert due_date(text, today) == expected


@pytest.mark.parametrize(
    "text", ["send her my portfolio", "the 2026 report", "I may call", "31 Feb", "2026-02-30"]
)
def test_no_date_written(text: str) -> None:
    assert due_date(text, SATURDAY) is None


def test_the_end_of_the_calendar_gives_no_date_rather_than_an_error() -> None:
    from coffeechat.models.debrief.dates import default_due

    assert due_date("in two weeks", date(9999, 12, 30)) is None
    assert default_due(date(9999, 12, 30), 7) == date.max


@pytest.mark.parametrize("text", ["by 3/4", "a 50/50 chance", "offer 24/7 support"])
def test_numeric_dates_that_read_two_ways_or_none_name_no_date(text: str) -> None:
    assert due_date(text, SATURDAY) is None
