"""Promises kept and advice acted on: marked done once, told in one update, never undone.

On SQLite and PostgreSQL, through the real paths: ``store_debrief`` makes the items, ``mark_done``
is what ``coffeechat done`` calls, the follow-up planner writes the update.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from coffeechat.models.contacts.records import ensure_account
from coffeechat.models.debrief.fields import DebriefFields, PromiseMention
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.followups.promises import (
    ItemKind,
    ItemRefused,
    list_items,
    mark_done,
    open_promises,
    undo_done,
)
from coffeechat.models.store.tables import Advice, EventLog, Outbox, Promise
from tests.integration.followups.conftest import T0, World

LATER = T0 + timedelta(days=28)  # a Monday, past the update interval
DUE = date(2026, 3, 9)
MEETUPS = "try the community meetups"
MET = "I went to two and met Grace Hopper"


def _thanked(world: World, name: str, email: str) -> tuple[int, int]:
    """A contact met and thanked at T0; returns (contact id, meeting id)."""
    cid = world.contact(name, email)
    iid = world.interview(cid, "thanked", thread_subject="A quick question")
    mid = world.meeting(iid, cid, T0 - timedelta(hours=3))
    world.add(Outbox(account_id=world.account_id, interview_id=iid, kind="thank_you",
                     occurrence=f"meeting:{mid}:thanks", message_id=f"<thanks{mid}@example.com>",
                     status="sent", to_addr=email, subject="Re: A quick question",
                     body_text="Thank you", not_before=T0, created_at=T0,
                     sent_at=T0))  # fmt: skip
    return cid, mid


def _debrief(world: World, meeting: int, written: datetime, *, advice: tuple[str, ...] = (),
             promises: tuple[str, ...] = (), source: str = "") -> None:  # fmt: skip
    fields = DebriefFields(advice=advice, promises=tuple(PromiseMention(p, DUE) for p in promises))
    with world.uow() as uow:
        store_debrief(uow, meeting_id=meeting, fields=fields,
                      source=source or f"<{written:%H%M}@example.com>", written_at=written,
                      now=written)  # fmt: skip
        uow.commit()


def _done(world: World, ref: str, note: str = "", at: datetime = T0) -> bool:
    with world.uow() as uow:
        marked = mark_done(uow, ref, note, now=at)
        uow.commit()
        return marked.already


def _ref(world: World, text: str) -> str:
    with world.factory() as s:
        [item] = [i for i in list_items(s, world.account_id, status=None) if i.text == text]
        return item.ref


def test_kept_items_are_told_once_and_a_later_update_repeats_none(world: World) -> None:
    ada, meeting = _thanked(world, "Ada Lovelace", "ada@example.com")
    _debrief(world, meeting, T0 + timedelta(hours=1), advice=(MEETUPS, "learn dbt"),
             promises=("send her my portfolio by friday",))  # fmt: skip
    with world.factory() as s:
        assert [(i.ref[0], i.text) for i in list_items(s, world.account_id)] == [
            ("P", "send her my portfolio by friday"),
            ("A", MEETUPS),
            ("A", "learn dbt"),
        ]
    assert _done(world, _ref(world, MEETUPS), MET, T0 + timedelta(days=3)) is False
    assert _done(world, _ref(world, "send her my portfolio by friday"), "",
                 T0 + timedelta(days=4)) is False  # fmt: skip
    assert world.plan(LATER - timedelta(days=1)) == []  # news waits for the interval
    assert world.plan(LATER) == ["update"]
    [first] = world.rows("update")
    assert first.to_addr == "ada@example.com"
    assert f"You suggested I try the community meetups; {MET}." in first.body_text
    assert "what I said I would" not in first.body_text  # a promise without a note: no line
    assert "portfolio" not in first.body_text  # the promise's own text is private
    assert "dbt" not in first.body_text  # not acted on yet
    with world.factory() as s:
        told = s.scalars(select(Advice.reported_at).where(Advice.status == "done")).all()
        assert told == [LATER]
        assert s.scalars(select(Promise.reported_at)).all() == [LATER]
    assert world.plan(LATER + timedelta(days=60)) == []  # nothing new: no update at all

    _done(world, _ref(world, "learn dbt"), "Two courses in, and a small project",
          LATER + timedelta(days=61))  # fmt: skip
    assert world.plan(LATER + timedelta(days=63)) == ["update"]
    second = world.rows("update")[-1]
    assert "You suggested I learn dbt; Two courses in, and a small project." in second.body_text
    assert "meetups" not in second.body_text
    assert ada == world.get(Advice, 1).contact_id


def test_a_kept_item_goes_only_to_its_contact(world: World) -> None:
    _, ada_meeting = _thanked(world, "Ada Lovelace", "ada@example.com")
    _thanked(world, "Bob Babbage", "bob@example.net")
    _debrief(world, ada_meeting, T0 + timedelta(hours=1), advice=(MEETUPS,))
    _done(world, _ref(world, MEETUPS), MET, T0 + timedelta(days=1))
    assert world.plan(LATER) == ["update"]
    assert [r.to_addr for r in world.rows("update")] == ["ada@example.com"]


def test_done_is_idempotent_and_refuses_what_is_not_this_accounts(world: World) -> None:
    _, meeting = _thanked(world, "Ada Lovelace", "ada@example.com")
    _debrief(world, meeting, T0 + timedelta(hours=1), promises=("send the deck",))
    ref = _ref(world, "send the deck")
    assert _done(world, ref, "Sent it", T0 + timedelta(days=1)) is False
    assert _done(world, ref, "Sent it", T0 + timedelta(days=2)) is True
    assert _done(world, ref, "", T0 + timedelta(days=2)) is True  # no note: the old one stays
    with world.factory() as s:
        [row] = s.scalars(select(Promise)).all()
        assert (row.status, row.done_note, row.done_at) == (
            "done",
            "Sent it",
            T0 + timedelta(days=1),
        )
        kept = s.scalars(select(EventLog.payload).where(EventLog.type == "PromiseKept")).all()
        assert kept == [{"kind": "promise", "ref": ref, "text": "send the deck", "note": "Sent it"}]
        assert s.scalars(select(EventLog.id).where(EventLog.type == "PromiseRevised")).all() == []
        assert open_promises(s, world.account_id) == []
        other = ensure_account(s, slug="kim", name="Kim", email="kim@example.org",
                               timezone="UTC", now=T0)  # fmt: skip
        s.commit()
        other_id = other.id
    with pytest.raises(ItemRefused, match="no promise P999"):
        _done(world, "P999")
    with pytest.raises(ItemRefused, match="no advice A1"):
        _done(world, "A1")
    _debrief(world, meeting, T0 + timedelta(hours=2), promises=("send the deck", "call"))
    with pytest.raises(ItemRefused, match="at most 1000"):
        _done(world, _ref(world, "call"), "x" * 1001)
    assert _ref(world, "send the deck") == ref  # repeated by the newer answer: same row, done
    with world.uow() as uow, pytest.raises(ItemRefused, match="belongs to another account"):
        uow.account_id = other_id
        mark_done(uow, ref, now=T0)


@pytest.mark.parametrize("order", ["older answer first", "newer answer first"])
def test_a_newer_answer_never_undoes_what_is_done_in_either_order(world: World, order: str) -> None:
    _, meeting = _thanked(world, "Ada Lovelace", "ada@example.com")
    older = (
        T0 + timedelta(hours=1),
        (MEETUPS, "read Shape Up"),
        ("send the deck", "draft a case study"),
    )
    newer = (T0 + timedelta(hours=2), ("Try the community meetups.",),
             ("Send the deck", "ask Bob for an intro"))  # fmt: skip
    answers = [older, newer] if order == "older answer first" else [newer, older]
    for n, (written, advice, promises) in enumerate(answers):
        _debrief(world, meeting, written, advice=advice, promises=promises)
        if n == 0:  # the user acts between the two answers
            _done(world, _ref(world, promises[0]), "Sent it", T0 + timedelta(hours=3))
            _done(world, _ref(world, advice[0]), MET, T0 + timedelta(hours=3))
    with world.factory() as s:
        state = sorted(
            (i.kind.value, i.text.casefold().rstrip("."), i.status, i.note)
            for i in list_items(s, world.account_id, status=None)
        )
    assert state == [
        ("advice", MEETUPS, "done", MET),
        ("promise", "ask bob for an intro", "open", ""),
        ("promise", "send the deck", "done", "Sent it"),
    ]


def test_a_done_item_the_newer_answer_drops_stays_done_and_repeated_ones_keep_their_id(
    world: World,
) -> None:
    _, meeting = _thanked(world, "Ada Lovelace", "ada@example.com")
    _debrief(world, meeting, T0 + timedelta(hours=1), advice=(MEETUPS, "learn dbt"),
             promises=("send the deck", "draft a case study"))  # fmt: skip
    deck, dbt = _ref(world, "send the deck"), _ref(world, "learn dbt")
    _done(world, _ref(world, MEETUPS), MET, T0 + timedelta(hours=2))
    _debrief(world, meeting, T0 + timedelta(hours=3), advice=("Learn dbt.",),
             promises=("send  the deck",))  # fmt: skip
    with world.factory() as s:
        items = list_items(s, world.account_id, status=None)
    assert sorted((i.ref, i.text, i.status) for i in items) == sorted([
        (deck, "send  the deck", "open"), (dbt, "Learn dbt.", "open"),  # the newer words
        (_ref(world, MEETUPS), MEETUPS, "done"),
    ])  # fmt: skip
    assert [i.kind for i in items] == [ItemKind.PROMISE, ItemKind.ADVICE, ItemKind.ADVICE]


def test_a_line_a_note_already_says_is_not_written_twice(world: World) -> None:
    ada, meeting = _thanked(world, "Ada Lovelace", "ada@example.com")
    _debrief(world, meeting, T0 + timedelta(hours=1), promises=("send the deck",))
    _done(world, _ref(world, "send the deck"), "Sent the deck over", T0 + timedelta(days=1))
    world.note(ada, "sent the deck over.", T0 + timedelta(days=2), True)
    assert world.plan(LATER) == ["update"]
    [row] = world.rows("update")
    assert row.body_text.casefold().count("sent the deck over") == 1
    assert world.get(Promise, 1).reported_at == LATER  # told, by the note's words


def test_a_note_changes_and_a_done_is_undone_only_until_an_update_tells_it(world: World) -> None:
    _, meeting = _thanked(world, "Ada Lovelace", "ada@example.com")
    _debrief(world, meeting, T0 + timedelta(hours=1), advice=(MEETUPS, "learn dbt"))
    meetups, dbt = _ref(world, MEETUPS), _ref(world, "learn dbt")
    _done(world, meetups, "I went once", T0 + timedelta(days=1))
    assert _done(world, meetups, MET, T0 + timedelta(days=2)) is True  # edited, still done
    _done(world, dbt, "Two courses in", T0 + timedelta(days=2))
    with world.uow() as uow:
        assert undo_done(uow, dbt, now=T0 + timedelta(days=3)).status == "open"
        uow.commit()
    with world.factory() as s:
        revised = s.scalars(select(EventLog.payload).where(EventLog.type == "PromiseRevised"))
        assert list(revised) == [{"ref": meetups, "change": "note", "note": MET},
                                 {"ref": dbt, "change": "undone", "note": ""}]  # fmt: skip
    assert world.plan(LATER) == ["update"]
    [row] = world.rows("update")
    assert MET in row.body_text and "dbt" not in row.body_text
    assert "I went once" not in row.body_text
    with world.uow() as uow:
        with pytest.raises(ItemRefused, match=r"is in Ada Lovelace's update going out on .*stays"):
            mark_done(uow, meetups, "another note", now=LATER)
        with pytest.raises(ItemRefused, match="it stays done"):
            undo_done(uow, meetups, now=LATER)


def test_advice_guessed_from_prose_under_no_heading_is_no_item(world: World) -> None:
    # "She told me to apply before March, the team is chaos" read from heading-less prose is a
    # guess: no `done` item, so no update ever says it back to Ada in those words.
    _, mid = _thanked(world, "Ada Lovelace", "ada@example.com")
    guess = "apply before March, the team is chaos right now"
    fields = DebriefFields(advice=(MEETUPS, guess), unheaded_advice=(guess,))
    with world.uow() as uow:
        store_debrief(uow, meeting_id=mid, fields=fields, source="<p@example.com>",
                      written_at=T0, now=T0)  # fmt: skip
        uow.commit()
    with world.factory() as s:
        assert [a.text for a in s.scalars(select(Advice))] == [MEETUPS]
