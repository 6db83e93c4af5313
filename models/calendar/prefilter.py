"""Leave unparsed the one-off events that lie far outside the window, then bound what is left.

icalendar costs ~25 µs per content line (~0.5 s per MB of ordinary events on a 2-core
machine), so a feed holding years of history would blow a 5 s budget long before its size
cap. Most of a big feed is past one-off meetings, which a cheap scan of the text can tell:
a VEVENT block without RRULE, RDATE, EXRULE, RECURRENCE-ID, DURATION or STATUS:CANCELLED
whose DTSTART is after the window, or whose DTEND (or DTSTART) is before it, can have no
occurrence inside it. Dates are compared with two days of margin, so no time zone can move
an event across. Anything the scan is unsure of is kept: it only ever leaves out work.
iTIP messages (with a METHOD) are small and are read whole.

What remains must cost at most `MAX_LINES` lines, or the calendar is refused with the reason.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from coffeechat.models.calendar.types import Window

# Content lines parsed per calendar: ~2 s of CPU on a loaded 2-core machine.
MAX_LINES = 60_000
# VEVENT blocks scanned per calendar (~5 µs each): a file of tiny events is refused first.
MAX_EVENTS = 150_000
_MARGIN = timedelta(days=2)
_MARKER = re.compile(rb"^(BEGIN|END):VEVENT[ \t]*\r?$", re.M | re.I)
_KEEP = re.compile(
    rb"^(?:RRULE|RDATE|EXRULE|RECURRENCE-ID|DURATION|STATUS[^:\r\n]*:[ \t]*CANCELLED)", re.M | re.I
)
_METHOD = re.compile(rb"^METHOD[;:]", re.M | re.I)
_START = re.compile(rb"^DTSTART[^\r\n]*:(\d{8})(?:T\d{6}Z?)?[ \t]*\r?$", re.M | re.I)
_END = re.compile(rb"^DTEND[^\r\n]*:(\d{8})(?:T\d{6}Z?)?[ \t]*\r?$", re.M | re.I)


class TooBig(ValueError):
    """The calendar would cost more than its budget to read; the message says why."""


def content_lines(data: bytes) -> int:
    """Count content lines (a folded continuation is part of the line before it)."""
    return data.count(b"\n") + 1 - data.count(b"\n ") - data.count(b"\n\t")


def _day(match: re.Match[bytes] | None) -> date | None:
    """Return the date of a DTSTART/DTEND match, None when absent or not a date."""
    if match is None:
        return None
    text = match[1]
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _outside(block: bytes, first: date, last: date) -> bool:
    """Whether a VEVENT block surely has no occurrence between first and last."""
    if _KEEP.search(block):
        return False
    start = _day(_START.search(block))
    if start is None:
        return False
    if start > last:
        return True
    found = _END.search(block)
    end = _day(found) if found is not None else start
    return end is not None and end < first


def earliest_day(data: bytes) -> date | None:
    """Return the earliest DTSTART date of the VEVENTs in the text (None when there is none)."""
    if data.count(b"BEGIN:VEVENT") + data.count(b"begin:vevent") > MAX_EVENTS:
        raise TooBig(f"more than {MAX_EVENTS} events")
    earliest: date | None = None
    begin: int | None = None
    for marker in _MARKER.finditer(data):
        if marker[1].upper() == b"BEGIN":
            begin = marker.end()
        elif begin is not None:
            day = _day(_START.search(data, begin, marker.start()))
            if day is not None and (earliest is None or day < earliest):
                earliest = day
            begin = None
    return earliest


def _shift(day: date, by: timedelta) -> date:
    """Return day + by, clamped to the dates Python can represent."""
    try:
        return day + by
    except OverflowError:
        return date.min if by < timedelta(0) else date.max


def prefilter(data: bytes, window: Window) -> tuple[bytes, int]:
    """Return the text without the one-off VEVENTs far outside window, and how many went.

    Raises TooBig when the calendar holds more events or lines than a calendar may cost.
    """
    if data.count(b"BEGIN:VEVENT") + data.count(b"begin:vevent") > MAX_EVENTS:
        raise TooBig(f"more than {MAX_EVENTS} events")
    if _METHOD.search(data):
        # An iTIP message (invitation, CANCEL) is small, and a CANCEL names its UIDs by the
        # events it holds wherever they lie: read all of it.
        return bounded(data), 0
    first, last = _shift(window.start.date(), -_MARGIN), _shift(window.end.date(), _MARGIN)
    kept: list[bytes] = []
    position, begin, dropped = 0, None, 0
    for marker in _MARKER.finditer(data):
        if marker[1].upper() == b"BEGIN":
            if begin is not None:
                return bounded(data), 0  # nested VEVENTs: too odd to judge, read it all
            begin = marker.start()
        elif begin is not None:
            end = marker.end() + (data[marker.end() : marker.end() + 1] == b"\n")
            if _outside(data[begin:end], first, last):
                kept.append(data[position:begin])
                position, dropped = end, dropped + 1
            begin = None
    if not dropped:
        return bounded(data), 0
    kept.append(data[position:])
    return bounded(b"".join(kept)), dropped


def bounded(data: bytes) -> bytes:
    """Return data when it costs at most MAX_LINES lines to parse; raise TooBig otherwise.

    A list value (RDATE, EXDATE: one line may hold a million dates) costs about a third of a
    line per item, so the unescaped commas count too.
    """
    if data.count(b"BEGIN:VEVENT") + data.count(b"begin:vevent") > MAX_EVENTS:
        raise TooBig(f"more than {MAX_EVENTS} events")
    lines = content_lines(data)
    items = data.count(b",") - data.count(b"\\,")
    if lines + items // 3 > MAX_LINES:
        raise TooBig(
            f"{lines} lines and {items} list items to read near the window, "
            f"more than {MAX_LINES} lines' worth"
        )
    return data
