"""The order failures named in issue 12, each read both ways, with the outcome spelled out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from coffeechat.models.interviews.moves import open_interview
from coffeechat.models.store.db import session_factory
from coffeechat.models.store.tables import Contact, Outbox
from coffeechat.models.store.uow import UnitOfWork
from tests.property.facts import (
    NOW,
    PEOPLE,
    Facts,
    Scratch,
    Step,
    auto_reply,
    bounce,
    event,
    outreach,
    reply,
    run,
    thanks,
)
from tests.simulation.mailgen import vcalendar

ADA = PEOPLE[0]
# The meeting ended 3.5 hours before the first run reads everything.
END = NOW - timedelta(hours=3, minutes=30)
MEETING = vcalendar([event(ADA, END - timedelta(minutes=30), 30, 0, cancelled=False)])


def both_ways(facts: Facts, databases: tuple[Scratch, Scratch]) -> dict[str, Any]:
    """Read Sent, INBOX, calendar and then calendar, INBOX, Sent: one outcome, returned."""
    sent = tuple(i for i, m in enumerate(facts.mails) if m.folder == "Sent")
    inbox = tuple(i for i, m in enumerate(facts.mails) if m.folder == "INBOX")
    mail: list[Step] = [(f, ids) for f, ids in (("Sent", sent), ("INBOX", inbox)) if ids]
    cal: list[Step] = [("calendar", (j,)) for j in range(len(facts.calendar))]
    first = run(facts, [*mail, *cal], databases[0])
    second = run(facts, [*cal, *reversed(mail)], databases[1])
    assert first == second
    return first


def ada(snapshot: dict[str, Any]) -> tuple[Any, ...]:
    """Ada's only interview: (state, outreach Message-ID, subject, paused until, reason)."""
    (interview,) = snapshot["contacts"][ADA.name]["interviews"]
    return tuple(interview)


def test_outreach_before_the_meeting_is_not_a_thank_you(
    databases: tuple[Scratch, Scratch],
) -> None:
    """Sent holds the outreach of a week before; whatever is read first, a thank-you is due."""
    facts = Facts((outreach(ADA, NOW - timedelta(days=7), 0),), (MEETING,))
    snapshot = both_ways(facts, databases)
    assert ada(snapshot)[:2] == ("held", "<out0.ada@mail.example>")
    assert [(o[0], o[1], o[3]) for o in snapshot["outbox"]] == [("thank_you", "pending", ADA.email)]


def test_mail_after_the_meeting_is_the_users_thank_you(
    databases: tuple[Scratch, Scratch],
) -> None:
    """The user wrote after the meeting ended: thanked, and nothing of ours is queued."""
    mails = (outreach(ADA, NOW - timedelta(days=7), 0), thanks(ADA, END + timedelta(hours=1), 0))
    snapshot = both_ways(Facts(mails, (MEETING,)), databases)
    assert ada(snapshot)[0] == "thanked"
    assert snapshot["outbox"] == []


def test_a_reply_counts_for_the_outreach_it_answers(databases: tuple[Scratch, Scratch]) -> None:
    """A reply read before the outreach it answers still counts; an older one never does."""
    sent = outreach(ADA, NOW - timedelta(days=3), 0)
    later = reply(ADA, NOW - timedelta(days=2), 0, optout=False, threaded=True)
    older = reply(ADA, NOW - timedelta(days=4), 1, optout=False, threaded=False)
    assert ada(both_ways(Facts((sent, later), ()), databases))[0] == "replied"
    assert ada(both_ways(Facts((sent, older), ()), databases))[0] == "requested"


def test_a_bounce_of_an_older_mail_does_not_close_a_newer_request(
    databases: tuple[Scratch, Scratch],
) -> None:
    """Mail bounced four days ago; the user wrote again yesterday: still requested."""
    mails = (
        outreach(ADA, NOW - timedelta(days=5), 0),
        bounce(ADA, NOW - timedelta(days=4), 0),
        outreach(ADA, NOW - timedelta(days=1), 1),
    )
    snapshot = both_ways(Facts(mails, ()), databases)
    assert ada(snapshot)[0] == "requested"
    assert snapshot["contacts"][ADA.name]["emails"] == [(ADA.email, "bounced")]


def test_the_pause_follows_the_latest_auto_reply_unless_they_wrote_since(
    databases: tuple[Scratch, Scratch],
) -> None:
    """Two out-of-office notices read newest first: the newer one's return date holds."""
    older, newer = NOW - timedelta(days=3), NOW - timedelta(days=1)
    mails = (
        outreach(ADA, NOW - timedelta(days=5), 0),
        auto_reply(ADA, newer, newer.date() + timedelta(days=6), 1),
        auto_reply(ADA, older, older.date() + timedelta(days=2), 0),
    )
    paused = ada(both_ways(Facts(mails, ()), databases))[3]
    assert paused is not None and paused.date() >= newer.date() + timedelta(days=5)
    wrote = reply(ADA, NOW - timedelta(hours=2), 0, optout=False, threaded=True)
    assert ada(both_ways(Facts((*mails, wrote), ()), databases))[3] is None


def test_a_meeting_that_ended_before_our_outreach_went_is_not_its_meeting(
    databases: tuple[Scratch, Scratch],
) -> None:
    """coffeechat asked Ada for a conversation an hour ago; yesterday's meeting is an older one."""
    db = databases[0]
    db.reset()
    factory = session_factory(db.engine)
    with UnitOfWork(factory, account_id=1) as uow:
        contact = uow.session.scalars(select(Contact).where(Contact.name == ADA.name)).one()
        interview = open_interview(uow, contact, now=NOW)
        interview.state = "requested"
        uow.session.add(
            Outbox(
                account_id=1, interview_id=interview.id, kind="outreach", occurrence="outreach",
                message_id="<ours@seeker.example>", status="sent", to_addr=ADA.email,
                subject="Coffee?", body_text="Hi", not_before=NOW - timedelta(hours=2),
                created_at=NOW - timedelta(hours=2), sent_at=NOW - timedelta(hours=1),
            )
        )  # fmt: skip
        uow.commit()
    yesterday = NOW - timedelta(days=1)
    facts = Facts((), (vcalendar([event(ADA, yesterday, 30, 0, cancelled=False)]),))
    snapshot = run(facts, [("calendar", (0,))], db, reset=False)
    assert ada(snapshot)[0] == "requested"
    ((_, interview_of, *_),) = snapshot["meetings"].values()
    assert interview_of is None
