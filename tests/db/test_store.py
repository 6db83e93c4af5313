"""Contacts, the unit of work, the event log and time handling against real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import find_contact, import_rows, upsert_contact
from coffeechat.models.interviews.lifecycle import Event, IllegalTransition, State
from coffeechat.models.interviews.moves import apply_event, open_interview, try_apply
from coffeechat.models.store.events import MeetingScheduled
from coffeechat.models.store.tables import (
    Account,
    Contact,
    ContactEmail,
    EventLog,
    Interview,
    Outbox,
)
from coffeechat.models.store.uow import UnitOfWork
from tests.db.conftest import NOW


def test_account_email_is_lowercased(factory: sessionmaker[Session], account_id: int) -> None:
    with factory() as s:
        account = s.get(Account, account_id)
        assert account is not None and account.email == "jo@example.com"


def test_contacts_merge_by_address_case_insensitively(
    factory: sessionmaker[Session], account_id: int
) -> None:
    rows = [
        ContactRow(line=2, name="Ada Lovelace", emails=("ada@example.com",), company="Engines"),
        ContactRow(
            line=3,
            name="A. Lovelace",
            emails=("ADA@EXAMPLE.COM", "ada@home.example"),
            role="Analyst",
            tags=("math",),
        ),
        ContactRow(
            line=4,
            name="Charles Babbage",
            emails=("charles@example.com",),
            introduced_by="ada@example.com",
        ),
    ]
    with UnitOfWork(factory, account_id=account_id) as uow:
        report = import_rows(uow, rows, source="csv", now=NOW)
        uow.commit()
    assert (report.added, report.merged, report.errors) == (2, 1, [])
    with factory() as s:
        ada = find_contact(s, account_id, "ADA@example.com")
        assert ada.name == "Ada Lovelace"  # an import fills gaps, it does not rename
        assert (ada.company, ada.role, ada.tags) == ("Engines", "Analyst", ["math"])
        assert [e.address for e in ada.emails] == ["ada@example.com", "ada@home.example"]
        charles = find_contact(s, account_id, "babbage")
        assert charles.introduced_by_id == ada.id
        types = s.scalars(select(EventLog.type).order_by(EventLog.id)).all()
        assert types == ["ContactAdded", "ContactAdded"]


def test_same_address_twice_is_refused_by_the_database(
    factory: sessionmaker[Session], account_id: int
) -> None:
    with factory() as s:
        c1 = Contact(account_id=account_id, name="A", created_at=NOW, updated_at=NOW)
        c2 = Contact(account_id=account_id, name="B", created_at=NOW, updated_at=NOW)
        s.add_all([c1, c2])
        s.flush()
        s.add(ContactEmail(account_id=account_id, contact_id=c1.id, address="x@example.com"))
        s.add(ContactEmail(account_id=account_id, contact_id=c2.id, address="x@example.com"))
        with pytest.raises(IntegrityError):
            s.flush()


def test_outbox_natural_key_is_unique(factory: sessionmaker[Session], account_id: int) -> None:
    with UnitOfWork(factory, account_id=account_id) as uow:
        contact, _ = upsert_contact(
            uow, ContactRow(line=0, name="O", emails=("o@x.example",)), source="m", now=NOW
        )
        interview_id = open_interview(uow, contact, now=NOW).id
        uow.commit()

    def row(message_id: str) -> Outbox:
        return Outbox(
            account_id=account_id,
            interview_id=interview_id,
            kind="update",
            occurrence="milestone:1",
            message_id=message_id,
            to_addr="a@example.com",
            subject="s",
            body_text="b",
            not_before=NOW,
            created_at=NOW,
        )

    with factory() as s:
        s.add(row("<1@coffeechat>"))
        s.commit()
        s.add(row("<2@coffeechat>"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_unit_of_work_rolls_back_unless_committed(
    factory: sessionmaker[Session], account_id: int
) -> None:
    with UnitOfWork(factory, account_id=account_id) as uow:
        upsert_contact(
            uow,
            ContactRow(line=0, name="Ghost", emails=("g@example.com",)),
            source="manual",
            now=NOW,
        )
    with factory() as s:
        assert s.scalars(select(Contact)).all() == []
        assert s.scalars(select(EventLog)).all() == []


def test_transitions_write_the_event_log(factory: sessionmaker[Session], account_id: int) -> None:
    with UnitOfWork(factory, account_id=account_id) as uow:
        contact, _ = upsert_contact(
            uow, ContactRow(line=0, name="Lin", emails=("lin@x.example",)), source="manual", now=NOW
        )
        interview = open_interview(uow, contact, now=NOW)
        apply_event(uow, interview, Event.OUTREACH_SENT, now=NOW)
        assert try_apply(uow, interview, Event.THANK_YOU_SENT, now=NOW) is None
        with pytest.raises(IllegalTransition):
            apply_event(uow, interview, Event.UPDATE_SENT, now=NOW)
        later = NOW + timedelta(days=2)
        apply_event(uow, interview, Event.MEETING_SCHEDULED, now=later, cause="calendar")
        uow.record(
            MeetingScheduled(
                occurred_at=later,
                interview_id=interview.id,
                contact_id=contact.id,
                meeting_id=7,
                start=later,
                end=later,
            )
        )
        events = uow.commit()
    assert [e.type for e in events] == [
        "ContactAdded",
        "StateChanged",
        "StateChanged",
        "MeetingScheduled",
    ]
    with factory() as s:
        stored = s.scalars(select(Interview)).one()
        assert stored.state == State.SCHEDULED.value
        log = s.scalars(
            select(EventLog).where(EventLog.interview_id == stored.id).order_by(EventLog.id)
        ).all()
        assert [(e.type, e.payload.get("new")) for e in log] == [
            ("StateChanged", "requested"),
            ("StateChanged", "scheduled"),
            ("MeetingScheduled", None),
        ]
        assert log[-1].payload["start"] == later.isoformat()


def test_times_come_back_aware_and_in_utc(factory: sessionmaker[Session], account_id: int) -> None:
    berlin_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with factory() as s:
        s.add(
            Contact(account_id=account_id, name="T", created_at=berlin_noon, updated_at=berlin_noon)
        )
        s.commit()
    with factory() as s:
        got = s.scalars(select(Contact)).one().created_at
    assert got == berlin_noon and got.tzinfo is not None
    assert got.utcoffset() == timedelta(0) and got.hour == 10


def test_naive_datetimes_are_refused(factory: sessionmaker[Session], account_id: int) -> None:
    with factory() as s:
        s.add(
            Contact(
                account_id=account_id, name="N", created_at=datetime(2026, 1, 1), updated_at=NOW
            )
        )
        with pytest.raises(Exception, match="naive"):
            s.flush()


def test_find_contact_reports_ambiguity(factory: sessionmaker[Session], account_id: int) -> None:
    with UnitOfWork(factory, account_id=account_id) as uow:
        for name, addr in (("Sam Lee", "sam@x.example"), ("Sam Park", "park@x.example")):
            upsert_contact(
                uow,
                ContactRow(line=0, name=name, emails=(addr,)),
                source="m",
                now=datetime.now(UTC),
            )
        uow.commit()
    with factory() as s:
        with pytest.raises(LookupError, match="several"):
            find_contact(s, account_id, "sam")
        assert find_contact(s, account_id, "sam park").name == "Sam Park"
        with pytest.raises(LookupError, match="no contact"):
            find_contact(s, account_id, "nobody")
