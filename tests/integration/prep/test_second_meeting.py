"""A second meeting's sheet over a real database: last time's notes and mail, no question twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.prep_sheets import make_prep_sheet
from coffeechat.models.store.events import EmailSent, NoteAdded
from coffeechat.models.store.tables import Meeting, Note, Outbox, PrepSheet
from coffeechat.models.store.uow import UnitOfWork
from tests.integration.prep.test_prep_sheets import NOW, START, app, book

__all__ = ["app"]  # the fixture, shared with the sheets' own tests


def _sheet(app: App, sheet_id: int) -> tuple[PrepSheet, str]:
    with app.factory() as s:
        sheet = s.get(PrepSheet, sheet_id)
        assert sheet is not None and sheet.outbox_id is not None
        outbox = s.get(Outbox, sheet.outbox_id)
        assert outbox is not None
        return sheet, outbox.body_text


def test_second_meeting_opens_with_last_time_and_asks_new_questions(app: App) -> None:
    first_id = book(app)
    made = make_prep_sheet(app, first_id, NOW)
    assert made is not None
    first, text = _sheet(app, made)
    assert len(first.questions) == 4  # the outreach asked for 20 minutes (the calendar: 30)
    assert "LAST TIME" not in text
    # debriefs are on by default: the thank-you waits for the answer, and the sheet says so
    assert "answer it and it sends the thank-you itself, quoting their advice" in " ".join(
        text.split()
    )
    assert "Without an answer within about 20 hours" in " ".join(text.split())
    assert "within 24 hours" not in text

    later = START + timedelta(days=14)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        m1 = uow.session.get(Meeting, first_id)
        assert m1 is not None
        after = m1.end_utc + timedelta(hours=1)
        uow.session.add(
            Note(account_id=app.account_id, contact_id=m1.contact_id, text="Try the meetups.",
                 for_update=False, created_at=after)
        )  # fmt: skip
        uow.record(NoteAdded(occurred_at=after, contact_id=m1.contact_id, text="Try the meetups."))
        sent = m1.end_utc + timedelta(hours=3)
        uow.record(
            EmailSent(occurred_at=sent, contact_id=m1.contact_id, interview_id=m1.interview_id,
                      kind="thank_you", message_id="<t@x>", to="ada@example.com")
        )  # fmt: skip
        m2 = Meeting(
            account_id=app.account_id, interview_id=m1.interview_id, contact_id=m1.contact_id,
            source="feed", uid="m2", recurrence_id="", start_utc=later,
            end_utc=later + timedelta(minutes=30), timezone="Europe/Berlin", summary="Coffee 2",
            location="", version=1, first_seen_at=NOW, last_seen_at=NOW,
        )  # fmt: skip
        uow.session.add(m2)
        uow.commit()
        second_id = m2.id
    again = make_prep_sheet(app, second_id, later - timedelta(days=1))
    assert again is not None
    second, text = _sheet(app, again)
    last_time = text.split("LAST TIME", 1)[1].split("WHO", 1)[0]
    assert "You last met on Tue 3 Mar 2026 (Coffee)." in last_time
    assert "You noted on Tue 3 Mar 2026: Try the meetups." in last_time
    assert "On Tue 3 Mar 2026 your thank-you went." in last_time
    assert len(second.questions) == 4 and not set(first.questions) & set(second.questions)
    with app.factory() as s:
        assert s.scalar(select(PrepSheet.id).where(PrepSheet.meeting_id == second_id)) == again
