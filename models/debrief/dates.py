"""Due dates written in a promise ("by Friday", "next week", "by 12 Dec", "in two weeks",
"2026-12-18", "bis Freitag", "d'ici vendredi"), read relative to a given day (pure).

Rules, so that every phrase has one answer: a weekday is its next occurrence after today (one to
seven days ahead); "next week" is the Monday of next week, "end of next week" its Friday; "end
of the week" this week's Friday (today when it is Friday or later); "next month" the first of
next month; "end of (the) month" this month's last day; "31/12" or "12/31" a day and month
when only one reading is a date (an ambiguous "3/4" names no date); a day and month without a
year is the next such day on or after today; "in N days/weeks/months" counts from today.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4,
    "samstag": 5, "sonntag": 6, "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3,
    "vendredi": 4, "samedi": 5, "dimanche": 6,
}
_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12, "okt": 10, "dez": 12,
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "août": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
}
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "a couple of": 2, "a few": 3, "couple of": 2, "ten": 10,
    "einem": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4, "un": 1, "une": 1, "deux": 2,
    "trois": 3, "quatre": 4,
}
_UNITS = {
    "day": 1, "days": 1, "tag": 1, "tagen": 1, "jour": 1, "jours": 1,
    "week": 7, "weeks": 7, "woche": 7, "wochen": 7, "semaine": 7, "semaines": 7,
}
_MONTH_UNITS = frozenset({"month", "months", "monat", "monaten", "mois"})
_NUM = (
    r"(\d{1,3}|a couple of|couple of|a few|an?|one|two|three|four|five|six|ten"
    r"|einem|einer|zwei|drei|vier|une?|deux|trois|quatre)"
)
_MONTH = r"([a-zäéû]{3,9})\.?"
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?:of\s+)?{_MONTH}(?:\s+(\d{{4}}))?", re.I
)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I)
_IN_N = re.compile(rf"\b(?:in|within|innerhalb von|dans|sous)\s+{_NUM}\s+([a-z]+)\b", re.I)
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b", re.I)
_NAMED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(today|tonight|heute|aujourd'hui|ce soir)\b", re.I), "today"),
    (re.compile(r"\b(tomorrow|morgen|demain)\b", re.I), "tomorrow"),
    (re.compile(r"\b(end of next week|ende nächster woche|fin de la semaine prochaine)\b", re.I),
     "end_of_next_week"),
    (re.compile(r"\b(next week|nächste[rn]? woche|la semaine prochaine)\b", re.I), "next_week"),
    (re.compile(r"\b(end of (?:the |this )?week|this week|eow|diese woche|ende der woche|"
                r"cette semaine|fin de (?:la )?semaine)\b", re.I), "end_of_week"),
    (re.compile(r"\b(end of (?:the |this )?month|eom|ende des monats|monatsende"
                r"|fin (?:du|de|de ce) mois)\b", re.I), "end_of_month"),
    (re.compile(r"\b(next month|nächsten monat|le mois prochain)\b", re.I), "next_month"),
)
_NUMERIC = re.compile(r"(?<![\d/.])(?!24/7\b)(\d{1,2})/(\d{1,2})(?:/(\d{4}))?(?![\d/])")


def _dated(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day_month(day: int, month_word: str, year: str | None, today: date) -> date | None:
    month = _MONTHS.get(month_word.casefold())
    if month is None:
        return None
    if year:
        return _dated(int(year), month, day)
    found = _dated(today.year, month, day)
    if found is not None and found < today:
        found = _dated(today.year + 1, month, day)
    return found


def _named(kind: str, today: date) -> date:
    if kind == "today":
        return today
    if kind == "tomorrow":
        return today + timedelta(days=1)
    if kind == "end_of_next_week":
        return today + timedelta(days=11 - today.weekday())
    if kind == "next_week":
        return today + timedelta(days=7 - today.weekday())
    if kind == "end_of_week":
        return today + timedelta(days=max(0, 4 - today.weekday()))
    first_next = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    if kind == "end_of_month":
        return first_next - timedelta(days=1)
    return first_next


def _numeric(first: int, second: int, year: str | None, today: date) -> date | None:
    """ "31/12" (day first) or "12/31" (month first), only when one reading alone is a date."""
    if first > 12 >= second:
        day, month = first, second
    elif second > 12 >= first:
        day, month = second, first
    else:
        return None  # "3/4": March or April, the user knows, the parser does not guess
    if year:
        return _dated(int(year), month, day)
    found = _dated(today.year, month, day)
    if found is not None and found < today:
        found = _dated(today.year + 1, month, day)
    return found


def _in_n(count: str, unit: str, today: date) -> date | None:
    number = int(count) if count.isdigit() else _NUMBERS.get(count.casefold())
    unit = unit.casefold()
    if number is None:
        return None
    if unit in _UNITS:
        return today + timedelta(days=number * _UNITS[unit])
    if unit in _MONTH_UNITS:
        months = today.month - 1 + number
        return _dated(today.year + months // 12, months % 12 + 1, min(today.day, 28))
    return None


def due_date(text: str, today: date) -> date | None:
    """The first due date written in the text, or None when it names none."""
    try:
        return _first_date(text[:2000], today)
    except (OverflowError, ValueError):  # past date.max: no date rather than no debrief
        return None


def default_due(today: date, days: int) -> date:
    """``today`` plus ``days``, kept inside the calendar."""
    try:
        return today + timedelta(days=days)
    except OverflowError:
        return date.max


def _first_date(text: str, today: date) -> date | None:
    if found := _ISO.search(text):
        return _dated(int(found[1]), int(found[2]), int(found[3]))
    for found in _DAY_MONTH.finditer(text):
        if (day := _day_month(int(found[1]), found[2], found[3], today)) is not None:
            return day
    for found in _MONTH_DAY.finditer(text):
        if (day := _day_month(int(found[2]), found[1], found[3], today)) is not None:
            return day
    for found in _NUMERIC.finditer(text):
        if (day := _numeric(int(found[1]), int(found[2]), found[3], today)) is not None:
            return day
    if (found := _IN_N.search(text)) and (day := _in_n(found[1], found[2], today)):
        return day
    for pattern, kind in _NAMED:
        if pattern.search(text):
            return _named(kind, today)
    if found := _WEEKDAY.search(text):
        ahead = (_WEEKDAYS[found[1].casefold()] - today.weekday()) % 7
        return today + timedelta(days=ahead or 7)
    return None
