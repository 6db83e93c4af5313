"""Small iCalendar texts for the source tests (sources never parse them: bytes in, bytes out)."""

from __future__ import annotations

from datetime import UTC, datetime

from coffeechat.integrations.calendar import Window

# Fixed dates: nothing here depends on today's clock.
WINDOW = Window(datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 4, 1, tzinfo=UTC))


def vevent(uid: str, start: str, end: str, summary: str = "Coffee", extra: str = "") -> str:
    """Return one VEVENT block (times in UTC basic format, e.g. 20300310T150000Z)."""
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\n"
        "DTSTAMP:20300101T000000Z\r\n"
        f"DTSTART:{start}\r\n"
        f"DTEND:{end}\r\n"
        f"SUMMARY:{summary}\r\n"
        f"{extra}"
        "END:VEVENT\r\n"
    )


def vcalendar(*events: str) -> str:
    """Wrap VEVENT blocks in a VCALENDAR."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//coffeechat//tests//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )
