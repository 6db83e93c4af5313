"""The introducer's answer to an introduction request completes the referral it was about.

Over the real servers: Ada suggested Grace Hopper by name only; the user asks Ada for an
introduction (the request goes through aiosmtpd); Ada's reply, threaded under it, gives
Grace's address. One referral remains: Grace Hopper, with that address.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import typer
from sqlalchemy import select

from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.flows.steps.send import send_due
from coffeechat.integrations.imap import connect
from coffeechat.models.contacts.referrals import propose
from coffeechat.models.followups.introductions import ask_introduction
from coffeechat.models.store.tables import Contact, Outbox, Referral
from coffeechat.models.store.uow import UnitOfWork
from tests.e2e.test_referrals import ADA, GRACE, NOW, USER, world
from tests.testbed import SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.records import txt

__all__ = ["world"]


def test_the_introducers_answer_completes_the_name_only_referral(
    world: tuple[App, typer.Typer], mailbox: BedMailbox, smtp: SmtpServer, tmp_path: Path
) -> None:
    app, _ = world
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        ada = uow.session.scalars(select(Contact).where(Contact.name == "Ada Lovelace")).one()
        ref = propose(uow, ada.id, "Grace Hopper", company="Navy", now=NOW)
        row = ask_introduction(uow, ref.id, now=NOW, cadence=app.settings.cadence, mode="auto",
                               user_email=USER, render=txt)  # fmt: skip
        uow.commit()
        row_id = row.id
    send_due(app, NOW + timedelta(days=1))
    with app.factory() as s:
        request = s.get(Outbox, row_id)
        assert request is not None and request.status == "sent"
        asked = request.message_id
    assert any(ADA in m.rcpt_tos for m in smtp.messages)
    mailbox.append(
        (
            f"From: Ada Lovelace <{ADA}>\r\nTo: {USER}\r\nSubject: Re: An introduction\r\n"
            f"Date: {format_datetime(NOW + timedelta(days=2))}\r\n"
            "Message-ID: <ada-intro@example.com>\r\n"
            f"In-Reply-To: {asked}\r\nReferences: {asked}\r\n\r\n"
            f"Of course! Write to Grace at {GRACE} and tell her I sent you.\r\n"
        ).encode()
    )
    assert app.settings.imap is not None
    with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
        sync_folder(app, box, "INBOX", outgoing=False, now=NOW + timedelta(days=2, hours=1))
    with app.factory() as s:
        refs = [(r.name, r.address) for r in s.scalars(select(Referral))]
    assert refs == [("Grace Hopper", GRACE)]
