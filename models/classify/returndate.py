"""Reading the date an out-of-office sender says they are back, in several languages and formats."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar jänner janvier janv enero "
        "ene januari gennaio gen janeiro stycznia января",
        "february feb februar février fevrier févr "
        "fevr febrero februari febbraio fevereiro lutego февраля",
        "march mar märz maerz mrz mars marzo maart março marco marca марта",
        "april apr avril avr abril aprile kwietnia апреля",
        "may mai mayo maj mei maggio maio maja мая",
        "june jun juni juin junio giugno junho czerwca июня",
        "july jul juli juillet juil julio luglio julho lipca июля",
        "august aug août aout agosto augusti augustus ago sierpnia августа",
        "september sep sept septembre septiembre setiembre settembre setembro września сентября",
        "october oct oktober octobre octubre okt ottobre ott outubro października октября",
        "november nov novembre noviembre novembro listopada ноября",
        "december dec dezember dez décembre decembre "
        "déc diciembre dic dicembre dezembro grudnia декабря",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "monday montag lundi lunes måndag maandag",
        "tuesday dienstag mardi martes tisdag dinsdag",
        "wednesday mittwoch mercredi miércoles miercoles onsdag woensdag",
        "thursday donnerstag jeudi jueves torsdag donderdag",
        "friday freitag vendredi viernes fredag vrijdag",
        "saturday samstag samedi sábado sabado lördag zaterdag",
        "sunday sonntag dimanche domingo söndag zondag",
    )
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _number

# Any word stands in for a month name and is checked against _MONTHS afterwards: a regex
# alternation of every month name in seven languages is several times slower.
_WORD = r"([^\W\d_]{3,10})"
_DAY_FIRST = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|e|º|\.)?\s*(?:de\s+|of\s+)?{_WORD}\b\.?"
    rf"(?:,?\s*(?:de\s+)?(\d{{4}}))?"
)
_MONTH_FIRST = re.compile(rf"\b{_WORD}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b|(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# 12月7日 / 12월 7일 without a year (Japanese, Chinese, Korean)
_CJK_MONTH_DAY = re.compile(r"(?<![\d年년])(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")
_NUMERIC = re.compile(
    r"(?<![\d.])\b(\d{1,2})([./-])(\d{1,2})(?:\2(\d{4}|\d{2}))?\b(?![./-]?\d)"
    r"(?!\s*(?:working |business |calendar )?(?:days?|weeks?|hours?|minutes?)\b)"
)
_WEEKDAY = re.compile(r"\b([^\W\d_]{5,10})\b")
_TOMORROW = re.compile(r"\b(?:tomorrow|morgen|demain|mañana|imorgon)\b", re.IGNORECASE)

# Cues just before a date: "back on", "zurück am", "de retour le" (return) or "until" (absent).
_RETURN_CUE = re.compile(
    r"\b(?:back|return|returning|again|zurück|wieder|ab(?: dem)?|retour|à partir du|a partir del?"
    r"|de vuelta|regreso|regresaré|volveré|tillbaka|åter|från och med|fr\.o\.m\.?|terug"
    r"|weer|vanaf|rientro|in the office on|retorno|volto|de volta|wracam|powrót|вернусь|выйду"
    r"|not (?:return|be back) until)\b"
    r"|戻り|より出社|복귀|返回",
    re.IGNORECASE,
)
_UNTIL_CUE = re.compile(
    r"\b(?:until|till|through|thru|bis(?: zum| einschließlich)?|jusqu'(?:au|à|a)|hasta|t\.o\.m\.?"
    r"|till och med|tot en met|tot|fino al)\b",
    re.IGNORECASE,
)
_CUE_WINDOW = 60


@dataclass(frozen=True)
class _Found:
    start: int
    month: int
    day: int
    year: int | None


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    value = int(raw)
    return value + 2000 if value < 100 else value


def _numeric(match: re.Match[str], english: bool) -> tuple[int, int] | None:
    first, sep, second = int(match.group(1)), match.group(2), int(match.group(3))
    if sep in ".-" or first > 12:
        return second, first  # 05.01.2027 and 25/12 are day-first
    if second > 12:
        return first, second
    # 03/04 is April 3rd in Europe and March 4th in the US: only a non-English text settles it
    return None if english else (second, first)


def _month_first_text(text: str) -> bool | None:
    """True/False when an unambiguous numeric date (11/20/2026, 20/11/2026) settles the order."""
    for m in _NUMERIC.finditer(text):
        first, second = int(m.group(1)), int(m.group(3))
        if m.group(2) == "/" and second > 12 >= first:
            return True
        if first > 12 >= second:
            return False
    return None


def _dates(text: str, english: bool) -> Iterator[_Found]:
    for m in _ISO.finditer(text):
        year, month, day = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.groups()[3:]
        yield _Found(m.start(), int(month), int(day), int(year))
    for m in _DAY_FIRST.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            yield _Found(m.start(), month, int(m.group(1)), _year(m.group(3)))
    for m in _MONTH_FIRST.finditer(text):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            yield _Found(m.start(), month, int(m.group(2)), _year(m.group(3)))
    for m in _CJK_MONTH_DAY.finditer(text):
        yield _Found(m.start(), int(m.group(1)), int(m.group(2)), None)
    iso_spans = [m.span() for m in _ISO.finditer(text)]
    month_first = _month_first_text(text)
    for m in _NUMERIC.finditer(text):
        if any(a <= m.start() < b for a, b in iso_spans):
            continue
        month_day = _numeric(m, english)
        if month_day is None and month_first is not None:
            first, second = int(m.group(1)), int(m.group(3))
            month_day = (first, second) if month_first else (second, first)
        if month_day:
            yield _Found(m.start(), month_day[0], month_day[1], _year(m.group(4)))


def _resolve(found: _Found, today: date | None) -> date | None:
    def make(year: int) -> date | None:
        try:
            return date(year, found.month, found.day)
        except ValueError:
            return None

    if found.year is not None:
        return make(found.year)
    if today is None:
        return None
    # a year-less date is the next one on or after today, allowing for a stale notice (60 days)
    for year in (today.year - 1, today.year, today.year + 1):
        candidate = make(year)
        if candidate and candidate >= today - timedelta(days=60):
            return candidate
    return None


def _cue(text: str, start: int) -> str | None:
    window = text[max(0, start - _CUE_WINDOW) : start]
    ret = [m.end() for m in _RETURN_CUE.finditer(window)]
    until = [m.end() for m in _UNTIL_CUE.finditer(window)]
    if not ret and not until:
        return None
    return "return" if max(ret, default=-1) >= max(until, default=-1) else "until"


def _weekday_return(text: str, today: date | None) -> date | None:
    if today is None:
        return None
    for m in _WEEKDAY.finditer(text):
        weekday = _WEEKDAYS.get(m.group(1).lower())
        cue = _cue(text, m.start()) if weekday is not None else None
        if weekday is not None and cue:
            ahead = (weekday - today.weekday() - 1) % 7 + 1
            return today + timedelta(days=ahead + (1 if cue == "until" else 0))
    if any(_cue(text, m.start()) for m in _TOMORROW.finditer(text)):
        return today + timedelta(days=1)
    return None


def _plausible(found: date, today: date) -> bool:
    # stale notices (60 days back) and far-off dates (a year out) are not return dates
    return today - timedelta(days=60) <= found <= today + timedelta(days=400)


def extract_return_date(text: str, today: date | None = None) -> date | None:
    """The date the writer is back: a date after a return cue, else the day after an 'until'."""
    text = text[:4000]
    english = bool(re.search(r"\b(?:the|will|office|back|until)\b", text, re.IGNORECASE))
    candidates: list[tuple[int, str | None, date]] = []
    for found in _dates(text, english) if any(c.isdigit() for c in text) else ():
        resolved = _resolve(found, today)
        if resolved is None:
            continue
        if today is not None and not _plausible(resolved, today):
            continue
        candidates.append((found.start, _cue(text, found.start), resolved))
    candidates.sort()
    returns = [d for _, cue, d in candidates if cue == "return"]
    if returns:
        return returns[0]
    untils = [d for _, cue, d in candidates if cue == "until"]
    if untils:
        return untils[-1] + timedelta(days=1)
    if candidates:
        return max(d for _, _, d in candidates)
    return _weekday_return(text, today)
