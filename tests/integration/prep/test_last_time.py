"""A later meeting's "last time" section read from the debrief store, over a real database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.prep_sheets import make_prep_sheet
from coffeechat.models.contacts.referrals import accept
from coffeechat.models.debrief.fields import DebriefFields, PersonMention, PromiseMention
from coffeechat.models.debrief.store import store_debrief
from coffeechat.models.prep.context import Recap
from coffeechat.models.prep.history import last_time_lines
from coffeechat.models.prep.last_time import BUDGET
from coffeechat.models.store.events import EmailSent, ReplyReceived
from coffeechat.models.store.tables import Meeting, Note, Outbox, PrepSheet, Promise, Referral
from coffeechat.models.store.uow import UnitOfWork
from tests.integration.prep.test_prep_sheets import START, app, book

__all__ = ["app"]

BERLIN = ZoneInfo("Europe/Berlin")
SECOND = START + timedelta(days=14)  # Tue 17 Mar 2026
NOW = SECOND - timedelta(days=1)
FIELDS = DebriefFields(
    learned=("They hire twice a year.", "The team is eight people, two of them juniors."),
    advice=("Try the community meetups.",),
    people=(PersonMention("Mary Somerville", "mary@example.org"),),
    promises=(
        PromiseMention("Send Ada my portfolio", date(2026, 3, 5)),
        PromiseMention("Read the hiring blog post"),
        PromiseMention("Ask Mary about the spring round", date(2026, 3, 20)),
    ),
    next_step=("Apply in April",),
)


def _meeting(
    app: App, contact_id: int, start: datetime, uid: str, summary: str, interview: int | None = None
) -> int:
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        m = Meeting(
            account_id=app.account_id, contact_id=contact_id, interview_id=interview,
            source="feed", uid=uid,
            recurrence_id="", start_utc=start, end_utc=start + timedelta(minutes=30),
            timezone="Europe/Berlin", summary=summary, location="", version=1,
            first_seen_at=start, last_seen_at=start,
        )  # fmt: skip
        uow.session.add(m)
        uow.commit()
        return m.id


def _debrief(app: App, meeting_id: int, fields: DebriefFields, at: datetime) -> None:
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        store_debrief(uow, meeting_id=meeting_id, fields=fields, source=f"<d{at:%s}@x>",
                      written_at=at, now=at)  # fmt: skip
        uow.commit()


def _section(app: App, contact_id: int, now: datetime = NOW) -> tuple[Recap, ...]:
    with app.factory() as s:
        return last_time_lines(s, contact_id, SECOND, now, BERLIN)


def _parts(recaps: tuple[Recap, ...]) -> dict[str, tuple[str, ...]]:
    return {r.title: r.lines for r in recaps}


def _contact_of(app: App, meeting_id: int) -> int:
    with app.factory() as s:
        m = s.get(Meeting, meeting_id)
        assert m is not None and m.contact_id is not None
        return m.contact_id


def test_opens_with_the_debrief_then_open_promises_then_what_happened(app: App) -> None:
    first = book(app)
    ada = _contact_of(app, first)
    end = START + timedelta(minutes=30)
    _debrief(app, first, FIELDS, end + timedelta(hours=1))
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        s = uow.session
        ref = s.scalars(select(Referral).where(Referral.from_contact_id == ada)).one()
        _, mary, _ = accept(uow, ref.id, now=end + timedelta(days=1))
        kept = s.scalars(select(Promise).where(Promise.text == "Read the hiring blog post")).one()
        kept.status = "done"
        uow.record(
            EmailSent(
                occurred_at=end + timedelta(hours=3),
                contact_id=ada,
                kind="thank_you",
                message_id="<t@x>",
                to="ada@example.com",
            )
        )
        uow.record(ReplyReceived(occurred_at=end + timedelta(days=2), contact_id=ada,
                                 message_id="<r@x>", rule="t"))  # fmt: skip
        s.add(Note(account_id=app.account_id, contact_id=ada, text="Went to a meetup.",
                   for_update=True, created_at=end + timedelta(days=4)))  # fmt: skip
        uow.commit()
        mary_id = mary.id
    _meeting(app, mary_id, START + timedelta(days=6), "mary", "Coffee with Mary")

    parts = _parts(_section(app, ada))
    assert parts[""] == ("You last met on Tue 3 Mar 2026 (Coffee).",)
    assert parts["What you learned"] == FIELDS.learned
    assert parts["Their advice"] == ("Try the community meetups.",)
    assert parts["Your open promises to them"] == (
        "Send Ada my portfolio (OVERDUE: it was due Thu 5 Mar 2026, 11 days ago; "
        f"when done: coffeechat done P{_promise_id(app, 'Send Ada my portfolio')})",
        "Ask Mary about the spring round (due Fri 20 Mar 2026; when done: coffeechat done "
        f"P{_promise_id(app, 'Ask Mary about the spring round')})",
    )
    assert parts["Since then"] == (
        "You did what you promised: Read the hiring blog post",
        "On Tue 3 Mar 2026 your thank-you went.",
        "They wrote to you on Thu 5 Mar 2026.",
        "News for your next update (Sat 7 Mar 2026): Went to a meetup.",
        "You met Mary Somerville, whom they introduced, on Mon 9 Mar 2026; coffeechat's next "
        "update to them tells them so.",
    )
    text = "\n".join(line for p in _section(app, ada) for line in p.lines)
    assert "Apply in April" not in text  # the next step is the user's, not last time's news


def test_the_sheet_itself_shows_the_section(app: App) -> None:
    first = book(app)
    ada = _contact_of(app, first)
    _debrief(app, first, FIELDS, START + timedelta(hours=2))
    with app.factory() as s:
        m1 = s.get(Meeting, first)
        assert m1 is not None
    second = _meeting(app, ada, SECOND, "m2", "Coffee 2", m1.interview_id)
    made = make_prep_sheet(app, second, NOW)
    assert made is not None
    with app.factory() as s:
        sheet = s.get(PrepSheet, made)
        assert sheet is not None and sheet.outbox_id is not None
        body = s.get(Outbox, sheet.outbox_id)
        assert body is not None
    section = body.body_text.split("LAST TIME", 1)[1].split("WHO", 1)[0]
    assert "  What you learned\n    - They hire twice a year.\n" in section
    assert "  Their advice\n    - Try the community meetups.\n" in section
    assert "OVERDUE: it was due Thu 5 Mar 2026" in section


def test_no_debrief_says_so_and_names_the_command(app: App) -> None:
    first = book(app)
    ada = _contact_of(app, first)
    recaps = _section(app, ada)
    assert recaps[0].lines == (
        "You last met on Tue 3 Mar 2026 (Coffee). You recorded no debrief of it "
        '(coffeechat debrief "Ada Lovelace" adds one).',
    )
    assert [r.title for r in recaps] == [""]


def test_a_debrief_stored_after_the_sheet_time_is_not_on_it(app: App) -> None:
    first = book(app)
    ada = _contact_of(app, first)
    _debrief(app, first, FIELDS, NOW + timedelta(hours=1))
    parts = _parts(_section(app, ada))
    assert "What you learned" not in parts and "Your open promises to them" not in parts
    assert "What you learned" in _parts(_section(app, ada, NOW + timedelta(hours=2)))


def test_bounded_whatever_the_store_holds(app: App) -> None:
    first = book(app)
    ada = _contact_of(app, first)
    long = "word " * 400
    fields = DebriefFields(
        learned=tuple(f"{i} {long}" for i in range(300)),
        advice=tuple(f"advice {i} {long}" for i in range(300)),
        promises=tuple(PromiseMention(f"p{i} {long}", date(2026, 3, 4)) for i in range(120)),
    )
    _debrief(app, first, fields, START + timedelta(hours=1))
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        for i in range(200):
            at = START + timedelta(hours=2, minutes=i)
            uow.record(
                ReplyReceived(occurred_at=at, contact_id=ada, message_id=f"<r{i}@x>", rule="t")
            )
            uow.session.add(Note(account_id=app.account_id, contact_id=ada, text=f"n{i} {long}",
                                 for_update=False, created_at=START))  # fmt: skip
        uow.commit()
    recaps = _section(app, ada)
    size = sum(len(r.title) + sum(len(line) for line in r.lines) for r in recaps)
    assert size <= BUDGET + 60  # the cut's own line
    assert sum(len(r.lines) for r in recaps) <= 30
    parts = _parts(recaps)
    assert parts["What you learned"][-1] == "(and 297 more)"
    assert (
        parts["Your open promises to them"][-1]
        == "(and 116 more open: coffeechat status lists them)"
    )
    assert all(len(line) <= 400 for r in recaps for line in r.lines)


def test_mail_on_one_day_is_one_line_with_its_count(app: App) -> None:
    first = book(app)
    ada = _contact_of(app, first)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        for i in range(150):
            at = START + timedelta(hours=2, minutes=i)
            uow.record(ReplyReceived(occurred_at=at, contact_id=ada, message_id=f"<r{i}@x>",
                                     rule="t"))  # fmt: skip
        uow.record(
            EmailSent(
                occurred_at=START + timedelta(days=1),
                contact_id=ada,
                kind="update",
                message_id="<u@x>",
                to="ada@example.com",
            )
        )
        uow.commit()  # fmt: skip
    assert _parts(_section(app, ada))["Since then"] == (
        "They wrote to you on Tue 3 Mar 2026 (150 times).",
        "On Wed 4 Mar 2026 your update went.",
    )


def _promise_id(app: App, text: str) -> int:
    with app.factory() as s:
        return s.scalars(select(Promise.id).where(Promise.text == text)).one()
