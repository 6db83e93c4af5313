"""Review mode (Drafts, approve), prep sheets to the user, and the message as built."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.send import approve, send_due
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.mailbuild import MailBuildError, OutgoingMail, build_message
from coffeechat.models.outbox.steps import OutboxStateError
from coffeechat.models.store.tables import Meeting, PrepSheet
from tests.integration.sending.seed import NOW, USER, add_interview, add_row, interview_state, row
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox


def test_review_mode_places_one_draft_and_approve_sends_it_once(
    app: App, smtp: SmtpServer, mailbox: BedMailbox
) -> None:
    interview, address = add_interview(app, state=State.PLANNED, thread=False)
    row_id = add_row(app, interview, address, kind="outreach", mode="review", subject="Coffee?")

    assert send_due(app, NOW).drafts == [row_id]
    assert send_due(app, NOW + timedelta(hours=1)).drafts == []
    [draft] = mailbox.messages("Drafts")
    assert "\\Draft" in draft.flags and row(app, row_id).message_id.encode() in draft.raw
    assert row(app, row_id).status == "draft" and smtp.messages == []

    # A draft of the user's own, flagged \Deleted, must survive our clean-up untouched.
    mailbox.append(
        b"Subject: mine\r\n\r\nkeep me\r\n", folder="Drafts", flags=("\\Draft", "\\Deleted")
    )
    report = approve(app, row_id, NOW + timedelta(hours=2))
    assert report.sent == [row_id] and len(smtp.messages) == 1
    assert row(app, row_id).status == "sent"
    assert interview_state(app, interview) == State.REQUESTED.value
    assert len(mailbox.messages("Sent")) == 1
    # Approving again finds the copy in Sent: nothing goes out a second time.
    assert approve(app, row_id, NOW + timedelta(hours=3)).sent == [row_id]
    assert len(smtp.messages) == 1
    # Our Drafts copy is gone (it could be sent again from a client); the user's draft stays.
    [left] = mailbox.messages("Drafts")
    assert b"keep me" in left.raw


def test_a_draft_the_user_already_sent_is_not_sent_again(
    app: App, smtp: SmtpServer, mailbox: BedMailbox
) -> None:
    interview, address = add_interview(app, state=State.PLANNED, thread=False)
    row_id = add_row(app, interview, address, kind="outreach", mode="review")
    send_due(app, NOW)
    [draft] = mailbox.messages("Drafts")
    mailbox.append(draft.raw, "Sent")  # the user pressed Send in their own client

    assert approve(app, row_id, NOW + timedelta(hours=1)).sent == [row_id]
    assert smtp.messages == [] and row(app, row_id).status == "sent"
    with pytest.raises(OutboxStateError):
        add_pending = add_row(app, interview, address, kind="outreach", mode="review")
        approve(app, add_pending, NOW)  # still pending: not a draft


def test_a_prep_sheet_goes_to_the_user_and_is_marked_delivered(app: App, smtp: SmtpServer) -> None:
    interview, _ = add_interview(app, state=State.SCHEDULED)
    row_id = add_row(app, interview, USER, kind="prep_sheet", subject="Prep: Ada, Friday")
    with app.factory() as s:
        meeting = Meeting(
            account_id=app.account_id, interview_id=interview, source="t", uid="m1",
            start_utc=NOW + timedelta(days=1), end_utc=NOW + timedelta(days=1, hours=1),
            first_seen_at=NOW, last_seen_at=NOW,
        )  # fmt: skip
        s.add(meeting)
        s.flush()
        sheet = PrepSheet(account_id=app.account_id, meeting_id=meeting.id, meeting_version=1,
                          interview_id=interview, path="/tmp/p.md", outbox_id=row_id,
                          created_at=NOW)  # fmt: skip
        s.add(sheet)
        s.commit()
        sheet_id = sheet.id
    assert send_due(app, NOW).sent == [row_id]
    parsed = message_from_bytes(smtp.messages[0].raw, policy=default)
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["To"] == f"Sam Seeker <{USER}>"
    assert interview_state(app, interview) == State.PREPPED.value
    with app.factory() as s:
        stored = s.get(PrepSheet, sheet_id)
        assert stored is not None and stored.delivered_at == NOW


def _mail(**overrides: object) -> OutgoingMail:
    values: dict[str, object] = dict(
        row_id=1, kind="thank_you", message_id="<a.1@example.net>", from_name="Sam",
        from_addr=USER, to_name="Ada", to_addr="ada@example.com", subject="Thanks",
        body_text="Hi", body_html=None, in_reply_to=None, references=(), timezone="UTC",
    )  # fmt: skip
    values.update(overrides)
    return OutgoingMail(**values)  # type: ignore[arg-type]


def test_headers_from_inbound_data_are_made_safe() -> None:
    message = build_message(
        _mail(
            to_name='Ada\r\nBcc: victim@example.org "Lovelace"',
            subject="Re: hi\r\nBcc: victim@example.org\x00",
            in_reply_to="<p.2@example.com>",
            references=("<p.1@example.com>", "not an id\r\nX: y", "<p.2@example.com>"),
        ),
        date=NOW,
    )
    raw = message.as_bytes()
    assert b"\nBcc:" not in raw and b"\x00" not in raw
    assert message["Subject"] == "Re: hi Bcc: victim@example.org"
    assert message["References"] == "<p.1@example.com> <p.2@example.com>"
    assert message["In-Reply-To"] == "<p.2@example.com>"
    assert [a.addr_spec for a in message["To"].addresses] == ["ada@example.com"]


@pytest.mark.parametrize(
    "to",
    ["Ada <ada@example.com>", "ada@example.com, eve@example.org", "ada@example.com\r\nBcc: x@y",
     '"a b"@example.com', "ada@[127.0.0.1]", "adä@example.com", "ada", "ada@example.com>"],
)  # fmt: skip
def test_only_a_plain_recipient_address_is_accepted(to: str) -> None:
    with pytest.raises(MailBuildError):
        build_message(_mail(to_addr=to), date=NOW)


def test_a_bad_recipient_fails_the_row_without_touching_smtp(app: App, smtp: SmtpServer) -> None:
    interview, _ = add_interview(app)
    row_id = add_row(app, interview, USER, kind="prep_sheet")
    with app.factory() as s:
        stored = s.get(type(row(app, row_id)), row_id)
        assert stored is not None
        stored.message_id = "no brackets or at sign"
        s.commit()
    assert send_due(app, NOW).failed == [row_id]
    assert "Message-ID" in row(app, row_id).last_error and smtp.messages == []
