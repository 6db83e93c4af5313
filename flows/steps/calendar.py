"""Syncing one calendar source: conditional fetch, parse (pure), apply, in one transaction.

An unchanged source costs one request and no parsing. A source that fails keeps every meeting
already known: nothing is cancelled because a fetch failed or a file was garbage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.failures import record_failure
from coffeechat.flows.steps.step import CycleReport, Step
from coffeechat.integrations.calendar import CalendarError, SourceState, build_source
from coffeechat.integrations.config import CalendarConfig
from coffeechat.integrations.secrets import resolve
from coffeechat.models.calendar import ParsedCalendar, Window, parse_calendar
from coffeechat.models.interviews.meetings import apply_calendar, mark_ended
from coffeechat.models.store.cursors import cursor_for
from coffeechat.models.store.events import DomainEvent
from coffeechat.models.store.tables import Account, SkippedItem
from coffeechat.models.store.uow import UnitOfWork


@dataclass
class CalendarReport:
    """What one calendar sync did."""

    source: str
    changed: bool = False
    occurrences: int = 0
    skipped: int = 0
    effects: list[str] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)


def calendar_window(app: App, now: datetime) -> Window:
    """The span calendars are read in, from the cadence settings."""
    cad = app.settings.cadence
    return Window(
        now - timedelta(days=cad.calendar_days_back), now + timedelta(days=cad.calendar_days_ahead)
    )


def combine(parts: list[ParsedCalendar], window: Window) -> ParsedCalendar:
    """One view of several documents (CalDAV returns one per event resource)."""
    return ParsedCalendar(
        method=None,
        components=sum(p.components for p in parts),
        occurrences=tuple(o for p in parts for o in p.occurrences),
        skipped=tuple(s for p in parts for s in p.skipped),
        cancelled_uids=frozenset(u for p in parts for u in p.cancelled_uids),
        window=window,
        readable=all(p.readable for p in parts),
    )


def sync_calendar_source(app: App, cfg: CalendarConfig, now: datetime) -> CalendarReport:
    """Fetch one source if it changed and apply what it says."""
    report = CalendarReport(cfg.name)
    password = cfg.password
    source = build_source(
        cfg.kind,
        cfg.name,
        url=cfg.url,
        path=cfg.path,
        username=cfg.username,
        password=(lambda: resolve(password)) if password is not None else None,
        ca_file=cfg.ca_file,
    )
    window = calendar_window(app, now)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        cur = cursor_for(uow, "calendar", cfg.name)
        state = SourceState.from_dict(cur.source_state or {})
        account = uow.session.get(Account, app.account_id)
        zone = account.timezone if account else "UTC"
        uow.commit()
    result = source.fetch(state, window)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        cur = cursor_for(uow, "calendar", cfg.name)
        if result.changed:
            report.changed = True
            parsed = combine(
                [parse_calendar(d, window, default_tz=zone) for d in result.data], window
            )
            report.occurrences, report.skipped = len(parsed.occurrences), len(parsed.skipped)
            report.effects += apply_calendar(
                uow,
                source=cfg.name,
                parsed=parsed,
                now=now,
                user_addresses=app.user_addresses,
                snapshot=parsed.readable,
            )
            _record_skips(uow, cfg.name, parsed, now)
        report.effects += mark_ended(uow, now)
        cur.source_state = result.state.to_dict()
        cur.last_success_at = cur.last_attempt_at = now
        cur.consecutive_failures, cur.last_error = 0, ""
        report.events += uow.commit()
    return report


def _record_skips(uow: UnitOfWork, source: str, parsed: ParsedCalendar, now: datetime) -> None:
    # The latest parse is the truth about what this source cannot give us.
    uow.session.execute(
        delete(SkippedItem).where(
            SkippedItem.account_id == uow.account_id,
            SkippedItem.source_kind == "calendar",
            SkippedItem.source == source,
        )
    )
    for skip in parsed.skipped[:200]:
        uow.session.add(
            SkippedItem(
                account_id=uow.account_id,
                source_kind="calendar",
                source=source,
                item=skip.uid or "",
                reason=skip.reason[:2000],
                occurred_at=now,
            )
        )


def sync_calendars(app: App, now: datetime, report: CycleReport) -> None:
    """Every calendar source; a failing one is recorded and the others go on; then endings."""
    for cfg in app.settings.calendars:
        try:
            result = sync_calendar_source(app, cfg, now)
        except (CalendarError, ValueError) as err:
            record_failure(app, "calendar", cfg.name, err, now)
            report.problems.append(f"calendar {cfg.name}: {err}")
            continue
        report.labels += result.effects
        report.events += result.events
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        report.labels += mark_ended(uow, now)  # also when no calendar changed
        report.events += uow.commit()


STEP = Step("sync-calendars", sync_calendars, polled=True)
