"""Expand a calendar into occurrences inside a window, isolating errors per series.

`parse_calendar` is the entry point. The expansion itself is recurring_ical_events'; what this
module adds is the bookkeeping: one broken series or occurrence becomes a recorded skip
instead of an exception, and each occurrence is flattened into a frozen `Occurrence` in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component
from recurring_ical_events import CalendarQuery, ComponentsWithName, EventAdapter
from recurring_ical_events import Occurrence as LibOccurrence
from recurring_ical_events.series import Series

from coffeechat.models.calendar.budget import (
    CALENDAR_STEPS,
    SERIES_OCCURRENCES,
    SERIES_STEPS,
    Budget,
    OverBudget,
    budgeted,
)
from coffeechat.models.calendar.prefilter import TooBig, prefilter
from coffeechat.models.calendar.prepare import (
    PreparedCalendar,
    ReadCalendars,
    prepare_calendar,
    prop,
    read_calendars,
)
from coffeechat.models.calendar.types import (
    MAX_CALENDAR_BYTES,
    STATUSES,
    Occurrence,
    ParsedCalendar,
    Skip,
    Window,
)
from coffeechat.models.calendar.video import LINK_PROPERTIES, find_video_link
from coffeechat.models.calendar.zones import Zone, known_zone


class _SourceAdapter(EventAdapter):  # type: ignore[misc]
    """EventAdapter that exposes the VEVENT it wraps, so we read it without copying it."""

    @property
    def source(self) -> Component:
        """Return the wrapped VEVENT."""
        return self._component  # type: ignore[no-any-return]


class _SourceOccurrence(LibOccurrence):  # type: ignore[misc]
    """Occurrence that keeps its adapter, so we can read the VEVENT behind it."""

    def __init__(self, adapter: _SourceAdapter, start: Any = None, end: Any = None) -> None:
        """Remember the adapter; the library sets start and end."""
        super().__init__(adapter, start, end)
        self.source: Component = adapter.source


class _BudgetSeries(Series):  # type: ignore[misc]
    """A series whose rrules charge one shared Budget and stop at a horizon year."""

    class RecurrenceRules(Series.RecurrenceRules):  # type: ignore[misc]
        """Builds budgeted rrules; `limit` arms them for one expansion."""

        def rrulestr(self, rule_string: str) -> Any:
            """Build the rule as the library does, then put it on a budget."""
            rule = super().rrulestr(rule_string)
            return budgeted(rule, Budget(SERIES_STEPS))

        def limit(self, budget: Budget, horizon: int) -> None:
            """Make every rule of this series charge `budget` and stop after `horizon`."""
            for rule in self.rrules[1:]:  # the first is the library's ruleset of RDATEs
                rule.coffeechat_budget = budget
                rule.coffeechat_horizon = horizon


_SELECT = ComponentsWithName(
    "VEVENT", adapter=_SourceAdapter, series=_BudgetSeries, occurrence=_SourceOccurrence
)


@dataclass(frozen=True)
class _Static:
    """What every occurrence of one VEVENT shares, computed once per VEVENT."""

    uid: str
    recurring: bool
    own_rid: str | None
    this_and_future: bool
    status: str
    summary: str
    description: str
    location: str
    video_link: str | None
    organizer: str | None
    attendees: tuple[str, ...]
    sequence: int
    dtstamp: datetime | None
    last_modified: datetime | None


def _text(component: Component, name: str) -> str:
    """Return a text property as str ('' when absent); repeated properties are joined."""
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _address(value: Any) -> str:
    """Return the lower-cased address of a CAL-ADDRESS without its mailto: scheme."""
    text = str(value).strip()
    return (text[7:] if text.lower().startswith("mailto:") else text).strip().lower()


def _stamp(component: Component, name: str) -> datetime | None:
    """Return DTSTAMP or LAST-MODIFIED in UTC; RFC 5545 requires these to be UTC already."""
    try:
        value = prop(component, name).dt if name in component else None
    except Exception:  # a broken stamp only weakens version ordering; it is not fatal
        return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sequence(component: Component) -> int:
    """Return SEQUENCE as an int, 0 when absent or garbled."""
    try:
        return int(component.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _static(component: Component, method: str | None) -> _Static:
    """Read the shared, per-VEVENT part of an occurrence."""
    rid = prop(component, "RECURRENCE-ID")
    status = _text(component, "STATUS").strip().upper()
    attendees = component.get("ATTENDEE", [])
    links = (_text(component, name) for name in LINK_PROPERTIES if name in component)
    return _Static(
        uid=_text(component, "UID").strip(),
        recurring=rid is not None or "RRULE" in component or "RDATE" in component,
        own_rid=_rid(rid.dt) if rid is not None else None,
        this_and_future=rid is not None
        and str(rid.params.get("RANGE", "")).upper() == "THISANDFUTURE",
        status="CANCELLED" if method == "CANCEL" else status if status in STATUSES else "CONFIRMED",
        summary=_text(component, "SUMMARY"),
        description=_text(component, "DESCRIPTION"),
        location=_text(component, "LOCATION"),
        video_link=find_video_link(links),
        organizer=_address(component["ORGANIZER"]) if "ORGANIZER" in component else None,
        attendees=tuple(
            _address(a) for a in (attendees if isinstance(attendees, list) else [attendees])
        ),
        sequence=_sequence(component),
        dtstamp=_stamp(component, "DTSTAMP"),
        last_modified=_stamp(component, "LAST-MODIFIED"),
    )


def _rid(value: date) -> str:
    """Normalise a RECURRENCE-ID: UTC ISO for times, plain ISO date for all-day."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


class _Builder:
    """Turns library occurrences into our frozen Occurrences for one prepared calendar."""

    def __init__(self, prepared: PreparedCalendar) -> None:
        """Keep the per-calendar context: method, floating zone, names of custom zones."""
        self._method = prepared.method
        self._floating: Zone | None = prepared.floating
        self._names = dict(prepared.zone_names)
        if self._floating is not None:
            self._names[id(self._floating.tz)] = self._floating.name
        self._static: dict[int, _Static] = {}

    def _zone_name(self, tz: tzinfo | None) -> str | None:
        """Name the zone a time was read in (IANA id, or a custom VTIMEZONE's TZID)."""
        if isinstance(tz, ZoneInfo):
            return tz.key
        if tz is UTC:
            return "UTC"
        return self._names.get(id(tz))

    def _utc(self, value: date) -> datetime:
        """Return an aware UTC datetime; an all-day date starts at midnight in the floating zone."""
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        if self._floating is None:
            raise ValueError("all-day date and no usable zone to place it in")
        return datetime.combine(value, time(), tzinfo=self._floating.tz).astimezone(UTC)

    def build(self, occ: _SourceOccurrence) -> Occurrence:
        """Flatten one library occurrence."""
        source = occ.source
        static = self._static.get(id(source))
        if static is None:
            static = self._static[id(source)] = _static(source, self._method)
        start, end = occ.start, occ.end
        all_day = not isinstance(start, datetime)
        rid = None
        if static.recurring:
            moved_on = static.this_and_future and start != prop(source, "DTSTART").dt
            rid = static.own_rid if static.own_rid and not moved_on else _rid(start)
        zone = self._floating.name if all_day and self._floating else self._zone_name(start.tzinfo)
        return Occurrence(
            uid=static.uid,
            recurrence_id=rid,
            start=self._utc(start),
            end=self._utc(end),
            timezone=zone,
            all_day=all_day,
            start_date=None if isinstance(start, datetime) else start,
            end_date=None if isinstance(end, datetime) else end,
            status=static.status,
            summary=static.summary,
            description=static.description,
            location=static.location,
            video_link=static.video_link,
            organizer=static.organizer,
            attendees=static.attendees,
            sequence=static.sequence,
            dtstamp=static.dtstamp,
            last_modified=static.last_modified,
        )


def _series(prepared: PreparedCalendar, skipped: list[Skip]) -> list[Any]:
    """Group VEVENTs into series; if the whole calendar fails, retry one UID at a time."""
    try:
        return list(CalendarQuery(prepared.calendar, components=[_SELECT]).series)
    except Exception:  # noqa: S110 - isolate below, per UID, and record each failure there
        pass
    by_uid: dict[str, list[Component]] = {}
    for event in prepared.calendar.walk("VEVENT"):
        by_uid.setdefault(_text(event, "UID").strip(), []).append(event)
    found: list[Any] = []
    for uid, events in by_uid.items():
        single = Calendar()
        for event in events:
            single.add_component(event)
        try:
            found.extend(CalendarQuery(single, components=[_SELECT]).series)
        except Exception as err:
            skipped.append(Skip(uid, f"series not expandable: {type(err).__name__}: {err}"[:300]))
    return found


def _bounded(series: Any, window: Window, budget: Budget) -> list[Any]:
    """Expand one series inside the window within its budget; raise OverBudget beyond it."""
    recurrence = series.recurrence
    if isinstance(recurrence, _BudgetSeries.RecurrenceRules):
        # Nothing after the year following the window's end can fall inside it.
        recurrence.limit(budget, window.end.year + 1)
    found: list[Any] = []
    for occ in series.between(window.start, window.end):
        budget.spend()
        found.append(occ)
        if len(found) > SERIES_OCCURRENCES:
            raise OverBudget(f"more than {SERIES_OCCURRENCES} occurrences in the window")
    return found


def expand(prepared: PreparedCalendar, window: Window, skipped: list[Skip]) -> list[Occurrence]:
    """Return the occurrences of a prepared calendar inside the window, each series on a budget."""
    builder = _Builder(prepared)
    result: list[Occurrence] = []
    left = CALENDAR_STEPS
    for series in _series(prepared, skipped):
        if left <= 0:
            skipped.append(
                Skip(str(series.uid), "not expanded: calendar over its expansion budget")
            )
            continue
        budget = Budget(min(SERIES_STEPS, left))
        try:
            found = _bounded(series, window, budget)
        except OverBudget as err:
            skipped.append(Skip(str(series.uid), f"series not expanded: {err}"))
            continue
        except Exception as err:  # one broken series never hides the others
            skipped.append(Skip(str(series.uid), f"series not expandable: {_why(err)}"))
            continue
        finally:
            left -= budget.spent
        for occ in found:
            try:
                result.append(builder.build(occ))
            except Exception as err:
                skipped.append(Skip(str(occ.uid), f"occurrence unreadable: {_why(err)}"))
    return result


def _why(err: Exception) -> str:
    """Short reason text for an exception."""
    return f"{type(err).__name__}: {err}"[:300]


def cancelled_series(calendar: Calendar, method: str | None) -> Iterator[str]:
    """Yield UIDs cancelled as a whole: CANCEL or STATUS:CANCELLED without RECURRENCE-ID."""
    for event in calendar.walk("VEVENT"):
        if "RECURRENCE-ID" in event:
            continue
        if method == "CANCEL" or _text(event, "STATUS").strip().upper() == "CANCELLED":
            yield _text(event, "UID").strip()


def parse_calendar(data: bytes | str, window: Window, *, default_tz: str = "UTC") -> ParsedCalendar:
    """Normalise iCalendar data into occurrences inside window; never raises on bad data."""
    default = known_zone(default_tz)
    skipped: list[Skip] = []
    if default is None:
        skipped.append(Skip(None, f"unknown user zone {default_tz!r}: floating times skipped"))
    if len(data) > MAX_CALENDAR_BYTES:
        # Checked before parsing: parsing costs ~0.5 s and ~40 MB per MB of text.
        skipped.append(Skip(None, f"calendar of {len(data)} bytes, over {MAX_CALENDAR_BYTES}"))
        return ParsedCalendar(None, 0, (), tuple(skipped), frozenset(), window, readable=False)
    try:
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        text, dropped = prefilter(raw, window)
        calendars = read_calendars(text)
    except TooBig as err:
        skipped.append(Skip(None, f"calendar too big to read: {err}"))
        return ParsedCalendar(None, 0, (), tuple(skipped), frozenset(), window, readable=False)
    except Exception as err:
        skipped.append(Skip(None, f"unreadable calendar: {_why(err)}"))
        return ParsedCalendar(None, 0, (), tuple(skipped), frozenset(), window, readable=False)
    parsed = normalise_calendars(calendars, window, default, skipped)
    if not dropped:
        return parsed
    note = f"{dropped} one-off events far outside the window were not read"
    return replace(parsed, components=parsed.components + dropped, notes=(*parsed.notes, note))


def normalise_calendars(
    read: ReadCalendars, window: Window, default: Zone | None, skipped: list[Skip]
) -> ParsedCalendar:
    """Prepare and expand already-read VCALENDARs, each isolated from the others."""
    methods: list[str] = []
    occurrences: list[Occurrence] = []
    cancelled: set[str] = set()
    notes: list[str] = []
    count = 0
    for calendar in read.calendars:
        try:
            if str(calendar.get("CALSCALE", "GREGORIAN")).upper() != "GREGORIAN":
                raise ValueError(f"unsupported CALSCALE {calendar['CALSCALE']}")
            prepared = prepare_calendar(calendar, default, read.zones)
        except Exception as err:
            skipped.append(Skip(None, f"calendar skipped: {_why(err)}"))
            continue
        count += prepared.components
        skipped.extend(prepared.skipped)
        notes.extend(prepared.notes)
        methods += [prepared.method] if prepared.method else []
        occurrences.extend(expand(prepared, window, skipped))
        cancelled.update(cancelled_series(prepared.calendar, prepared.method))
    occurrences.sort(key=lambda o: (o.start, o.uid, o.recurrence_id or ""))
    return ParsedCalendar(
        method=methods[0] if methods else None,
        components=count,
        occurrences=tuple(occurrences),
        skipped=tuple(skipped),
        cancelled_uids=frozenset(cancelled),
        window=window,
        notes=tuple(notes),
    )
