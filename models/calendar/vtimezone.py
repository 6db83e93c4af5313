"""A file's own VTIMEZONEs, kept apart from its events so one bad zone harms only its users.

icalendar reads every VTIMEZONE while parsing the whole file, so one zone with two TZID lines
or an offset over 24 hours used to make the *whole* calendar unreadable, and a zone with
100,000 transitions cost half a minute. Here the VTIMEZONE blocks are cut out of the text
before the calendar is parsed, and each is parsed (lazily, only when an event names it and no
known zone has that name) and checked against a budget on its own. A bad zone becomes the
skip reason of the events that use it.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Any

from icalendar import Calendar, Timezone
from icalendar.timezone import tzp

# A real VTIMEZONE, even with a century of history, is a few kB with a few dozen observances.
MAX_ZONE_BYTES = 64 * 1024
MAX_OBSERVANCES = 100
# Custom zones built per file: each costs about a millisecond.
MAX_CUSTOM_ZONES = 100
_MARKER = re.compile(rb"^(BEGIN|END):VTIMEZONE[ \t]*\r?$", re.M | re.I)
_TZID = re.compile(rb"^TZID(?:;[^:\r\n]*)?:([^\r\n]*?)[ \t]*\r?$", re.M | re.I)
_OBSERVANCE = re.compile(rb"^BEGIN:(STANDARD|DAYLIGHT)[ \t]*\r?$", re.M | re.I)


def split_vtimezones(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    """Cut the top-level VTIMEZONE blocks out of iCalendar text; return (rest, blocks by TZID).

    The first block naming a TZID wins; a block with several TZID lines is filed under each.
    An unterminated block is left in the text for the parser to refuse.
    """
    kept: list[bytes] = []
    blocks: dict[str, bytes] = {}
    position = 0
    begin: int | None = None
    for marker in _MARKER.finditer(data):
        if marker[1].upper() == b"BEGIN":
            begin = marker.start()
            continue
        if begin is None:
            continue
        end = marker.end() + (data[marker.end() : marker.end() + 1] == b"\n")
        block = data[begin:end]
        kept.append(data[position:begin])
        position, begin = end, None
        for tzid in _TZID.findall(block):
            name = tzid.decode("utf-8", "replace").strip().strip('"')
            blocks.setdefault(name, block)
    if not kept:
        return data, blocks
    kept.append(data[position:])
    return b"".join(kept), blocks


def _check_rule(rule: Any) -> None:
    """Refuse observance rules whose expansion is not a yearly handful of transitions."""
    rules = rule if isinstance(rule, list) else [rule]
    for one in rules:
        freq = one.get("FREQ", [""])
        if str(freq[0] if isinstance(freq, list) else freq).upper() != "YEARLY":
            raise ValueError(f"observance repeats {freq}, not yearly")
        for part, values in one.items():
            if part.startswith("BY") and isinstance(values, list) and len(values) > 4:
                raise ValueError(f"observance rule lists {len(values)} {part} values")


def zone_from_block(block: bytes) -> tzinfo:
    """Build a tzinfo from one VTIMEZONE block within budget; ValueError says why not."""
    if len(block) > MAX_ZONE_BYTES:
        raise ValueError(f"VTIMEZONE of {len(block)} bytes, more than {MAX_ZONE_BYTES}")
    observances = len(_OBSERVANCE.findall(block))
    if not observances:
        raise ValueError("VTIMEZONE without a STANDARD or DAYLIGHT observance")
    if observances > MAX_OBSERVANCES:
        raise ValueError(f"VTIMEZONE with more than {MAX_OBSERVANCES} observances")
    if len(_TZID.findall(block)) > 1:
        raise ValueError("VTIMEZONE with more than one TZID")
    try:
        parsed = Calendar.from_ical(b"BEGIN:VCALENDAR\r\n" + block + b"\r\nEND:VCALENDAR\r\n")
    except Exception as err:
        raise ValueError(f"unreadable VTIMEZONE: {type(err).__name__}: {err}"[:200]) from None
    zones = [c for c in parsed.subcomponents if isinstance(c, Timezone)]
    if len(zones) != 1 or not zones[0].subcomponents:
        raise ValueError("VTIMEZONE without a STANDARD or DAYLIGHT observance")
    zone = zones[0]
    for observance in zone.subcomponents:
        if "RRULE" in observance:
            _check_rule(observance["RRULE"])
    try:
        # lookup_tzid=False: icalendar would otherwise cache custom zones by TZID for the
        # whole process, so two files defining one TZID differently would share the first.
        tz: tzinfo = zone.to_tz(tzp, lookup_tzid=False)
    except Exception as err:
        raise ValueError(f"unusable VTIMEZONE: {type(err).__name__}: {err}"[:200]) from None
    return tz
