"""Who may change a stored meeting by email (RFC 5546), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.models.calendar import Window, parse_calendar
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import ensure_account, upsert_contact
from coffeechat.models.interviews.meetings import apply_calendar
from coffeechat.models.interviews.moves import open_interview
from coffeechat.models.store.db import make_engine, session_factory, upgrade
from coffeechat.models.store.tables import EventLog, Meeting
from coffeechat.models.store.uow import UnitOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
USER = frozenset({"sam@example.net"})
WINDOW = Window(NOW - timedelta(days=14), NOW + timedelta(days=365))


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[sessionmaker[Session], int]]:
    engine = make_engine(database_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as session:
        account = ensure_account(
            session, slug="t", name="Sam", email="sam@example.net", timezone="UTC", now=NOW
        )
        session.commit()
        account_id = account.id
    with UnitOfWork(factory, account_id=account_id) as uow:
        contact, _ = upsert_contact(
            uow, ContactRow(line=0, name="Jordan Blake", emails=("jordan@example.com",)),
            source="t", now=NOW,
        )  # fmt: skip
        open_interview(uow, contact, now=NOW)
        uow.commit()
    yield factory, account_id
    engine.dispose()


def ics(method: str, *, organizer: str = "jordan@example.com", attendee: str = "") -> str:
    status = "CANCELLED" if method == "CANCEL" else "CONFIRMED"
    who = attendee or "sam@example.net"
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\nUID:u1@calendly\r\n"
        "DTSTART:20261201T150000Z\r\nDTEND:20261201T153000Z\r\nDTSTAMP:20261120T100000Z\r\n"
        f"SEQUENCE:{0 if method == 'REQUEST' else 1}\r\nSTATUS:{status}\r\n"
        f"ORGANIZER:mailto:{organizer}\r\nATTENDEE:mailto:{who}\r\nSUMMARY:Coffee\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def apply(world: tuple[sessionmaker[Session], int], text: str, sender: str | None) -> list[str]:
    factory, account_id = world
    with UnitOfWork(factory, account_id=account_id) as uow:
        labels = apply_calendar(
            uow,
            source="email",
            parsed=parse_calendar(text, WINDOW),
            now=NOW,
            user_addresses=USER,
            snapshot=False,
            sender=sender,
        )
        uow.commit()
    return labels


def meeting(world: tuple[sessionmaker[Session], int]) -> Meeting:
    with world[0]() as s:
        return s.scalars(select(Meeting)).one()


def test_invitation_from_a_scheduling_service_may_be_cancelled_by_it(
    world: tuple[sessionmaker[Session], int],
) -> None:
    # Calendly mails the invitation and its cancellation; the organizer is the contact
    assert apply(world, ics("REQUEST"), "notifications@calendly.com") == ["meeting-scheduled"]
    row = meeting(world)
    assert (row.organizer, row.invited_by) == ("jordan@example.com", "notifications@calendly.com")
    assert apply(world, ics("CANCEL"), "m@evil.example") == ["calendar-change-refused"]
    assert meeting(world).status == "CONFIRMED"
    assert apply(world, ics("CANCEL"), "notifications@calendly.com") == ["meeting-cancelled"]


def test_organizer_may_cancel_and_a_reply_counts_only_from_an_attendee(
    world: tuple[sessionmaker[Session], int],
) -> None:
    apply(world, ics("REQUEST"), "jordan@example.com")
    assert apply(world, ics("REPLY", attendee="x@example.org"), "m@evil.example") == [
        "calendar-change-refused"
    ]
    assert apply(world, ics("REPLY", attendee="x@example.org"), "x@example.org") == []
    assert apply(world, ics("CANCEL"), "jordan@example.com") == ["meeting-cancelled"]
    with world[0]() as s:
        rows = s.scalars(select(EventLog).where(EventLog.type == "MessageSuspected"))
        reasons = [e.payload["reason"] for e in rows]
    assert any("not an attendee" in str(r) for r in reasons)


def test_rows_stored_without_organizer_fall_back_to_the_contacts_addresses(
    world: tuple[sessionmaker[Session], int],
) -> None:
    apply(world, ics("REQUEST"), None)  # a calendar feed: no sender to compare
    factory, _ = world
    with factory() as s:
        row = s.scalars(select(Meeting)).one()
        row.organizer = row.invited_by = ""  # as rows stored before organizers were kept
        s.commit()
    assert apply(world, ics("CANCEL"), "m@evil.example") == ["calendar-change-refused"]
    assert apply(world, ics("CANCEL"), "jordan@example.com") == ["meeting-cancelled"]


def test_new_invitation_naming_a_contact_as_organizer_is_stored(
    world: tuple[sessionmaker[Session], int],
) -> None:
    assert apply(world, ics("REQUEST"), "jordan@example.com") == ["meeting-scheduled"]
