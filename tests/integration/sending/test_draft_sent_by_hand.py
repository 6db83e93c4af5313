"""A review-mode draft the user sent from a client that gave it a new Message-ID: never sent twice.

Outlook and many webmails build a new message (new Message-ID, new Date) when a draft is sent;
our copy in Sent then cannot be found by its id. Both ``approve`` and the Sent folder's sync
must still recognise it (recipient, subject, sent after the draft was placed), and an older
mail with the same subject must not pass for it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import format_datetime

from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint
from coffeechat.flows.steps.inbox import sync_account_mail
from coffeechat.flows.steps.send import approve, send_due
from coffeechat.integrations.imap import connect
from coffeechat.models.interviews.lifecycle import State
from tests.integration.sending.seed import NOW, add_interview, add_row, row
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox

_MESSAGE_ID = re.compile(rb"^Message-ID:[^\r\n]*", re.IGNORECASE | re.MULTILINE)
_DATE = re.compile(rb"^Date:[^\r\n]*", re.IGNORECASE | re.MULTILINE)


def as_a_client_sends_it(raw: bytes, message_id: str, when: datetime) -> bytes:
    """The draft as a mail client sends it: same To and Subject, its own Message-ID and Date."""
    raw = _MESSAGE_ID.sub(f"Message-ID: {message_id}".encode(), raw, count=1)
    return _DATE.sub(f"Date: {format_datetime(when)}".encode(), raw, count=1)


def placed_draft(app: App, mailbox: BedMailbox) -> tuple[int, bytes]:
    """A review-mode outreach placed in Drafts; its row id and the draft's bytes."""
    interview, address = add_interview(app, state=State.PLANNED, thread=False)
    row_id = add_row(app, interview, address, kind="outreach", mode="review", subject="Coffee?")
    assert send_due(app, NOW).drafts == [row_id]
    [draft] = mailbox.messages("Drafts")
    return row_id, draft.raw


def test_approve_finds_the_draft_sent_under_a_new_message_id(
    app: App, smtp: SmtpServer, mailbox: BedMailbox
) -> None:
    row_id, raw = placed_draft(app, mailbox)
    mailbox.append(as_a_client_sends_it(raw, "<new.1@client.example>", NOW + timedelta(minutes=30)),
                   "Sent")  # fmt: skip
    report = approve(app, row_id, NOW + timedelta(hours=1))
    assert report.sent == [row_id]
    assert smtp.messages == [] and row(app, row_id).status == "sent"


def test_an_older_mail_with_the_same_subject_is_not_the_draft(
    app: App, smtp: SmtpServer, mailbox: BedMailbox
) -> None:
    row_id, raw = placed_draft(app, mailbox)
    mailbox.append(as_a_client_sends_it(raw, "<old.1@client.example>", NOW - timedelta(days=2)),
                   "Sent")  # fmt: skip
    report = approve(app, row_id, NOW + timedelta(hours=1))
    assert report.sent == [row_id] and len(smtp.messages) == 1  # ours went out, once


def test_the_sent_folder_sync_settles_the_draft_sent_by_hand(
    app: App, smtp: SmtpServer, mailbox: BedMailbox
) -> None:
    row_id, raw = placed_draft(app, mailbox)
    mailbox.append(as_a_client_sends_it(raw, "<new.2@client.example>", NOW + timedelta(minutes=5)),
                   "Sent")  # fmt: skip
    assert app.settings.imap is not None
    with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
        reports = sync_account_mail(app, box, NOW + timedelta(minutes=10))
    assert "draft-sent-by-user" in [e for r in reports for e in r.effects]
    assert row(app, row_id).status == "sent"
    # Nothing is left for approve or the sender to do.
    assert approve(app, row_id, NOW + timedelta(hours=1)).sent == [row_id]
    assert send_due(app, NOW + timedelta(hours=1)).sent == [] and smtp.messages == []
