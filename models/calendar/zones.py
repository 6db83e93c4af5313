"""Resolve the time zone names found in calendars (IANA, Windows, Outlook labels, VTIMEZONE).

Lookup order for a TZID: IANA name, Windows name, Outlook display label, a "globally unique"
`/vendor/Area/City` id, and last the file's own VTIMEZONE. Known names win over a file's
VTIMEZONE because Outlook's VTIMEZONEs carry only this year's rules. Nothing here falls back
to UTC: an unknown name resolves to None and the caller records why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from coffeechat.models.calendar.vtimezone import MAX_CUSTOM_ZONES, zone_from_block


@dataclass(frozen=True)
class Zone:
    """A resolved zone: the tzinfo to use and the name recorded with each occurrence."""

    tz: tzinfo
    name: str


# Outlook labels that name no city an IANA id ends with; the rest are found by city below.
_OUTLOOK_LABELS = {
    "coordinated universal time": "UTC",
    "utc": "UTC",
    "eastern time (us & canada)": "America/New_York",
    "central time (us & canada)": "America/Chicago",
    "mountain time (us & canada)": "America/Denver",
    "pacific time (us & canada)": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "arizona": "America/Phoenix",
    "atlantic time (canada)": "America/Halifax",
    "newfoundland": "America/St_Johns",
    "saskatchewan": "America/Regina",
    "indiana (east)": "America/Indiana/Indianapolis",
    "brasilia": "America/Sao_Paulo",
    "city of buenos aires": "America/Argentina/Buenos_Aires",
    "greenwich mean time : dublin, edinburgh, lisbon, london": "Europe/London",
    "dublin, edinburgh, lisbon, london": "Europe/London",
    "beijing, chongqing, hong kong, urumqi": "Asia/Shanghai",
    "osaka, sapporo, tokyo": "Asia/Tokyo",
    "chennai, kolkata, mumbai, new delhi": "Asia/Kolkata",
}
_LABEL = re.compile(r"^\((?:UTC|GMT)(?P<offset>[+-]\d{1,2}:\d{2})?\)\s*(?P<label>.+)$", re.I)
# "UTC+01", "GMT+01:00", "UTC-5", "UTC+0530": a fixed offset, as Outlook and some exporters write.
_FIXED = re.compile(r"^(?:UTC|GMT)\s*(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$", re.I)
# Reference instants to check a city guess against the label's (standard-time) offset.
_PROBES = (datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12))


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    """Return the IANA ids this machine knows (read once: the scan costs milliseconds)."""
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _by_city() -> dict[str, str]:
    """Map a lower-cased city ("buenos aires") to the shortest IANA id ending with it."""
    cities: dict[str, str] = {}
    for name in sorted(_iana_names(), key=len, reverse=True):
        if "/" in name:
            cities[name.rsplit("/", 1)[1].replace("_", " ").lower()] = name
    return cities


@lru_cache(maxsize=1024)
def iana_zone(name: str) -> Zone | None:
    """Return the IANA zone with exactly this id, or None."""
    if name not in _iana_names():
        return None
    return Zone(ZoneInfo(name), name)


def _parse_offset(text: str | None) -> timedelta | None:
    """Turn "+05:30" into a timedelta; None when absent."""
    if not text:
        return None
    sign = -1 if text[0] == "-" else 1
    hours, minutes = text[1:].split(":")
    return sign * timedelta(hours=int(hours), minutes=int(minutes))


def fixed_zone(text: str) -> Zone | None:
    """Resolve a fixed-offset TZID ("UTC+01", "GMT+01:00", "UTC-5"), or None."""
    match = _FIXED.match(text.strip())
    if match is None:
        return None
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    if hours > 14 or minutes > 59:  # no place on Earth is further than UTC+14
        return None
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if match["sign"] == "-" else 1)
    return _fixed(offset)


def _fixed(offset: timedelta) -> Zone:
    """Return the zone of a fixed offset, named "UTC+hh:mm" (plain "UTC" for zero)."""
    if not offset:
        return Zone(ZoneInfo("UTC"), "UTC")
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    name = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return Zone(timezone(offset, name), name)


def _offset_matches(zone: Zone, offset: timedelta | None) -> bool:
    """Whether the zone has the label's offset at some point of the year (either season)."""
    if offset is None:
        return True
    return any(zone.tz.utcoffset(probe) == offset for probe in _PROBES)


@lru_cache(maxsize=1024)
def outlook_label_zone(tzid: str) -> Zone | None:
    """Resolve an Outlook display label like "(UTC+01:00) Amsterdam, Berlin, Bern, ..."."""
    match = _LABEL.match(tzid.strip())
    if match is None:
        return None
    label = match["label"].strip().lower()
    offset = _parse_offset(match["offset"])
    known = _OUTLOOK_LABELS.get(label)
    candidates: list[str | None] = [known]
    # Most labels list cities; an IANA id ending in one of them is the zone, if offsets agree.
    candidates += [_by_city().get(city.strip()) for city in label.split(",")]
    for candidate in candidates:
        zone = iana_zone(candidate) if candidate else None
        if zone is not None and _offset_matches(zone, offset):
            return Zone(zone.tz, zone.name)
    # A label naming no city we know still says its offset: better than skipping the meeting.
    return _fixed(offset) if offset is not None else None


@lru_cache(maxsize=1024)
def known_zone(tzid: str) -> Zone | None:
    """Resolve a TZID that names a zone without needing the file's VTIMEZONE."""
    cleaned = tzid.strip().strip('"').strip("/")
    zone = iana_zone(cleaned)
    if zone is None and cleaned in WINDOWS_TO_OLSON:
        zone = iana_zone(WINDOWS_TO_OLSON[cleaned])
    if zone is None:
        zone = outlook_label_zone(cleaned)
    if zone is None:
        zone = fixed_zone(cleaned)
    if zone is None and tzid.startswith("/"):
        # "/freeassociation.sourceforge.net/Europe/Berlin": try the longest Area/City tail.
        parts = cleaned.split("/")
        tails = ("/".join(parts[i:]) for i in range(1, len(parts)))
        zone = next((z for z in map(iana_zone, tails) if z is not None), None)
    return zone


class ZoneResolver:
    """Resolves TZIDs for one file, remembering answers; custom VTIMEZONEs come from the file."""

    def __init__(self, vtimezones: Mapping[str, bytes]) -> None:
        """Take the file's VTIMEZONE blocks (raw text) keyed by TZID."""
        self._vtimezones = vtimezones
        self._cache: dict[str, Zone | None] = {}
        self._why: dict[str, str] = {}
        self._built = 0

    def resolve(self, tzid: str) -> Zone | None:
        """Return the zone a TZID means in this file, or None when nothing knows it."""
        if tzid in self._cache:
            return self._cache[tzid]
        zone = known_zone(tzid)
        if zone is None and tzid in self._vtimezones:
            zone = self._custom(tzid)
        self._cache[tzid] = zone
        return zone

    def _custom(self, tzid: str) -> Zone | None:
        """Build the file's own zone for tzid, within the per-file budget."""
        if self._built >= MAX_CUSTOM_ZONES:
            self._why[tzid] = f"more than {MAX_CUSTOM_ZONES} custom VTIMEZONEs in the file"
            return None
        self._built += 1
        try:
            return Zone(zone_from_block(self._vtimezones[tzid]), tzid)
        except ValueError as err:
            self._why[tzid] = str(err)
            return None

    def why(self, tzid: str) -> str:
        """Say why a TZID did not resolve."""
        return self._why.get(tzid, "unknown TZID")

    def names(self) -> dict[int, str]:
        """Map id(tzinfo) to the name recorded for it, for zones resolved so far."""
        return {id(zone.tz): zone.name for zone in self._cache.values() if zone is not None}
