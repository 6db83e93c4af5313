"""IcsFileSource on real files: stat first, content digest second."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from coffeechat.integrations.calendar import (
    IcsFileSource,
    SourceGarbage,
    SourceNotFound,
    SourceState,
    Window,
)
from tests.integration.calendar.ics import WINDOW, vcalendar, vevent

ONE = vcalendar(vevent("one@x", "20300310T150000Z", "20300310T160000Z", "Coffee AAA"))
SAME_SIZE = ONE.replace("Coffee AAA", "Coffee BBB")
LONGER = ONE.replace("Coffee AAA", "Coffee with a longer title")
AN_HOUR_AGO_NS = 3600 * 10**9


def write(path: Path, text: str, age_ns: int = AN_HOUR_AGO_NS) -> None:
    """Write in place (same inode) and date the file `age_ns` in the past."""
    with path.open("r+" if path.exists() else "w", newline="") as handle:
        handle.seek(0)
        handle.write(text)
        handle.truncate()
    stamp = path.stat().st_mtime_ns - age_ns
    os.utime(path, ns=(stamp, stamp))


def test_first_read_then_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    write(path, ONE)
    source = IcsFileSource("export", path)

    first = source.fetch(SourceState(), WINDOW)
    again = source.fetch(first.state, WINDOW)

    assert first.changed and first.data == (ONE.encode(),)
    assert first.state.etag is not None and first.state.digest is not None
    assert (again.changed, again.data, again.state) == (False, (), first.state)


def test_a_quiet_file_is_judged_by_stat_alone(tmp_path: Path) -> None:
    # Proof that the unchanged path reads nothing: different bytes behind an identical stat
    # go unnoticed. (An editor saves with a new mtime, so this only shows the shortcut.)
    path = tmp_path / "cal.ics"
    write(path, ONE)
    source = IcsFileSource("export", path)
    first = source.fetch(SourceState(), WINDOW)
    mtime = path.stat().st_mtime_ns
    write(path, SAME_SIZE, age_ns=0)
    os.utime(path, ns=(mtime, mtime))

    assert not source.fetch(first.state, WINDOW).changed


def test_changed_content_is_returned(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    write(path, ONE)
    source = IcsFileSource("export", path)
    first = source.fetch(SourceState(), WINDOW)
    write(path, LONGER, age_ns=AN_HOUR_AGO_NS // 2)

    second = source.fetch(first.state, WINDOW)

    assert second.changed and second.data == (LONGER.encode(),)


def test_touched_but_same_content_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    write(path, ONE)
    source = IcsFileSource("export", path)
    first = source.fetch(SourceState(), WINDOW)
    write(path, ONE, age_ns=AN_HOUR_AGO_NS // 2)

    second = source.fetch(first.state, WINDOW)

    assert (second.changed, second.data) == (False, ())
    assert second.state.etag != first.state.etag  # new stat remembered, so next time is cheap


def test_a_file_written_just_now_is_rehashed_next_time(tmp_path: Path) -> None:
    # mtime has a coarse tick: a second same-size write within it would fool stat.
    path = tmp_path / "cal.ics"
    write(path, ONE, age_ns=0)
    source = IcsFileSource("export", path)

    first = source.fetch(SourceState(), WINDOW)
    mtime = path.stat().st_mtime_ns
    write(path, SAME_SIZE, age_ns=0)
    os.utime(path, ns=(mtime, mtime))
    second = source.fetch(first.state, WINDOW)

    assert first.state.etag is None
    assert second.changed and second.data == (SAME_SIZE.encode(),)


def test_missing_file_and_directory_are_not_found(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFound):
        IcsFileSource("export", tmp_path / "missing.ics").fetch(SourceState(), WINDOW)
    with pytest.raises(SourceNotFound):
        IcsFileSource("export", tmp_path).fetch(SourceState(), WINDOW)


def test_not_icalendar_is_garbage(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    path.write_bytes(b"\x89PNG\r\n\x1a\n not a calendar")
    with pytest.raises(SourceGarbage) as caught:
        IcsFileSource("export", path).fetch(SourceState(), WINDOW)
    assert not caught.value.transient


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    write(path, ONE)
    with pytest.raises(SourceGarbage, match="larger than"):
        IcsFileSource("export", path, max_bytes=len(ONE) - 1).fetch(SourceState(), WINDOW)


def test_a_window_in_a_new_day_rereads_once(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    write(path, ONE)
    source = IcsFileSource("export", path)
    first = source.fetch(SourceState(), WINDOW)
    tomorrow = Window(WINDOW.start + timedelta(days=1), WINDOW.end + timedelta(days=1))

    moved = source.fetch(first.state, tomorrow)

    assert moved.changed and moved.data == (ONE.encode(),)
    assert not source.fetch(moved.state, tomorrow).changed
