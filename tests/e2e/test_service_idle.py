"""An idle ``coffeechat run`` makes no flow runs and writes nothing but its calendar cursor.

The real CLI with its own Prefect server, Dovecot, aiosmtpd and a Radicale calendar, with a
2-second cycle (safety net and calendar poll), so the old service would have made ten flow
runs in the measured 20 s. Then the work that arrives is still done at once, as a flow run:
a meeting booked inside the prep lead time gets its sheet, a reply cancels the nudge.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import load_settings
from coffeechat.models.store.tables import Base, PrepSheet, SyncCursor
from tests.e2e.test_service import (
    Running,
    api_post,
    nudge_status,
    reply,
    seed_requested_with_pending_nudge,
    wait_for,
    write_config,
)
from tests.testbed import Calendar, SmtpServer
from tests.testbed import Mailbox as BedMailbox

ALL_CYCLES = {"flows": {"name": {"any_": ["coffeechat-cycle"]}}}


@pytest.fixture
def idle_env(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, calendar: Calendar
) -> Iterator[tuple[Path, dict[str, str], App]]:
    config = write_config(tmp_path, mailbox, smtp)
    with config.open("a") as out:
        out.write(
            f'[[calendars]]\nname = "work"\nkind = "caldav"\nurl = "{calendar.url}"\n'
            f'username = "{calendar.username}"\npassword = "env:SVC_CAL_PW"\n'
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COFFEECHAT_"))}
    env |= {"SVC_IMAP_PW": mailbox.password, "SVC_SMTP_PW": smtp.password}
    env["SVC_CAL_PW"] = calendar.password
    os.environ["SVC_IMAP_PW"] = mailbox.password  # for build_app's account row here
    try:
        yield config, env, build_app(load_settings(config))
    finally:
        os.environ.pop("SVC_IMAP_PW", None)


def snapshot(app: App) -> dict[str, list[Any]]:
    """Every row of every table but the cursors (which polls may touch)."""
    with app.factory() as s:
        return {
            t.name: [tuple(r) for r in s.execute(select(t).order_by(*t.primary_key.columns))]
            for t in Base.metadata.sorted_tables
            if t.name != "sync_cursor"
        }


def cursors(app: App) -> dict[tuple[str, str], tuple[Any, ...]]:
    with app.factory() as s:
        return {
            (c.source_kind, c.source): (c.last_attempt_at, c.last_uid, c.seen_count)
            for c in s.scalars(select(SyncCursor))
        }


def flow_runs(api: str) -> int:
    return int(api_post(api, "flow_runs/count", ALL_CYCLES))


def meeting_ics(start: datetime) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:idle-meeting-1\r\nDTSTAMP:{datetime.now(UTC):{fmt}}\r\n"
        f"DTSTART:{start:{fmt}}\r\nDTEND:{start + timedelta(minutes=30):{fmt}}\r\n"
        "SUMMARY:Coffee with Ada\r\nORGANIZER:mailto:sam@example.net\r\n"
        "ATTENDEE:mailto:ada@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def settled(api: str, quiet: float, timeout: float) -> None:
    """Wait until no new cycle flow run appeared for ``quiet`` seconds."""
    end = time.monotonic() + timeout
    count, since = flow_runs(api), time.monotonic()
    while time.monotonic() < end:
        time.sleep(1.0)
        now = flow_runs(api)
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
    raise AssertionError(f"still making flow runs after {timeout} s")


@pytest.mark.slow
def test_idle_service_makes_no_flow_runs_and_no_writes_then_wakes_for_work(
    idle_env: tuple[Path, dict[str, str], App], mailbox: BedMailbox, calendar: Calendar
) -> None:
    config, env, app = idle_env
    seed_requested_with_pending_nudge(app, datetime.now(UTC))  # due tomorrow: not now
    running = Running(config, env, "--cycle-seconds", "2")
    try:
        wait_for(lambda: "coffeechat running" in running.output(), 120, "server + service start")
        api = running.output().split("Prefect UI: ", 1)[1].split()[0] + "/api"
        wait_for(lambda: flow_runs(api) > 0, 60, "the first cycle run")
        settled(api, quiet=6.0, timeout=60)
        runs, rows, before = flow_runs(api), snapshot(app), cursors(app)
        time.sleep(20)
        assert flow_runs(api) == runs, running.output()
        assert snapshot(app) == rows
        after = cursors(app)
        calendar_key = ("calendar", "work")
        # The calendar is still polled on its own interval; nothing else is touched.
        assert after[calendar_key][0] > before[calendar_key][0]
        assert {k: v for k, v in after.items() if k != calendar_key} == {
            k: v for k, v in before.items() if k != calendar_key
        }
        # A meeting booked inside the lead time: found by the next poll, its sheet made.
        calendar.put_event(meeting_ics(datetime.now(UTC) + timedelta(hours=3)))
        wait_for(lambda: has_prep_sheet(app), 30, "prep sheet")
        wait_for(lambda: flow_runs(api) > runs, 30, "a flow run for the work done")
        mailbox.append(reply())
        wait_for(lambda: nudge_status(app) == "cancelled", 5, "reply recorded")
    finally:
        code, _ = running.stop(timeout=30)
    assert code == 0, running.output()


def has_prep_sheet(app: App) -> bool:
    with app.factory() as s:
        return s.scalar(select(PrepSheet.id)) is not None
