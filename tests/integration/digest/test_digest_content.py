"""What the digest says, decided from the database at a given ``now`` (no servers, no clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.flows.steps.digest import context
from coffeechat.integrations.render import render
from coffeechat.models.contacts.records import ensure_account
from coffeechat.models.reports import digest as dg
from coffeechat.models.store.db import make_engine, session_factory, upgrade
from coffeechat.models.store.events import DomainEvent, EmailSent, MeetingScheduled, ReplyReceived
from coffeechat.models.store.tables import (
    Account,
    Contact,
    ContactEmail,
    Interview,
    Meeting,
    Outbox,
    PrepSheet,
    Referral,
    SyncCursor,
)
from coffeechat.models.store.uow import UnitOfWork

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
BERLIN = ZoneInfo("Europe/Berlin")


class World:
    def __init__(self, factory: sessionmaker[Session], account_id: int) -> None:
        self.factory, self.account_id = factory, account_id

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.factory, account_id=self.account_id)

    def person(self, name: str) -> tuple[int, int]:
        with self.factory() as s:
            contact = Contact(account_id=self.account_id, name=name, created_at=NOW, updated_at=NOW)
            s.add(contact)
            s.flush()
            s.add(
                ContactEmail(
                    account_id=self.account_id,
                    contact_id=contact.id,
                    address=f"{name.split()[0].lower()}@example.org",
                    is_primary=True,
                )
            )
            interview = Interview(
                account_id=self.account_id,
                contact_id=contact.id,
                state="requested",
                state_changed_at=NOW,
                created_at=NOW,
            )
            s.add(interview)
            s.commit()
            return contact.id, interview.id

    def event(self, event: DomainEvent) -> None:
        with self.uow() as uow:
            uow.record(event)
            uow.commit()

    def add(self, row: object) -> None:
        with self.factory() as s:
            s.add(row)
            s.commit()

    def content(self, now: datetime) -> dg.Digest:
        with self.factory() as s:
            return dg.digest_content(s, self.account_id, now)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    engine = make_engine(f"sqlite:///{tmp_path / 'digest.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s:
        account = ensure_account(
            s,
            slug="jo",
            name="Jo Seeker",
            email="jo@example.com",
            timezone="Europe/Berlin",
            now=NOW - timedelta(days=3),
        )
        s.commit()
        account_id = account.id
    yield World(factory, account_id)
    engine.dispose()


def _reply(contact: int, interview: int, at: datetime) -> ReplyReceived:
    return ReplyReceived(
        occurred_at=at,
        interview_id=interview,
        contact_id=contact,
        message_id=f"<r{at.timestamp()}@x>",
        rule="t",
    )


def test_nothing_new_is_no_news_even_with_a_meeting_ahead(world: World) -> None:
    contact, interview = world.person("Ada Lovelace")
    world.add(
        Meeting(
            account_id=world.account_id,
            interview_id=interview,
            contact_id=contact,
            source="t",
            uid="m1",
            start_utc=NOW + timedelta(days=1),
            end_utc=NOW + timedelta(days=1, hours=1),
            summary="Coffee",
            first_seen_at=NOW,
            last_seen_at=NOW,
        )
    )
    digest = world.content(NOW)
    assert not digest.has_news
    [meeting] = digest.meetings
    assert (meeting.contact, meeting.prep_sheet) == ("Ada Lovelace", "")


def test_what_happened_since_the_last_digest_and_never_the_digest_itself(world: World) -> None:
    contact, interview = world.person("Ada Lovelace")
    world.event(_reply(contact, interview, NOW - timedelta(hours=3)))
    world.event(
        MeetingScheduled(
            occurred_at=NOW - timedelta(hours=2),
            interview_id=interview,
            contact_id=contact,
            meeting_id=1,
            start=NOW,
            end=NOW,
        )
    )
    first = world.content(NOW)
    assert [text for _, text in first.happened] == [
        "Ada Lovelace replied",
        "meeting with Ada Lovelace booked",
    ]
    assert first.has_news and first.since is None

    # The digest went out: only what came after it is news the next day.
    world.event(EmailSent(occurred_at=NOW, kind="digest", message_id="<d@x>", to="jo@example.com"))
    later = NOW + timedelta(days=1)
    assert not world.content(later).has_news
    world.event(_reply(contact, interview, later - timedelta(hours=1)))
    again = world.content(later)
    assert [text for _, text in again.happened] == ["Ada Lovelace replied"]
    assert again.since == NOW


def test_a_first_digest_looks_back_one_day_and_not_into_the_future(world: World) -> None:
    contact, interview = world.person("Ada Lovelace")
    world.event(_reply(contact, interview, NOW - timedelta(days=2)))
    world.event(_reply(contact, interview, NOW + timedelta(hours=1)))
    assert not world.content(NOW).has_news


def test_what_needs_the_user_names_the_command_for_each(world: World) -> None:
    contact, interview = world.person("Ada Lovelace")
    with world.factory() as s:
        draft = Outbox(
            account_id=world.account_id,
            interview_id=interview,
            kind="outreach",
            occurrence="o1",
            message_id="<o1@x>",
            status="draft",
            mode="review",
            to_addr="ada@example.org",
            subject="Coffee?",
            body_text="Hi",
            not_before=NOW,
            created_at=NOW,
        )
        s.add(draft)
        _, other = world.person("Bob Kahn")
        s.add(
            Outbox(
                account_id=world.account_id,
                interview_id=other,
                kind="nudge",
                occurrence="n1",
                message_id="<n1@x>",
                status="pending",
                mode="review",
                to_addr="bob@example.org",
                subject="Re: Coffee?",
                body_text="Hi again",
                not_before=NOW + timedelta(hours=2),
                created_at=NOW,
            )
        )
        s.add(
            Referral(
                account_id=world.account_id,
                from_contact_id=contact,
                address="grace@example.net",
                name="Grace Hopper",
                created_at=NOW,
            )
        )
        s.add(
            SyncCursor(
                account_id=world.account_id,
                source_kind="calendar",
                source="work",
                consecutive_failures=3,
                last_error="HTTP 401",
            )
        )
        s.commit()
        draft_id = draft.id
    world.add(
        PrepSheet(
            account_id=world.account_id,
            meeting_id=_meeting(world, contact, interview),
            meeting_version=1,
            path="/data/prep/ada.md",
            created_at=NOW,
        )
    )
    digest = world.content(NOW)
    needs = " | ".join(digest.needs_you)
    # The same items, words and commands as `status` (models/reports/needs.py).
    ada = "request to Ada Lovelace <ada@example.org>"
    assert f"{ada} waits in Drafts: `coffeechat approve {draft_id}`" in needs
    assert "nudge to Bob Kahn <bob@example.org> waits for your approval: `coffeechat approve" in (
        needs
    )
    assert "Grace Hopper <grace@example.net>: `coffeechat referrals accept 1`" in needs
    assert "calendar work is failing (3 tries): HTTP 401: `coffeechat connect`" in needs
    assert digest.has_news and digest.meetings[0].prep_sheet == "/data/prep/ada.md"

    text = render("mail/digest", _context(world, digest), fmt="txt")
    assert "Needs you:" in text and "\n  prep sheet: /data/prep/ada.md\n" in text
    assert "What happened" not in text


def _meeting(world: World, contact: int, interview: int) -> int:
    with world.factory() as s:
        m = Meeting(
            account_id=world.account_id,
            interview_id=interview,
            contact_id=contact,
            source="t",
            uid="m2",
            start_utc=NOW + timedelta(hours=30),
            end_utc=NOW + timedelta(hours=31),
            first_seen_at=NOW,
            last_seen_at=NOW,
        )
        s.add(m)
        s.commit()
        return m.id


def _context(world: World, digest: dg.Digest) -> dict[str, object]:
    with world.factory() as s:
        account = s.get(Account, world.account_id)
        assert account is not None
        return context(digest, account, NOW, BERLIN)


def test_the_hour_and_the_day_are_the_users() -> None:
    assert dg.is_due(NOW, BERLIN, 8) and not dg.is_due(NOW, BERLIN, 7)
    assert dg.occurrence(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), BERLIN) == "digest:2026-03-02"


def test_one_digest_row_per_local_day(world: World) -> None:
    def queue(now: datetime) -> Outbox | None:
        with world.uow() as uow:
            row = dg.queue_digest(
                uow, now=now, zone=BERLIN, to_addr="jo@example.com", subject="s", body="b"
            )
            uow.commit()
            return row

    assert queue(NOW) is not None
    assert queue(NOW + timedelta(minutes=30)) is None
    assert queue(NOW + timedelta(days=1)) is not None
