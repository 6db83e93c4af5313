"""Every (status, move) pair of the outbox, in the table and on a real SQLite database.

Also: rows are born pending with one shape of Message-ID (the one the classifier knows as ours),
and the inbox's "seen in Sent" no longer overwrites a row someone else moved meanwhile.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.models.classify import Kind as MessageKind
from coffeechat.models.classify import ThreadContext, Verdict
from coffeechat.models.classify.model import ParsedMail
from coffeechat.models.classify.rules import sent_by_coffeechat
from coffeechat.models.contacts.records import ensure_account
from coffeechat.models.inbox.effects import Effects, apply_verdict
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.mailbuild import is_our_message_id, new_message_id
from coffeechat.models.outbox.rows import move, new_row
from coffeechat.models.outbox.states import (
    MOVES,
    IllegalMove,
    Kind,
    Mode,
    Move,
    Status,
    allowed,
    sources,
    transition,
)
from coffeechat.models.outbox.steps import mark_sent
from coffeechat.models.store.db import make_engine, session_factory, upgrade
from coffeechat.models.store.tables import Contact, ContactEmail, Interview, Message, Outbox
from coffeechat.models.store.uow import UnitOfWork

S, M = Status, Move
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
USER = "jo@example.net"
ADA = "ada@example.com"

# Written out by hand from the sender's rules (models/outbox/steps.py and the inbox's Sent
# handling), independently of the table under test.
EXPECTED: dict[tuple[Status, Move], Status] = {
    (S.PENDING, M.CLAIM): S.SENDING,
    (S.PENDING, M.PLACE_DRAFT): S.DRAFT,
    (S.DRAFT, M.RELEASE_DRAFT): S.PENDING,
    (S.DRAFT, M.APPROVE): S.SENDING,
    (S.SENDING, M.RETRY): S.PENDING,
    (S.SENDING, M.FAIL): S.FAILED,
    (S.DRAFT, M.FAIL): S.FAILED,
    (S.SENDING, M.OUTCOME_UNKNOWN): S.NEEDS_REVIEW,
    (S.PENDING, M.CANCEL): S.CANCELLED,
    (S.DRAFT, M.CANCEL): S.CANCELLED,
    (S.NEEDS_REVIEW, M.RESEND): S.PENDING,
    (S.FAILED, M.RESEND): S.PENDING,
    (S.NEEDS_REVIEW, M.DROP): S.CANCELLED,
    (S.FAILED, M.DROP): S.CANCELLED,
    # The server took it, or it is in Sent: whatever the row said, it went.
    (S.PENDING, M.CONFIRM_SENT): S.SENT,
    (S.SENDING, M.CONFIRM_SENT): S.SENT,
    (S.DRAFT, M.CONFIRM_SENT): S.SENT,
    (S.NEEDS_REVIEW, M.CONFIRM_SENT): S.SENT,
    (S.FAILED, M.CONFIRM_SENT): S.SENT,
    (S.CANCELLED, M.CONFIRM_SENT): S.SENT,
}

ALL_PAIRS = list(itertools.product(Status, Move))


@pytest.mark.parametrize(("status", "step"), ALL_PAIRS, ids=lambda v: v.value)
def test_every_pair(status: Status, step: Move) -> None:
    if (status, step) in EXPECTED:
        assert allowed(status, step)
        assert transition(status, step) is EXPECTED[(status, step)]
    else:
        assert not allowed(status, step)
        with pytest.raises(IllegalMove) as caught:
            transition(status, step)
        assert caught.value.status is status and caught.value.move is step
        assert f"'{status.value}'" in str(caught.value) and f"'{step.value}'" in str(caught.value)


def test_table_has_nothing_unexpected() -> None:
    assert dict(MOVES) == EXPECTED


def test_each_move_has_one_target() -> None:
    # rows.move applies one move to rows in several statuses with a single UPDATE.
    for step in Move:
        assert len({EXPECTED[(s, step)] for s in Status if (s, step) in EXPECTED}) == 1, step


def test_sent_is_final() -> None:
    assert not any(allowed(S.SENT, m) for m in Move)
    with pytest.raises(IllegalMove, match="sent row is final"):
        transition(S.SENT, M.CANCEL)


def test_every_status_is_reachable_from_pending() -> None:
    seen, frontier = {S.PENDING}, [S.PENDING]
    while frontier:
        current = frontier.pop()
        for (status, _step), target in MOVES.items():
            if status is current and target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(Status)


def test_values_are_the_strings_in_the_database() -> None:
    # Existing rows, reports and tests hold these strings: the enums must equal them.
    assert [s.value for s in Status] == [
        "pending", "sending", "sent", "failed", "needs_review", "cancelled", "draft",
    ]  # fmt: skip
    assert [k.value for k in Kind] == [
        "outreach", "nudge", "thank_you", "update", "reply", "prep_sheet", "digest",
        "intro_request", "debrief_request",
    ]  # fmt: skip
    assert [m.value for m in Mode] == ["auto", "review"]
    assert transition("pending", "claim") is S.SENDING  # type: ignore[arg-type]


# --- on a real database ---------------------------------------------------------------------


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'moves.db'}")
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def _interview(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as s:
        account = ensure_account(s, slug="jo", name="Jo", email=USER, timezone="UTC", now=T0)
        contact = Contact(account_id=account.id, name="Ada", created_at=T0, updated_at=T0)
        s.add(contact)
        s.flush()
        s.add(ContactEmail(account_id=account.id, contact_id=contact.id, address=ADA,
                           is_primary=True, status="ok"))  # fmt: skip
        interview = Interview(account_id=account.id, contact_id=contact.id, state=State.HELD.value,
                              state_changed_at=T0, created_at=T0)  # fmt: skip
        s.add(interview)
        s.commit()
        return account.id, interview.id


def _row(factory: sessionmaker[Session], account_id: int, interview_id: int, status: Status) -> int:
    with factory() as s:
        row = new_row(
            account_id=account_id, interview_id=interview_id, kind=Kind.THANK_YOU,
            occurrence=f"test:{status.value}", sender=USER, to_addr=ADA, subject="Thanks",
            body_text="Thank you.", mode=Mode.AUTO, not_before=T0, now=T0,
        )  # fmt: skip
        s.add(row)
        s.flush()
        # Put there directly: the statuses a row can be in, however it got there.
        s.execute(update(Outbox).where(Outbox.id == row.id).values(status=status.value))
        s.commit()
        return row.id


def _snapshot(factory: sessionmaker[Session], row_id: int) -> tuple[object, ...]:
    with factory() as s:
        row = s.get(Outbox, row_id)
        assert row is not None
        return (row.status, row.last_error, row.not_before, row.sent_at, row.attempts)


def test_every_pair_on_the_database(factory: sessionmaker[Session]) -> None:
    """Each move, with its default statuses, on a row in each status: moved as the table says."""
    account_id, interview_id = _interview(factory)
    for status, step in ALL_PAIRS:
        row_id = _row(factory, account_id, interview_id, status)
        before = _snapshot(factory, row_id)
        with factory() as s:
            moved = move(s, step, Outbox.id == row_id, last_error=f"by {step.value}")
            s.commit()
        after = _snapshot(factory, row_id)
        if (status, step) in EXPECTED:
            assert moved == 1, (status, step)
            assert after[:2] == (EXPECTED[(status, step)].value, f"by {step.value}")
        else:
            assert moved == 0, (status, step)
            assert after == before, (status, step)
        with factory() as s:  # the next pair starts from a fresh row
            s.execute(delete(Outbox).where(Outbox.id == row_id))
            s.commit()


def test_every_forbidden_move_raises_and_changes_nothing(factory: sessionmaker[Session]) -> None:
    """Asked to leave a status the table forbids, the move refuses before writing anything."""
    account_id, interview_id = _interview(factory)
    forbidden = [p for p in ALL_PAIRS if p not in EXPECTED]
    assert len(forbidden) == len(Status) * len(Move) - len(EXPECTED)
    rows = {status: _row(factory, account_id, interview_id, status) for status in Status}
    before = {status: _snapshot(factory, row_id) for status, row_id in rows.items()}
    for status, step in forbidden:
        with factory() as s:
            with pytest.raises(IllegalMove, match=f"'{status.value}'"):
                move(s, step, Outbox.id == rows[status], frm=status, last_error="must not land")
            s.commit()
    assert {status: _snapshot(factory, row_id) for status, row_id in rows.items()} == before


def test_a_forbidden_status_among_allowed_ones_refuses_the_whole_move(
    factory: sessionmaker[Session],
) -> None:
    account_id, interview_id = _interview(factory)
    row_id = _row(factory, account_id, interview_id, S.PENDING)
    with factory() as s:
        with pytest.raises(IllegalMove):
            move(s, M.CANCEL, Outbox.id == row_id, frm=(S.PENDING, S.SENT), last_error="x")
        s.commit()
    assert _snapshot(factory, row_id)[0] == "pending"


def test_a_move_names_its_rows_and_never_sets_the_status_itself(
    factory: sessionmaker[Session],
) -> None:
    with factory() as s:
        with pytest.raises(ValueError, match="condition"):
            move(s, M.CANCEL, last_error="every row")
        with pytest.raises(ValueError, match="status"):
            move(s, M.CANCEL, Outbox.id == 1, status="sent")


def test_sources_are_the_table_rows() -> None:
    for step in Move:
        assert set(sources(step)) == {s for s in Status if (s, step) in EXPECTED}


# --- creation and Message-IDs -----------------------------------------------------------------


def test_a_new_row_is_pending_with_our_message_id(factory: sessionmaker[Session]) -> None:
    account_id, interview_id = _interview(factory)
    with factory() as s:
        row = new_row(
            account_id=account_id, interview_id=interview_id, kind="prep_sheet",
            occurrence="meeting:1:v1", sender="Jo@Example.NET", to_addr=USER, subject="Prep",
            body_text="b", mode="review", not_before=T0, now=T0, references=["<a@b>"],
        )  # fmt: skip
        s.add(row)
        s.commit()
        assert (row.status, row.kind, row.mode, row.attempts) == ("pending", "prep_sheet",
                                                                 "review", 0)  # fmt: skip
        assert row.references == ["<a@b>"]
        assert row.message_id.endswith("@example.net>") and is_our_message_id(row.message_id)
    with pytest.raises(ValueError, match="'letter'"):
        new_row(
            account_id=account_id, interview_id=interview_id, kind="letter", occurrence="x",
            sender=USER, to_addr=ADA, subject="s", body_text="b", mode="auto", not_before=T0,
            now=T0,
        )  # fmt: skip


@pytest.mark.parametrize("sender", [USER, "no-at-sign", "jo@bad_domain!", "jo@"])
def test_every_message_id_we_make_is_recognised_as_ours(sender: str) -> None:
    mid = new_message_id(sender)
    assert is_our_message_id(mid)
    assert sent_by_coffeechat(ParsedMail(message_id=mid))  # classify/rules.py agrees
    assert mid != new_message_id(sender)


# --- the inbox's Sent handling is conditional ----------------------------------------------


def test_seen_in_sent_does_not_overwrite_a_row_the_sender_moved_meanwhile(
    factory: sessionmaker[Session],
) -> None:
    account_id, interview_id = _interview(factory)
    row_id = _row(factory, account_id, interview_id, S.SENDING)
    smtp_time, copy_date = T0, T0 + timedelta(hours=3)
    with UnitOfWork(factory, account_id=account_id) as uow:
        row = uow.session.get(Outbox, row_id)  # the inbox sync has read it while 'sending'...
        assert row is not None and row.status == "sending"
        mark_sent(factory, account_id, row_id, smtp_time)  # ...the sender marks it meanwhile...
        fx = Effects.for_batch(uow, now=copy_date, ctx=ThreadContext(), user_addresses=frozenset())
        message = Message(
            account_id=account_id, message_id=row.message_id, direction="out", folder="Sent",
            date=copy_date, from_addr=USER, to_addrs=[ADA], subject="Thanks",
            kind=MessageKind.HUMAN.value, rule="test", recorded_at=copy_date,
        )  # fmt: skip
        uow.session.add(message)
        verdict = Verdict(MessageKind.HUMAN, "test", ParsedMail(message_id=row.message_id))
        apply_verdict(fx, message, verdict, outgoing=True)  # ...then sees its copy in Sent
        uow.commit()
    with factory() as s:
        stored = s.scalars(select(Outbox).where(Outbox.id == row_id)).one()
        assert stored.status == "sent"
        assert stored.sent_at == smtp_time  # the sender's record stands, not the copy's date


def test_seen_in_sent_marks_an_unsent_row_sent(factory: sessionmaker[Session]) -> None:
    account_id, interview_id = _interview(factory)
    row_id = _row(factory, account_id, interview_id, S.NEEDS_REVIEW)
    with UnitOfWork(factory, account_id=account_id) as uow:
        row = uow.session.get(Outbox, row_id)
        assert row is not None
        fx = Effects.for_batch(uow, now=T0, ctx=ThreadContext(), user_addresses=frozenset())
        message = Message(
            account_id=account_id, message_id=row.message_id, direction="out", folder="Sent",
            date=T0, from_addr=USER, to_addrs=[ADA], subject="Thanks",
            kind=MessageKind.HUMAN.value, rule="test", recorded_at=T0,
        )  # fmt: skip
        uow.session.add(message)
        verdict = Verdict(MessageKind.HUMAN, "test", ParsedMail(message_id=row.message_id))
        assert "outbox-sent" in apply_verdict(fx, message, verdict, outgoing=True)
        uow.commit()
    assert _snapshot(factory, row_id)[0::3] == ("sent", T0)


def test_every_kind_is_written_either_to_the_user_or_to_a_contact() -> None:
    from coffeechat.models.outbox.states import TO_CONTACT, TO_USER

    assert set(TO_USER) | set(TO_CONTACT) == set(Kind)
    assert not set(TO_USER) & set(TO_CONTACT)
    assert {Kind.PREP_SHEET, Kind.DIGEST} <= set(TO_USER)
