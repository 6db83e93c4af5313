"""Read iCalendar text and make every VEVENT's times explicit before expansion.

icalendar leaves a time naive when it cannot resolve its TZID, which downstream code would
read as floating or UTC. Here every time with a TZID is re-anchored on our own resolution of
that TZID (same wall-clock time), floating times get the calendar's or the user's zone, and a
component whose zone nobody knows is skipped with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import x_wr_timezone
from icalendar import Calendar, Component, Event, Timezone
from icalendar.prop import vBroken

from models.calendar.types import Skip
from models.calendar.zones import Zone, ZoneResolver, known_zone

TIME_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
# Errors on these make a component's times untrustworthy; errors elsewhere (a broken X- line,
# a malformed ATTENDEE) do not stop us from knowing when the meeting is.
VITAL_PROPERTIES = frozenset((*TIME_PROPERTIES, "DURATION", "RRULE", "UID"))


class ComponentError(ValueError):
    """A VEVENT that cannot be placed in time; the message is the recorded skip reason."""


@dataclass
class PreparedCalendar:
    """One VCALENDAR with times made explicit, and what had to be left out."""

    calendar: Calendar
    method: str | None
    floating: Zone | None
    components: int = 0
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    zone_names: dict[int, str] = field(default_factory=dict)


def read_calendars(data: bytes | str) -> list[Calendar]:
    """Parse text into VCALENDARs; a bare VEVENT file is wrapped. Raises ValueError on garbage."""
    parsed = Calendar.from_ical(data, multiple=True)
    calendars: list[Calendar] = []
    loose = Calendar()
    for component in parsed:
        if isinstance(component, Calendar):
            calendars.append(component)
        elif component.name in ("VEVENT", "VTIMEZONE"):
            loose.add_component(component)
    if loose.subcomponents:
        calendars.append(loose)
    if not calendars:
        raise ValueError("no VCALENDAR in the data")
    return calendars


def prop(component: Component, name: str) -> Any:
    """Return a property untyped: icalendar types values as a wide union, we check at runtime."""
    return component.get(name)


def _uid_of(component: Component) -> str | None:
    """Return the component's UID as text, or None when absent or broken."""
    uid = component.get("UID")
    if uid is None or isinstance(uid, vBroken):
        return None
    return str(uid).strip() or None


def _anchor(value: Any, tz_name: str | None, resolver: ZoneResolver, floating: Zone | None) -> Any:
    """Return a date/datetime/period with an explicit zone; dates stay dates."""
    if isinstance(value, tuple):
        return tuple(_anchor(part, tz_name, resolver, floating) for part in value)
    if not isinstance(value, datetime):
        return value  # a date (all-day) or a duration inside a period
    if tz_name:
        zone = resolver.resolve(str(tz_name))
        if zone is None:
            raise ComponentError(f"unknown TZID {str(tz_name)!r}")
        return value if value.tzinfo is zone.tz else value.replace(tzinfo=zone.tz)
    if value.tzinfo is not None:
        return value
    if floating is None:
        raise ComponentError("floating time and no usable zone to read it in")
    return value.replace(tzinfo=floating.tz)


def _anchor_property(prop: Any, name: str, resolver: ZoneResolver, floating: Zone | None) -> None:
    """Re-anchor one time property in place (params such as TZID are kept for the record)."""
    if isinstance(prop, vBroken):
        raise ComponentError(f"bad {name}: {prop.parse_error}")
    tz_name = prop.params.get("TZID")
    items = prop.dts if hasattr(prop, "dts") else [prop]
    for item in items:
        item.dt = _anchor(item.dt, tz_name or item.params.get("TZID"), resolver, floating)


def prepare_event(event: Component, resolver: ZoneResolver, floating: Zone | None) -> None:
    """Make one VEVENT's times explicit in place; raise ComponentError with the skip reason."""
    vital = [
        f"{name}: {msg}" for name, msg in getattr(event, "errors", ()) if name in VITAL_PROPERTIES
    ]
    if vital:
        raise ComponentError("broken " + "; ".join(vital))
    if _uid_of(event) is None:
        raise ComponentError("missing UID")
    if "DTSTART" not in event:
        raise ComponentError("missing DTSTART")
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "DURATION"):
        if isinstance(prop(event, name), list):
            raise ComponentError(f"more than one {name}")  # which one is meant is a guess
    for name in TIME_PROPERTIES:
        values = prop(event, name)
        for value in values if isinstance(values, list) else [values] if values is not None else []:
            _anchor_property(value, name, resolver, floating)
    start, end = prop(event, "DTSTART").dt, prop(event, "DTEND")
    if not isinstance(start, date):
        raise ComponentError(f"DTSTART is not a date or time: {start!r}")
    if end is not None and isinstance(end.dt, date) and _is_before(end.dt, start):
        raise ComponentError("DTEND is before DTSTART")


def _is_before(end: date, start: date) -> bool:
    """Compare an end and a start that may mix dates and datetimes."""
    if isinstance(end, datetime) != isinstance(start, datetime):
        return False  # mixed types are left to the expander, which normalises them
    return end < start


def _floating_zone(calendar: Calendar, default: Zone | None, notes: list[str]) -> Zone | None:
    """Pick the zone floating times are read in: X-WR-TIMEZONE if known, else the user's."""
    wr = calendar.get("X-WR-TIMEZONE")
    if wr is None:
        return default
    zone = known_zone(str(wr))
    if zone is None:
        where = default.name if default else "nowhere"
        notes.append(f"unknown X-WR-TIMEZONE {str(wr)!r}: floating times read in {where}")
        return default
    return zone


def prepare_calendar(calendar: Calendar, default: Zone | None) -> PreparedCalendar:
    """Validate and anchor every VEVENT; broken ones are removed and recorded as skips."""
    method = calendar.get("METHOD")
    notes: list[str] = []
    floating = _floating_zone(calendar, default, notes)
    vtimezones = {
        str(tz["TZID"]): tz
        for tz in calendar.walk("VTIMEZONE")
        if isinstance(tz, Timezone) and "TZID" in tz
    }
    resolver = ZoneResolver(vtimezones)
    prepared = PreparedCalendar(calendar, str(method).upper() if method else None, floating)
    prepared.notes.extend(notes)
    _prepare_children(calendar, resolver, prepared)
    if floating is not None and "X-WR-TIMEZONE" in calendar:
        # Google writes some times in UTC meaning the calendar's zone; recurrences must be
        # expanded in that zone or they drift by an hour across DST.
        prepared.calendar = x_wr_timezone.to_standard(calendar, timezone=floating.tz)
    prepared.zone_names = resolver.names()
    return prepared


def _prepare_children(parent: Component, resolver: ZoneResolver, out: PreparedCalendar) -> None:
    """Prepare the VEVENTs directly under parent, dropping the broken ones."""
    kept: list[Component] = []
    for child in parent.subcomponents:
        if not isinstance(child, Event) and child.name != "VEVENT":
            if child.name != "VTIMEZONE":
                _prepare_children(child, resolver, out)  # VEVENTs nested oddly still count
            kept.append(child)
            continue
        out.components += 1
        try:
            prepare_event(child, resolver, out.floating)
        except Exception as err:  # isolate per component: one bad event never sinks the file
            out.skipped.append(Skip(_uid_of(child), _reason(err)))
            continue
        kept.append(child)
    parent.subcomponents[:] = kept


def _reason(err: Exception) -> str:
    """Describe an error for a skip record, without a traceback."""
    if isinstance(err, ComponentError):
        return str(err)
    return f"{type(err).__name__}: {err}"[:300]
