"""People named without an address: referrals from a debrief, kept once, completed later.

Over a real database (SQLite and PostgreSQL): a debrief's name-only people become proposed
referrals, several per introducer, none twice however often the answer is read; an address
given later (a later debrief, or the introducer's answer to an introduction request) completes
the referral instead of making a second one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coffeechat.models.contacts.referrals import accept, propose
from coffeechat.models.debrief.fields import DebriefFields, PersonMention
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.followups.introductions import answered_introduction, ask_introduction
from coffeechat.models.store.tables import Contact, ContactEmail, Outbox, Referral
from tests.integration.followups.conftest import T0, USER, World, txt

PEOPLE = DebriefFields(
    people=(
        PersonMention("Mary Somerville"),
        PersonMention("Grace Hopper", note="runs the compiler team"),
        PersonMention("Charles Babbage", "Babbage@Engines.example"),
    )
)


def _store(world: World, meeting: int, fields: DebriefFields, source: str, hours: int) -> None:
    at = T0 + timedelta(hours=hours)
    with world.uow() as uow:
        store_debrief(uow, meeting_id=meeting, fields=fields, source=source, written_at=at,
                      now=at)  # fmt: skip
        uow.commit()


def _refs(world: World) -> list[tuple[str, str | None, str, str]]:
    with world.factory() as s:
        rows = s.scalars(select(Referral).order_by(Referral.id)).all()
        return [(r.name, r.address, r.status, r.origin) for r in rows]


def _id(world: World, name: str) -> int:
    with world.factory() as s:
        return s.scalars(select(Referral.id).where(Referral.name == name)).one()


def _ada(world: World) -> tuple[int, int, int]:
    ada = world.contact("Ada Lovelace", "ada@example.com")
    iid = world.interview(ada, "held", thread_subject="A quick question")
    return ada, iid, world.meeting(iid, ada, T0)


def test_a_debriefs_name_only_people_become_referrals_once(world: World) -> None:
    ada, _, meeting = _ada(world)
    _store(world, meeting, PEOPLE, "<a1@x>", 1)
    expected = [
        ("Mary Somerville", None, "proposed", "debrief"),
        ("Grace Hopper", None, "proposed", "debrief"),
        ("Charles Babbage", "babbage@engines.example", "proposed", "debrief"),
    ]
    assert _refs(world) == expected
    _store(world, meeting, PEOPLE, "<a1@x>", 1)  # the same answer read again
    _store(world, meeting, PEOPLE, "<a2@x>", 2)  # a newer answer naming the same people
    assert _refs(world) == expected
    # One the user accepted stays (linked by name), and the next answer does not copy it.
    with world.uow() as uow:
        accept(uow, _id(world, "Mary Somerville"), now=T0 + timedelta(hours=3))
        uow.commit()
    _store(world, meeting, PEOPLE, "<a3@x>", 4)
    assert sorted(_refs(world)) == sorted([("Mary Somerville", None, "approved", "debrief"),
                                           *expected[1:]])  # fmt: skip
    with world.factory() as s:
        mary = s.scalars(select(Contact).where(Contact.name == "Mary Somerville")).one()
        assert mary.introduced_by_id == ada


def test_a_newer_answer_keeps_the_numbers_of_the_people_it_names_again(world: World) -> None:
    # `referrals accept 3` is typed from a listing: a newer answer must not renumber it.
    _, _, meeting = _ada(world)
    _store(world, meeting, PEOPLE, "<a1@x>", 1)
    before = {name: _id(world, name) for name in ("Grace Hopper", "Charles Babbage")}
    fewer = DebriefFields(people=PEOPLE.people[1:])  # Mary is no longer named
    _store(world, meeting, fewer, "<a2@x>", 2)
    assert {name: _id(world, name) for name in before} == before
    assert [name for name, *_ in _refs(world)] == ["Grace Hopper", "Charles Babbage"]


def test_a_name_given_by_hand_first_is_the_same_referral(world: World) -> None:
    ada, _, meeting = _ada(world)
    with world.uow() as uow:
        propose(uow, ada, "grace  hopper", company="Navy", now=T0)
        uow.commit()
    _store(world, meeting, PEOPLE, "<a1@x>", 1)
    names = [name for name, *_ in _refs(world)]
    assert names == ["grace hopper", "Mary Somerville", "Charles Babbage"]


def test_an_address_given_later_completes_the_name_only_referral(world: World) -> None:
    ada, iid, first = _ada(world)
    _store(world, first, DebriefFields(people=(PersonMention("Mary Somerville"),)), "<a@x>", 1)
    with world.uow() as uow:  # accepted by name: a contact without an address
        accept(uow, _id(world, "Mary Somerville"), now=T0 + timedelta(hours=2))
        uow.commit()
    second = world.meeting(iid, ada, T0 + timedelta(days=7))
    later = DebriefFields(people=(PersonMention("mary somerville", "mary@example.org"),))
    _store(world, second, later, "<b@x>", 24 * 7 + 1)
    assert _refs(world) == [("Mary Somerville", "mary@example.org", "approved", "debrief")]
    with world.factory() as s:
        [owner] = s.scalars(
            select(ContactEmail.contact_id).where(ContactEmail.address == "mary@example.org")
        ).all()
        assert s.get(Contact, owner).name == "Mary Somerville"  # type: ignore[union-attr]


def _asked(world: World, ada: int) -> Outbox:
    with world.uow() as uow:
        ref = propose(uow, ada, "Grace Hopper", company="Navy", now=T0)
        row = ask_introduction(
            uow,
            ref.id,
            now=T0,
            cadence=world.cadence,
            mode=world.modes.intro_request,
            user_email=USER,
            render=txt,
        )
        uow.commit()  # fmt: skip
        return row


def test_the_introducers_answer_completes_the_referral_it_was_asked_about(world: World) -> None:
    ada, _, _ = _ada(world)
    row = _asked(world, ada)
    assert row.message_id
    thread = [row.message_id, "<older@x>"]
    with world.uow() as uow:
        s = uow.session
        assert answered_introduction(s, world.account_id, ada, thread, []) is None
        two = ["grace@navy.example", "other@navy.example"]
        assert answered_introduction(s, world.account_id, ada, thread, two) is None
        stranger = world.contact("Eve", "eve@example.org")
        assert answered_introduction(s, world.account_id, stranger, thread, two[:1]) is None
        assert answered_introduction(s, world.account_id, ada, ["<x@y>"], two[:1]) is None
        done = answered_introduction(s, world.account_id, ada, thread, ["Grace@Navy.example"])
        grace = _id(world, "Grace Hopper")
        assert done is not None and (done.id, done.address) == (grace, "grace@navy.example")
        again = answered_introduction(s, world.account_id, ada, thread, ["grace@navy.example"])
        assert again is not None and again.id == grace
        uow.commit()
    assert _refs(world) == [("Grace Hopper", "grace@navy.example", "proposed", "manual")]
