"""Read iCalendar text and make every VEVENT's times explicit before expansion.

icalendar leaves a time naive when it cannot resolve its TZID, which downstream code would
read as floating or UTC. Here every time with a TZID is re-anchored on our own resolution of
that TZID (same wall-clock time), floating times get the calendar's or the user's zone, and a
component whose zone nobody knows is skipped with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import x_wr_timezone
from icalendar import Calendar, Component, Event
from icalendar.prop import vBroken, vDDDTypes

from coffeechat.models.calendar.budget import rule_defect
from coffeechat.models.calendar.types import Skip
from coffeechat.models.calendar.vtimezone import split_vtimezones
from coffeechat.models.calendar.zones import Zone, ZoneResolver, known_zone

TIME_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
# Errors on these make a component's times untrustworthy; errors elsewhere (a broken X- line,
# a malformed ATTENDEE) do not stop us from knowing when the meeting is.
VITAL_PROPERTIES = frozenset((*TIME_PROPERTIES, "DURATION", "RRULE", "UID"))


# What Google Calendar and Apple Calendar give a new timed event; used when DTEND is nonsense.
DEFAULT_DURATION = timedelta(hours=1)
# VEVENTs nested inside other components are still read, down to this depth (a deeper file
# is hostile: walking it recursively would exhaust the stack).
MAX_DEPTH = 8


class ComponentError(ValueError):
    """A VEVENT that cannot be placed in time; the message is the recorded skip reason."""


class SeriesError(ComponentError):
    """A VEVENT whose whole series (every component with its UID) is left out."""


@dataclass
class ReadCalendars:
    """The VCALENDARs of a file, and its VTIMEZONE blocks kept apart (see vtimezone)."""

    calendars: list[Calendar]
    zones: dict[str, bytes]


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


def read_calendars(data: bytes | str) -> ReadCalendars:
    """Parse text into VCALENDARs; a bare VEVENT file is wrapped. Raises ValueError on garbage."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    rest, zones = split_vtimezones(raw)
    parsed = Calendar.from_ical(rest, multiple=True)
    calendars: list[Calendar] = []
    loose = Calendar()
    for component in parsed:
        if isinstance(component, Calendar):
            calendars.append(_flatten(component))
        elif component.name == "VEVENT":
            loose.add_component(component)
    if loose.subcomponents:
        calendars.append(_flatten(loose))
    if not calendars:
        raise ValueError("no VCALENDAR in the data")
    return ReadCalendars(calendars, zones)


def _flatten(calendar: Calendar) -> Calendar:
    """Keep only VEVENTs, lifted to the top from down to MAX_DEPTH, without subcomponents.

    Everything else under a VCALENDAR (VTODO, VALARM, X- components) is not a meeting, and
    dropping it keeps every later walk of the tree shallow and cheap.
    """
    events: list[Component] = []
    stack = [(child, 1) for child in reversed(calendar.subcomponents)]
    while stack:
        component, depth = stack.pop()
        if component.name == "VEVENT":
            component.subcomponents = []
            events.append(component)
        elif depth < MAX_DEPTH:
            stack.extend((child, depth + 1) for child in reversed(component.subcomponents))
    calendar.subcomponents = events
    return calendar


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
            raise ComponentError(f"TZID {str(tz_name)!r}: {resolver.why(str(tz_name))}")
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


def _check_rules(event: Component) -> None:
    """Raise SeriesError when an RRULE is not a meeting series (see budget.rule_defect)."""
    rules = prop(event, "RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        if isinstance(rule, Mapping) and (defect := rule_defect(rule)) is not None:
            raise SeriesError(defect)


# `DTSTART;TZID=GMT+01:00:20260105T090000`: an unquoted TZID with a colon, split by the parser
# at that colon into TZID "GMT+01" and the value "00:20260105T090000".
_SPLIT_VALUE = re.compile(r"^(\d{2}):(\d{8}(?:T\d{6})?)$")
_SPLIT_TZID = re.compile(r"^(?:UTC|GMT)[+-]\d{1,2}$", re.I)


def _mend_split_tzids(event: Component) -> None:
    """Rejoin fixed-offset TZIDs written unquoted with a colon, as some exporters do."""
    mended: set[str] = set()
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        value = event.get(name)
        if not isinstance(value, vBroken):
            continue
        tzid = str(value.params.get("TZID", ""))
        match = _SPLIT_VALUE.match(str(value))
        if match is None or not _SPLIT_TZID.match(tzid):
            continue
        fixed = vDDDTypes(vDDDTypes.from_ical(match[2]))  # type: ignore[no-untyped-call]
        fixed.params["TZID"] = f"{tzid}:{match[1]}"
        event[name] = fixed
        mended.add(name)
    if mended:
        event.errors = [(n, m) for n, m in getattr(event, "errors", ()) if n not in mended]


def prepare_event(
    event: Component, resolver: ZoneResolver, floating: Zone | None, notes: list[str]
) -> None:
    """Make one VEVENT's times explicit in place; raise ComponentError with the skip reason."""
    _mend_split_tzids(event)
    vital = [
        f"{name}: {msg}" for name, msg in getattr(event, "errors", ()) if name in VITAL_PROPERTIES
    ]
    if vital:
        raise ComponentError("broken " + "; ".join(vital))
    if _uid_of(event) is None:
        raise ComponentError("missing UID")
    if "DTSTART" not in event:
        raise ComponentError("missing DTSTART")
    _check_rules(event)
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
    duration = prop(event, "DURATION")
    backwards = end is not None and isinstance(end.dt, date) and _is_before(end.dt, start)
    if backwards or (duration is not None and _negative(duration)):
        _default_end(event, start)
        notes.append(f"{_uid_of(event)}: ends before it starts; read with the default duration")


def _negative(duration: Any) -> bool:
    """Whether a DURATION value is negative (a broken one is left to the expander)."""
    value = getattr(duration, "dt", None)
    return isinstance(value, timedelta) and value < timedelta(0)


def _default_end(event: Component, start: date) -> None:
    """Replace a backwards end by the default: one day for a date, DEFAULT_DURATION otherwise."""
    for name in ("DTEND", "DURATION"):
        if name in event:
            del event[name]
    length = DEFAULT_DURATION if isinstance(start, datetime) else timedelta(days=1)
    event.add("DTEND", start + length)


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


def prepare_calendar(
    calendar: Calendar, default: Zone | None, vtimezones: Mapping[str, bytes]
) -> PreparedCalendar:
    """Validate and anchor every VEVENT; broken ones are removed and recorded as skips."""
    method = calendar.get("METHOD")
    notes: list[str] = []
    floating = _floating_zone(calendar, default, notes)
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
    """Prepare the VEVENTs (flattened by read_calendars), dropping the broken ones.

    A SeriesError drops every component of that UID: the overrides of a series that is not
    a meeting are not meetings either.
    """
    kept: list[Component] = []
    dropped: set[str | None] = set()
    for child in parent.subcomponents:
        if not isinstance(child, Event) and child.name != "VEVENT":
            continue
        out.components += 1
        try:
            prepare_event(child, resolver, out.floating, out.notes)
        except SeriesError as err:
            out.skipped.append(Skip(_uid_of(child), _reason(err)))
            dropped.add(_uid_of(child))
            continue
        except Exception as err:  # isolate per component: one bad event never sinks the file
            out.skipped.append(Skip(_uid_of(child), _reason(err)))
            continue
        kept.append(child)
    parent.subcomponents[:] = [c for c in kept if _uid_of(c) not in dropped]


def _reason(err: Exception) -> str:
    """Describe an error for a skip record, without a traceback."""
    if isinstance(err, ComponentError):
        return str(err)
    return f"{type(err).__name__}: {err}"[:300]
