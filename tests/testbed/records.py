"""A world in the database alone: an account in Berlin and builders of its records, for the planner.

For suites that test the domain against a real database without any server: ``planner_world(
engine)`` creates the account (Jo Seeker, Europe/Berlin) on a migrated engine (the test bed's
``engine`` fixture) and returns a World that writes contacts, interviews, meetings, messages,
notes and milestones directly, in any state, at T0 unless told otherwise, and runs the
follow-up planner or creates an outreach as a flow would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.integrations.config import CadenceConfig, DebriefConfig, ModesConfig
from coffeechat.integrations.render import render
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import ensure_account, upsert_contact
from coffeechat.models.followups.plan import create_outreach, plan_followups
from coffeechat.models.store.db import session_factory
from coffeechat.models.store.tables import Interview, Meeting, Message, Milestone, Note, Outbox
from coffeechat.models.store.uow import UnitOfWork

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Berlin
USER = "jo@example.com"


def txt(name: str, context: Mapping[str, object]) -> str:
    """A template rendered as plain text."""
    return render(name, context, fmt="txt")


class World:
    """Builds records directly (states included) and runs the planner as a flow would."""

    def __init__(self, factory: sessionmaker[Session], account_id: int) -> None:
        self.factory = factory
        self.account_id = account_id
        self.cadence = CadenceConfig()
        self.modes = ModesConfig()
        self.debrief: DebriefConfig | None = None  # None: the thank-you waits for no debrief
        self._ids = 0

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.factory, account_id=self.account_id)

    def contact(self, name: str, email: str, **fields: Any) -> int:
        with self.uow() as uow:
            row = ContactRow(line=0, name=name, emails=(email,))
            contact, _ = upsert_contact(uow, row, source="test", now=T0)
            for key, value in fields.items():
                setattr(contact, key, value)
            uow.commit()
            return contact.id

    def interview(self, contact_id: int, state: str, **fields: Any) -> int:
        return self.add(
            Interview(
                account_id=self.account_id,
                contact_id=contact_id,
                state=state,
                state_changed_at=fields.pop("state_changed_at", T0),
                created_at=T0 - timedelta(days=30),
                **fields,
            )
        )

    def meeting(self, interview_id: int, contact_id: int, end: datetime, **fields: Any) -> int:
        self._ids += 1
        return self.add(
            Meeting(
                account_id=self.account_id,
                interview_id=interview_id,
                contact_id=contact_id,
                source="test",
                uid=f"m{self._ids}@test",
                start_utc=end - timedelta(minutes=30),
                end_utc=end,
                first_seen_at=T0,
                last_seen_at=T0,
                ended_handled=True,
                **fields,
            )
        )

    def message(self, contact_id: int, interview_id: int | None, mid: str, **fields: Any) -> int:
        fields.setdefault("direction", "in")
        fields.setdefault("kind", "human")
        return self.add(
            Message(
                account_id=self.account_id,
                contact_id=contact_id,
                interview_id=interview_id,
                message_id=mid,
                rule="test",
                recorded_at=fields.get("date", T0),
                **fields,
            )
        )

    def note(self, contact_id: int, text: str, at: datetime, for_update: bool = False) -> int:
        return self.add(
            Note(
                account_id=self.account_id,
                contact_id=contact_id,
                text=text,
                for_update=for_update,
                created_at=at,
            )
        )

    def milestone(self, text: str, at: datetime) -> int:
        return self.add(Milestone(account_id=self.account_id, text=text, recorded_at=at))

    def add(self, row: Any) -> int:
        with self.factory() as s:
            s.add(row)
            s.commit()
            return int(row.id)

    def plan(self, now: datetime) -> list[str]:
        with self.uow() as uow:
            labels = plan_followups(
                uow,
                now=now,
                cadence=self.cadence,
                modes=self.modes,
                user_email=USER,
                render=txt,
                debrief=self.debrief,
            )
            uow.commit()
            return labels

    def outreach(self, contact_id: int, now: datetime, **kw: Any) -> Outbox:
        with self.uow() as uow:
            row = create_outreach(
                uow,
                contact_id,
                now=now,
                cadence=self.cadence,
                mode=self.modes.outreach,
                user_email=USER,
                render=txt,
                **kw,
            )
            uow.commit()
            return row

    def rows(self, kind: str | None = None) -> list[Outbox]:
        with self.factory() as s:
            stmt = select(Outbox).order_by(Outbox.id)
            if kind:
                stmt = stmt.where(Outbox.kind == kind)
            return list(s.scalars(stmt))

    def set(self, model: type[Any], row_id: int, **values: Any) -> None:
        with self.factory() as s:
            row = s.get(model, row_id)
            for key, value in values.items():
                setattr(row, key, value)
            s.commit()

    def get(self, model: type[Any], row_id: int) -> Any:
        with self.factory() as s:
            return s.get(model, row_id)


def planner_world(engine: Engine, **details: str) -> World:
    """The account (slug jo, created at T0 with ``details``) and a World writing its records."""
    factory = session_factory(engine)
    with factory() as s:
        account = ensure_account(
            s, slug="jo", name="Jo Seeker", email=USER, timezone="Europe/Berlin", now=T0, **details
        )
        s.commit()
        return World(factory, account.id)
