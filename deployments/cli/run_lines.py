"""``coffeechat run``'s account of what it does: one line per effect, as it happens.

A thread polls the database (models/reports/activity.py) every few seconds and prints what
the service recorded: ``14:02 Ada Lovelace: requested → replied: reply from Ada Lovelace;
nudge cancelled``. It reads only; the service is unaware of it. :func:`lines` is pure (the
clock and zone are parameters), which the golden tests use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from coffeechat.deployments.cli.present import grouped_words, local, mail_kind
from coffeechat.models.outbox.states import Status
from coffeechat.models.reports.activity import News, OutboxMove, poll, start

# Polls come every POLL_SECONDS after news, slowing to IDLE_POLL_SECONDS while nothing happens:
# a poll costs about 0.6 ms of CPU, which at 1 Hz would be half of an idle service's cost.
POLL_SECONDS = 1.0
IDLE_POLL_SECONDS = 5.0


def _move(m: OutboxMove, now: datetime, zone: ZoneInfo) -> str | None:
    kind = mail_kind(m.kind)
    if m.status == Status.PENDING:
        return f"{kind} to {m.to} queued for {local(m.not_before, now, zone)}"
    if m.status == Status.DRAFT:
        return f"{kind} to {m.to} in your Drafts: `coffeechat approve {m.id}` sends it"
    if m.status == Status.CANCELLED:
        return f"{kind} cancelled"
    if m.status == Status.NEEDS_REVIEW:
        return f"{kind} interrupted: `coffeechat review {m.id} sent|resend|drop`"
    if m.status == Status.FAILED:
        why = f" ({m.last_error})" if m.last_error else ""
        return f"{kind} failed{why}: `coffeechat review {m.id} resend|drop`"
    return None  # sending is a step; sent is told by its EmailSent event


def lines(news: News, now: datetime, zone: ZoneInfo) -> list[str]:
    """One line per contact touched (its events in words, then its mail), in log order."""
    order: list[int | None] = []
    names: dict[int | None, str] = {}
    said: dict[int | None, list[str]] = {}
    grouped: dict[int | None, list[tuple[str, dict[str, Any]]]] = {}
    for cid, name, kind, payload in news.events:
        if cid not in order:
            order.append(cid)
        names[cid] = name
        grouped.setdefault(cid, []).append((kind, payload))
    for cid, events in grouped.items():
        said[cid] = [text for text, _ in grouped_words(events, names[cid], now, zone)]
    for move in news.outbox:
        text = _move(move, now, zone)
        if text is None:
            continue
        if move.contact_id not in order:
            order.append(move.contact_id)
        names[move.contact_id] = move.contact
        said.setdefault(move.contact_id, []).append(text)
    clock = local(now, now, zone).rsplit(" ", 1)[-1]
    out = []
    for cid in order:
        if said.get(cid):
            who = f"{names[cid]}: " if names.get(cid) else ""
            out.append(f"{clock} {who}{'; '.join(said[cid])}")
    out += [f"{clock} {text}" for text in _sources(news)]
    return out


def _sources(news: News) -> list[str]:
    said = [
        f"unreadable mail from {sender or '?'} ({subject!r}) kept, not acted on: {why}"
        for sender, subject, why in news.unreadable
    ]
    said += [
        f"{kind} {source} failing: {error} (`coffeechat status` shows it until it works again)"
        for kind, source, error in news.failing
    ]
    said += [f"{kind} {source} works again" for kind, source in news.recovered]
    return said


class EffectReporter:
    """Polls the database in a daemon thread and hands each line to ``emit``."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        account_id: int,
        zone: ZoneInfo,
        emit: Callable[[str], None],
        clock: Callable[[], datetime],
    ) -> None:
        self._factory, self._account, self._zone = factory, account_id, zone
        self._emit, self._clock = emit, clock
        self._stop = threading.Event()
        with factory() as session:
            self._cursor = start(session, account_id)
        self._thread = threading.Thread(target=self._run, name="coffeechat-effects", daemon=True)

    def start(self) -> None:
        """Begin reporting."""
        self._thread.start()

    def stop(self) -> None:
        """Report what is left and stop."""
        self._stop.set()
        self._thread.join(POLL_SECONDS)

    def _run(self) -> None:
        interval = POLL_SECONDS
        while True:
            stopping = self._stop.wait(interval)
            try:
                told = self.poll_once()
            except Exception as err:  # a report line is never worth stopping the service
                self._emit(f"(could not read what happened: {type(err).__name__})")
                told = 0
            if stopping:
                return
            interval = POLL_SECONDS if told else min(interval * 2, IDLE_POLL_SECONDS)

    def poll_once(self) -> int:
        """Read what happened since the last poll and emit its lines; how many."""
        with self._factory() as session:
            news = poll(session, self._account, self._cursor)
        said = lines(news, self._clock(), self._zone)
        for line in said:
            self._emit(line)
        return len(said)
