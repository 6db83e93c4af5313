"""The sending suite's world: an App on the test bed (tests.testbed.world) and outbox rows."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import Settings
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.store.tables import Contact, ContactEmail, Interview, Outbox
from tests.testbed import SmtpServer
from tests.testbed import world as bed
from tests.testbed.dovecot import Mailbox as BedMailbox

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 13:00 in Paris
USER = bed.USER
_names = itertools.count(1)


def settings(
    data_dir: Path,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    *,
    database_url: str | None = None,
    smtp_overrides: dict[str, Any] | None = None,
    daily_cap: int = 20,
) -> Settings:
    """The test bed world's settings, saving a copy to Sent, with the given daily cap."""
    return bed.settings(
        data_dir,
        mailbox=mailbox,
        relay=smtp,
        database_url=database_url,
        smtp={"save_to_sent": "always", **(smtp_overrides or {})},
        cadence={"daily_cap": daily_cap},
    )


def make_app(*args: Any, **kwargs: Any) -> App:
    """build_app over settings(...)."""
    return build_app(settings(*args, **kwargs))


def add_interview(
    app: App,
    *,
    state: State = State.HELD,
    do_not_contact: bool = False,
    email_status: str = "ok",
    thread: bool = True,
) -> tuple[int, str]:
    """A contact with one address and an interview in state; return (interview id, address)."""
    n = next(_names)
    address = f"contact{n}-{uuid.uuid4().hex[:6]}@example.com"
    with app.factory() as s:
        contact = Contact(
            account_id=app.account_id, name=f"Ada Lovelace {n}", do_not_contact=do_not_contact,
            created_at=NOW, updated_at=NOW,
        )  # fmt: skip
        s.add(contact)
        s.flush()
        s.add(ContactEmail(account_id=app.account_id, contact_id=contact.id, address=address,
                           is_primary=True, status=email_status))  # fmt: skip
        interview = Interview(
            account_id=app.account_id, contact_id=contact.id, state=state.value,
            outreach_message_id=f"<outreach-{uuid.uuid4().hex}@example.net>" if thread else None,
            thread_subject="Coffee chat?" if thread else "",
            state_changed_at=NOW, created_at=NOW,
        )  # fmt: skip
        s.add(interview)
        s.commit()
        return interview.id, address


def add_row(
    app: App,
    interview_id: int,
    to: str,
    *,
    kind: str = "thank_you",
    mode: str = "auto",
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    subject: str = "Re: Coffee chat?",
    body: str = "Thank you for your time today.\n\nSam",
    html: str | None = None,
    status: str = "pending",
) -> int:
    """One outbox row, in the outreach thread when the interview has one; return its id."""
    with app.factory() as s:
        interview = s.get(Interview, interview_id)
        assert interview is not None
        parent = interview.outreach_message_id
        row = Outbox(
            account_id=app.account_id, interview_id=interview_id, kind=kind,
            occurrence=uuid.uuid4().hex, message_id=f"<t-{uuid.uuid4().hex}@example.net>",
            status=status, mode=mode, to_addr=to, subject=subject, body_text=body,
            body_html=html, in_reply_to=parent, references=[parent] if parent else [],
            not_before=not_before or NOW - timedelta(hours=1), not_after=not_after,
            created_at=NOW,
        )  # fmt: skip
        s.add(row)
        s.commit()
        return row.id


def row(app: App, row_id: int) -> Outbox:
    """A fresh read of one outbox row."""
    with app.factory() as s:
        found = s.get(Outbox, row_id)
        assert found is not None
        return found


def statuses(app: App) -> dict[int, str]:
    """Every outbox row's status by id."""
    with app.factory() as s:
        return dict(s.execute(select(Outbox.id, Outbox.status)).all())


def interview_state(app: App, interview_id: int) -> str:
    """The interview's lifecycle state."""
    with app.factory() as s:
        found = s.get(Interview, interview_id)
        assert found is not None
        return found.state
