"""A referral over the real servers: a reply names someone, the user accepts, the outreach goes.

Dovecot holds the user's mailbox, aiosmtpd receives what we send. Ada's reply suggests two
people by address; ``coffeechat referrals accept`` makes one a contact introduced by Ada, and the
outreach the SMTP server receives names her in its subject and first line. The other person,
imported from an address book later, links to Ada's referral by email on their own.
"""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import contacts, referrals_cmd
from coffeechat.flows.steps.app import App, build_app, imap_credential, imap_endpoint
from coffeechat.flows.steps.inbox import sync_folder
from coffeechat.flows.steps.send import send_due
from coffeechat.integrations.imap import connect
from coffeechat.models.followups.outreach import create_outreach
from coffeechat.models.store.tables import Contact, Referral
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import SmtpServer
from tests.testbed import world as bed
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.records import txt

USER = bed.USER
ADA = "ada@example.com"
BABBAGE = "babbage@engines.example"
GRACE = "grace@navy.example"
OUTREACH = "<outreach-ada@example.net>"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris


@pytest.fixture
def world(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[App, typer.Typer]:
    monkeypatch.setenv("E2E_IMAP_PASSWORD", mailbox.password)
    monkeypatch.setenv("E2E_SMTP_PASSWORD", smtp.password)
    servers = {
        "mailbox": mailbox, "relay": smtp,
        "imap_env": "E2E_IMAP_PASSWORD", "smtp_env": "E2E_SMTP_PASSWORD",
    }  # fmt: skip
    app = build_app(bed.settings(tmp_path, **servers))
    monkeypatch.setenv(
        "COFFEECHAT_CONFIG", str(bed.write_config(tmp_path / "c.toml", tmp_path, **servers))
    )
    bed.seed_outreach(app, "Ada Lovelace", ADA, mid=OUTREACH, sent_at=NOW - timedelta(days=5))
    cli = typer.Typer()
    cli.callback()(cli_module._root)
    cli.add_typer(contacts.app, name="contacts")
    cli.add_typer(referrals_cmd.app, name="referrals")
    return app, cli


def run(cli: typer.Typer, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_reply_referral_accept_outreach_names_the_introducer(
    world: tuple[App, typer.Typer], mailbox: BedMailbox, smtp: SmtpServer, tmp_path: Path
) -> None:
    app, cli = world
    mailbox.append(
        (
            f"From: Ada Lovelace <{ADA}>\r\nTo: {USER}\r\nSubject: Re: Coffee?\r\n"
            f"Date: {format_datetime(NOW - timedelta(days=1))}\r\n"
            "Message-ID: <ada-1@example.com>\r\n"
            f"In-Reply-To: {OUTREACH}\r\nReferences: {OUTREACH}\r\n\r\n"
            f"Happy to chat. You should also talk to {BABBAGE}, and to {GRACE}.\r\n"
        ).encode()
    )
    assert app.settings.imap is not None
    with connect(imap_endpoint(app.settings.imap), imap_credential(app.settings.imap)) as box:
        sync_folder(app, box, "INBOX", outgoing=False, now=NOW)
    with app.factory() as s:
        refs = {r.address: r.id for r in s.scalars(select(Referral))}
    assert set(refs) == {BABBAGE, GRACE}

    said = run(cli, "referrals", "accept", str(refs[BABBAGE]), "--name", "Charles Babbage")
    assert "accepted: added" in said and "next: coffeechat outreach #" in said
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        babbage = uow.session.scalars(
            select(Contact).where(Contact.id == select(Referral.to_contact_id).where(
                Referral.address == BABBAGE).scalar_subquery())
        ).one()  # fmt: skip
        create_outreach(
            uow, babbage.id, now=NOW, cadence=app.settings.cadence, mode="auto",
            user_email=USER, render=txt, send_now=True,
        )  # fmt: skip
        uow.commit()
    send_due(app, NOW + timedelta(minutes=1))
    sent = [email.message_from_bytes(m.raw) for m in smtp.messages if BABBAGE in m.rcpt_tos]
    assert len(sent) == 1
    assert sent[0]["Subject"] == "Ada Lovelace suggested I get in touch"
    body = sent[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    lines = [line for line in body.splitlines() if line.strip()]
    assert lines[0] == "Hi Charles,"
    assert lines[1].startswith("Ada Lovelace suggested I get in touch with you")

    book = tmp_path / "book.csv"
    book.write_text(f"name,email\nGrace Hopper,{GRACE.upper()}\n", encoding="utf-8")
    run(cli, "contacts", "import", str(book))
    with app.factory() as s:
        grace = s.scalars(select(Referral).where(Referral.address == GRACE)).one()
        person = s.get(Contact, grace.to_contact_id)
        assert person is not None and person.name == "Grace Hopper"
        assert person.introduced_by_id == babbage.introduced_by_id  # Ada
        assert grace.status == "approved"
