"""Calendar normalisation: iCalendar data in, frozen occurrences in UTC out (pure, no I/O)."""

from coffeechat.models.calendar.inspect import inspect_calendar, oversized_report
from coffeechat.models.calendar.itip import ItipKind, ItipOutcome, apply_itip, itip_kind
from coffeechat.models.calendar.occurrences import parse_calendar
from coffeechat.models.calendar.types import (
    MAX_CALENDAR_BYTES,
    Occurrence,
    ParsedCalendar,
    Skip,
    Window,
    default_window,
)
from coffeechat.models.calendar.versions import Merge, Update, changes, disappeared, is_newer, merge
from coffeechat.models.calendar.video import find_video_link

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
