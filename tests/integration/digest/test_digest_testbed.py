"""The digest over the test bed: aiosmtpd gets one at the hour, none without news, none twice."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from coffeechat.flows.steps.app import App, build_app
from coffeechat.flows.steps.cycle import gated_cycle, run_cycle
from coffeechat.integrations.config import DigestConfig
from coffeechat.models.store.events import ReplyReceived
from coffeechat.models.store.tables import Interview
from coffeechat.models.store.uow import UnitOfWork
from tests.integration.sending.seed import NOW, USER, add_interview, settings
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox

HOUR = 13  # NOW is 13:00 in Paris


@pytest.fixture(autouse=True)
def _secrets(mailbox: BedMailbox, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", mailbox.password)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", smtp.password)


def _app(tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, url: str) -> App:
    """A fresh process's App on the same database: what a restart builds."""
    base = settings(tmp_path, mailbox, smtp, database_url=url)
    return build_app(base.model_copy(update={"digest": DigestConfig(enabled=True, hour=HOUR)}))


def _reply(app: App, at_offset: timedelta) -> None:
    interview_id, _ = add_interview(app)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        interview = uow.session.get(Interview, interview_id)
        assert interview is not None
        uow.record(
            ReplyReceived(occurred_at=NOW + at_offset, interview_id=interview_id,
                          contact_id=interview.contact_id, message_id="<r@x>", rule="t")
        )  # fmt: skip
        uow.commit()


def _digests(smtp: SmtpServer) -> list[EmailMessage]:
    found = []
    for item in smtp.messages:
        mail = message_from_bytes(item.raw, policy=default)
        assert isinstance(mail, EmailMessage)
        if "digest" in str(mail["Subject"]):
            found.append(mail)
    return found


def test_one_digest_at_the_hour_only_with_news_and_never_twice(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, database_url: str
) -> None:
    app = _app(tmp_path, mailbox, smtp, database_url)
    run_cycle(app, NOW)
    assert smtp.messages == []  # in the hour, but nothing happened: no digest

    _reply(app, -timedelta(hours=2))
    run_cycle(app, NOW - timedelta(hours=1, minutes=30))
    assert smtp.messages == []  # news, but before the hour

    run_cycle(app, NOW + timedelta(minutes=5))
    [digest] = _digests(smtp)
    assert str(digest["To"]).endswith(f"<{USER}>") and smtp.messages[0].rcpt_tos == (USER,)
    assert "replied" in digest.get_content()

    # More news, then a restart in the same hour (a new App, mail read again, the Sent copy
    # seen): today's digest went, so there is no second one today.
    _reply(app, timedelta(minutes=10))
    again = _app(tmp_path, mailbox, smtp, database_url)
    gated_cycle(again, NOW + timedelta(minutes=20))
    run_cycle(again, NOW + timedelta(minutes=40))
    assert len(_digests(smtp)) == 1 and len(smtp.messages) == 1

    # The next day at the hour, that news goes; the day after there is none, so nothing does.
    gated_cycle(again, NOW + timedelta(days=1, minutes=5))
    assert len(_digests(smtp)) == 2
    gated_cycle(again, NOW + timedelta(days=2, minutes=5))
    assert len(smtp.messages) == 2
