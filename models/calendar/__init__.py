"""Calendar normalisation: iCalendar data in, frozen occurrences in UTC out (pure, no I/O)."""

from models.calendar.inspect import inspect_calendar, oversized_report
from models.calendar.itip import ItipKind, ItipOutcome, apply_itip, itip_kind
from models.calendar.occurrences import parse_calendar
from models.calendar.types import (
    MAX_CALENDAR_BYTES,
    Occurrence,
    ParsedCalendar,
    Skip,
    Window,
    default_window,
)
from models.calendar.versions import Merge, Update, changes, disappeared, is_newer, merge
from models.calendar.video import find_video_link

__all__ = [
    "MAX_CALENDAR_BYTES",
    "ItipKind",
    "ItipOutcome",
    "Merge",
    "Occurrence",
    "ParsedCalendar",
    "Skip",
    "Update",
    "Window",
    "apply_itip",
    "changes",
    "default_window",
    "disappeared",
    "find_video_link",
    "inspect_calendar",
    "is_newer",
    "itip_kind",
    "merge",
    "oversized_report",
    "parse_calendar",
]
