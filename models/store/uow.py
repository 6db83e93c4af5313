"""The unit of work: one short transaction that rolls back unless committed.

Events recorded through it land in ``event_log`` in the same transaction as the change
they describe, and are handed back after commit so callers can emit them to Prefect.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.models.store.events import DomainEvent
from coffeechat.models.store.tables import EventLog


class UnitOfWork:
    """``with UnitOfWork(factory) as uow: ...; uow.commit()``: nothing persists without commit."""

    def __init__(self, factory: sessionmaker[Session], *, account_id: int) -> None:
        self._factory = factory
        self.account_id = account_id
        self._pending: list[DomainEvent] = []
        self.committed: list[DomainEvent] = []

    def __enter__(self) -> Self:
        self.session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def record(self, event: DomainEvent, *, now: datetime | None = None) -> None:
        """Add ``event`` to the event log of this transaction."""
        self.session.add(
            EventLog(
                account_id=self.account_id,
                interview_id=event.interview_id,
                contact_id=event.contact_id,
                type=event.type,
                occurred_at=event.occurred_at,
                recorded_at=now or event.occurred_at,
                payload=event.payload(),
            )
        )
        self._pending.append(event)

    def record_all(self, events: list[DomainEvent]) -> None:
        """Add many events in one bulk insert (an import of thousands of contacts)."""
        if not events:
            return
        self.session.execute(
            insert(EventLog),
            [
                {
                    "account_id": self.account_id,
                    "interview_id": e.interview_id,
                    "contact_id": e.contact_id,
                    "type": e.type,
                    "occurred_at": e.occurred_at,
                    "recorded_at": e.occurred_at,
                    "payload": e.payload(),
                }
                for e in events
            ],
        )
        self._pending.extend(events)

    def commit(self) -> list[DomainEvent]:
        """Commit everything; return the events that are now permanent."""
        self.session.commit()
        done, self._pending = self._pending, []
        self.committed.extend(done)
        return done
