"""A debrief is a function of the answers' facts, not of the order they are read in.

The request's copy in Sent, two answers from the user (the later Date wins), a stranger's reply
naming the request and the user's own auto-reply, read in every order through the real
recording path (``classify`` then ``record_batch``), end in the same debrief, promises, advice,
outbox and event kinds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime
from itertools import permutations
from typing import Any

from sqlalchemy import select

from coffeechat.models.classify import classify
from coffeechat.models.debrief.request import plan_debriefs
from coffeechat.models.followups.first_run import mark_connected
from coffeechat.models.inbox.record import InboundItem, record_batch
from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import Move
from coffeechat.models.store.db import session_factory
from coffeechat.models.store.tables import Advice, Debrief, EventLog, Message, Outbox, Promise
from coffeechat.models.store.uow import UnitOfWork
from tests.property.facts import NOW, PEOPLE, USERS, Scratch, _calendar, event
from tests.simulation.scenario import USER

ADA = PEOPLE[0]
ENDED = NOW - timedelta(hours=3)


def _raw(sender: str, mid: str, parent: str | None, when: datetime, body: str,
         extra: str = "") -> bytes:  # fmt: skip
    thread = f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n" if parent else ""
    return (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: Re: How did it go with Ada Lovelace?\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: {mid}\r\n{thread}{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")
    ).encode()


def _mails(request_id: str) -> list[tuple[str, bytes]]:
    t = ENDED + timedelta(hours=1)
    return [
        ("Sent", _raw(USER, request_id, None, ENDED, "How did it go?")),
        ("INBOX", _raw(USER, "<a1@example.net>", request_id, t,
                       "Their advice: meetups\nWhat I promised: CV by friday\n")),
        ("INBOX", _raw(USER, "<a2@example.net>", request_id, t + timedelta(minutes=30),
                       "Their advice: meetups and talks\n")),
        ("INBOX", _raw("Eve <eve@example.org>", "<e1@example.org>", request_id, t,
                       "Their advice: wire me money\n")),
        ("INBOX", _raw(USER, "<ooo@example.net>", request_id, t + timedelta(hours=1),
                       "I am away until Monday.\n",
                       "Auto-Submitted: auto-replied\r\n")),
    ]  # fmt: skip


def _run(db: Scratch, order: tuple[int, ...]) -> dict[str, Any]:
    db.reset()
    factory = session_factory(db.engine)
    try:
        with UnitOfWork(factory, account_id=1) as uow:
            _calendar(uow, event(ADA, ENDED - timedelta(minutes=30), 30, 0, cancelled=False),
                      NOW - timedelta(hours=1))  # fmt: skip
            mark_connected(uow, NOW - timedelta(days=30))
            plan_debriefs(uow, now=NOW - timedelta(hours=1), reminder_hours=24,
                          first_run_horizon_hours=24, render=lambda name, _c: name)  # fmt: skip
            # The sender sent it (an answer can only follow a request that went out).
            move(uow.session, Move.CONFIRM_SENT, Outbox.id.is_not(None), sent_at=ENDED)
            uow.commit()
        with factory() as s:
            request_id = s.scalars(select(Outbox.message_id)).one()
        mails = _mails(request_id)
        for n, i in enumerate(order):
            folder, raw = mails[i]
            now = NOW + timedelta(seconds=n)
            with UnitOfWork(factory, account_id=1) as uow:
                item = InboundItem(n + 1, classify(raw, today=now.date()), "t", raw_id_seed=raw)
                record_batch(uow, folder=folder, outgoing=folder == "Sent", uidvalidity=1,
                             last_uid=n + 1, items=[item], counted=0, user_addresses=USERS,
                             now=now)  # fmt: skip
                uow.commit()
        with UnitOfWork(factory, account_id=1) as uow:
            plan_debriefs(uow, now=NOW + timedelta(days=2), reminder_hours=24,
                          first_run_horizon_hours=24, render=lambda name, _c: name)  # fmt: skip
            uow.commit()
        with factory() as s:
            return {
                "debriefs": [(d.source_message_id, d.written_at, d.fields)
                             for d in s.scalars(select(Debrief))],
                "promises": sorted((p.text, p.due, p.status) for p in s.scalars(select(Promise))),
                "advice": sorted((a.text, a.status) for a in s.scalars(select(Advice))),
                "outbox": sorted((o.occurrence, o.status) for o in s.scalars(select(Outbox))),
                "refused": sorted(e.payload["message_id"] for e in s.scalars(
                    select(EventLog).where(EventLog.type == "DebriefRefused"))),
                "replies": sorted(m.message_id for m in s.scalars(
                    select(Message).where(Message.contact_id.is_not(None)))),
            }  # fmt: skip
    finally:
        db.engine.dispose()


def test_every_reading_order_gives_the_same_debrief(databases: tuple[Scratch, Scratch]) -> None:
    db = databases[0]
    expected = _run(db, (0, 1, 2, 3, 4))
    [(source, _when, fields)] = expected["debriefs"]
    assert source == "<a2@example.net>" and fields["advice"] == ["meetups and talks"]
    assert expected["promises"] == []  # the newer answer replaced the older one's promise
    assert expected["advice"] == [("meetups and talks", "open")]
    assert expected["outbox"] == [("meeting:1:debrief", "sent")]  # answered: no reminder
    assert expected["refused"] == ["<e1@example.org>", "<ooo@example.net>"]
    assert expected["replies"] == []  # none of it is a reply from Ada
    for order in permutations(range(5)):
        if order != (0, 1, 2, 3, 4):
            assert _run(db, order) == expected, order
