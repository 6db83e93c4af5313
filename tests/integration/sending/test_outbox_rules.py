"""Claiming rules: no double claims under concurrency, the daily cap, and who may be mailed."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.send import send_due
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.steps import claim_due
from coffeechat.models.store.tables import ContactEmail, Interview
from tests.integration.sending.seed import (
    NOW,
    USER,
    add_interview,
    add_row,
    interview_state,
    make_app,
    row,
    statuses,
)
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox


def test_concurrent_claimers_never_claim_the_same_row(
    database_url: str, tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    app = make_app(tmp_path, mailbox, smtp, database_url=database_url, daily_cap=1000)
    interview, address = add_interview(app)
    rows = {add_row(app, interview, address) for _ in range(60)}
    start = threading.Barrier(4)
    claimed: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def worker(mine: list[int]) -> None:
        try:
            start.wait()
            while got := claim_due(app.factory, app.account_id, NOW, 3, daily_cap=1000):
                mine.extend(got)
        except BaseException as err:  # surfaced below: a thread's failure must fail the test
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(c,)) for c in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    everything = [r for c in claimed for r in c]
    assert sorted(everything) == sorted(rows)  # each row exactly once, none left behind
    assert set(statuses(app).values()) == {"sending"}
    assert all(row(app, r).attempts == 1 for r in rows)


def test_daily_cap_counts_the_users_local_day(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    app = make_app(tmp_path, mailbox, smtp, daily_cap=2)
    rows = [add_row(app, *add_interview(app)) for _ in range(3)]
    late = NOW.replace(hour=18, minute=30)  # 19:30 in Paris, the window closes at 20:00
    assert send_due(app, late).sent == rows[:2]
    assert row(app, rows[2]).status == "pending"  # over the cap: waits, not cancelled
    assert send_due(app, late + timedelta(minutes=20)).sent == []  # 19:50, same local day
    # 00:10 is a new local day, but outside the send window: the held row waits for 08:00.
    assert send_due(app, late + timedelta(hours=4, minutes=40)).sent == []
    assert send_due(app, NOW.replace(day=21, hour=7)).sent == rows[2:]  # 08:00 in Paris
    assert len(smtp.messages) == 3


def test_mail_to_a_contact_found_late_waits_for_the_window(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    # Due at 13:00; the service was off until 23:30. Nothing goes to the contact at night.
    app = make_app(tmp_path, mailbox, smtp, daily_cap=1000)
    due = add_row(app, *add_interview(app))
    night = NOW.replace(hour=22, minute=30)  # 23:30 in Paris
    assert send_due(app, night).sent == []
    assert row(app, due).status == "pending"
    assert send_due(app, NOW.replace(day=21, hour=6, minute=59)).sent == []  # 07:59
    assert send_due(app, NOW.replace(day=21, hour=7)).sent == [due]  # 08:00
    assert len(smtp.messages) == 1


def test_mail_to_the_user_is_not_hidden_behind_held_mail_to_contacts(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    # Sixty thank-yous held by the cap are older than a prep sheet: the sheet still goes.
    app = make_app(tmp_path, mailbox, smtp, daily_cap=0)
    interview, address = add_interview(app)
    held = [add_row(app, interview, address) for _ in range(60)]
    sheet = add_row(app, interview, USER, kind="prep_sheet",
                    not_before=NOW + timedelta(minutes=1))  # fmt: skip
    assert send_due(app, NOW + timedelta(minutes=2)).sent == [sheet]
    assert {row(app, r).status for r in held} == {"pending"}


def test_rows_nobody_may_receive_are_cancelled_and_nothing_is_sent(
    app: App, smtp: SmtpServer
) -> None:
    opted_out = add_row(app, *add_interview(app, do_not_contact=True))
    bounced = add_row(app, *add_interview(app, email_status="bounced"))
    closed_interview, closed_addr = add_interview(app, state=State.CLOSED)
    closed = add_row(app, closed_interview, closed_addr)
    expired = add_row(app, *add_interview(app), not_after=NOW - timedelta(minutes=1))
    interview, _ = add_interview(app)
    stranger = add_row(app, interview, "someone-else@example.com")
    later = add_row(app, *add_interview(app), not_before=NOW + timedelta(hours=1))
    # A complaint recorded after the row was created still stops it.
    complained = add_row(app, *add_interview(app))
    with app.factory() as s:
        s.execute(
            update(ContactEmail)
            .where(ContactEmail.address == row(app, complained).to_addr)
            .values(status="complained")
        )
        s.commit()

    report = send_due(app, NOW)

    assert report.sent == [] and smtp.messages == []
    reasons = {r: row(app, r).last_error for r in (opted_out, bounced, closed, expired, stranger)}
    assert reasons == {
        opted_out: "contact is do_not_contact",
        bounced: "address bounced",
        closed: "interview closed",
        expired: f"expired: not sent by {(NOW - timedelta(minutes=1)).isoformat()}",
        stranger: "address is not one of this contact's addresses",
    }
    assert row(app, complained).last_error == "address complained"
    assert statuses(app)[later] == "pending"
    assert sorted(s for r, s in statuses(app).items() if r != later) == ["cancelled"] * 6


def test_each_kind_moves_its_interview(app: App, smtp: SmtpServer) -> None:
    cases = {
        "outreach": (State.PLANNED, State.REQUESTED),
        "nudge": (State.REQUESTED, State.NUDGED),
        "update": (State.THANKED, State.UPDATED),
        "thank_you": (State.HELD, State.THANKED),
    }
    made = {}
    for kind, (before, _) in cases.items():
        interview, address = add_interview(app, state=before, thread=kind != "outreach")
        made[kind] = (interview, add_row(app, interview, address, kind=kind, subject=f"{kind}!"))
    assert len(send_due(app, NOW).sent) == 4
    for kind, (_, after) in cases.items():
        assert interview_state(app, made[kind][0]) == after.value
    with app.factory() as s:
        outreach = s.get(Interview, made["outreach"][0])
        assert outreach is not None
        assert outreach.outreach_message_id == row(app, made["outreach"][1]).message_id
        assert outreach.thread_subject == "outreach!"
