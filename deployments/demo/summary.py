"""What the demo run did, read back from the database and, over IMAP, from the mailboxes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.deployments.demo.config import SECRET_ENV
from coffeechat.deployments.demo.story import GRACE, ME
from coffeechat.deployments.demo.why import story_lines
from coffeechat.deployments.demo.world import World
from coffeechat.integrations.imap import Credential, ImapEndpoint, connect
from coffeechat.models.outbox.states import Kind
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.tables import Contact, Message, Outbox, PrepSheet, Referral


@dataclass
class Summary:
    """The story's outcome, JSON-friendly."""

    data_dir: str
    detected: list[dict[str, Any]] = field(default_factory=list)
    prep_sheets: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # the story: who got what, why
    thank_yous: list[dict[str, Any]] = field(default_factory=list)
    nudge: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, int] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    sent_this_run: int = 0
    delivered_this_run: int = 0
    referrals: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    window: str = ""  # the send window for mail to contacts, as the user reads it


def read_mailbox(world: World, user: str, folder: str, message_id: str) -> list[bytes]:
    """Every copy of message_id in user's folder, fetched over IMAP like any mail client."""
    endpoint = ImapEndpoint(
        host=world.mail.host,
        port=world.mail.imap_port,
        security="plain",
        username=user,
        allow_plaintext=True,
    )
    with connect(endpoint, lambda: Credential("password", world.password)) as box:
        uids = box.search_message_id(folder, message_id)
        return [item.raw for item in box.fetch_full(folder, uids, max_bytes=1_000_000)]


def summarize(world: World, now: datetime) -> Summary:
    """Collect what was detected, prepared, sent and drafted, and why each mail went."""
    app = world.app
    cadence = app.settings.cadence
    out = Summary(
        str(world.root),
        window=f"{cadence.send_window_start:%H:%M}-{cadence.send_window_end:%H:%M} "
        f"{world.story.zone.key}",
    )
    with app.factory() as session:
        for message, name in session.execute(
            select(Message, Contact.name)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.account_id == app.account_id, Message.direction == "in")
            .order_by(Message.date)
        ):
            out.detected.append(
                {
                    "contact": name,
                    "kind": message.kind,
                    "rule": message.rule,
                    "relation": message.relation,
                    "subject": message.subject,
                    "return_date": message.return_date,
                }
            )
        out.referrals = _referrals(session)
        for sheet, status in session.execute(
            select(PrepSheet, Outbox.status).join(Outbox, Outbox.id == PrepSheet.outbox_id)
        ):
            out.prep_sheets.append({"path": sheet.path, "email": status})
        out.sent = story_lines(session, app.account_id, world.story.zone)
        thanks = list(session.scalars(select(Outbox).where(Outbox.kind == Kind.THANK_YOU)))
        nudge = session.scalars(select(Outbox).where(Outbox.kind == Kind.NUDGE)).first()
        out.report = status_report(session, app.account_id, now)
    out.stages = {k: v for k, v in out.report["stages"].items() if v}
    for row in sorted(thanks, key=lambda r: r.not_before):
        copies = read_mailbox(world, row.to_addr, "INBOX", row.message_id)
        line = next((s for s in out.sent if s["message_id"] == row.message_id), {})
        out.thank_yous.append(
            {
                "to": row.to_addr,
                "status": row.status,
                "subject": row.subject,
                "copies_in_mailbox": len(copies),
                "text": _text(copies[0]) if copies else "",
                "quote": line.get("quote", ""),
            }
        )
    if nudge is not None:
        drafts = read_mailbox(world, ME, "Drafts", nudge.message_id)
        out.nudge = {
            "id": nudge.id,
            "to": nudge.to_addr,
            "status": nudge.status,
            "not_before": nudge.not_before.isoformat(),
            "in_drafts": len(drafts),
        }
    return out


def _referrals(session: Session) -> list[dict[str, Any]]:
    found = []
    for ref, introducer in session.execute(
        select(Referral, Contact.name)
        .join(Contact, Contact.id == Referral.from_contact_id)
        .order_by(Referral.id)
    ):
        found.append({"id": ref.id, "address": ref.address, "name": ref.name,
                      "status": ref.status, "introducer": introducer})  # fmt: skip
    return found


def _text(raw: bytes) -> str:
    message = BytesParser(policy=default).parsebytes(raw)
    body = message.get_body(("plain",)) if isinstance(message, EmailMessage) else None
    return str(body.get_content()) if body is not None else ""


def connection_help(world: World) -> list[tuple[str, str]]:
    """(what, how) lines for pointing a mail client, a calendar app or the CLI at the world."""
    m = world.mail
    users = ", ".join(u for u in (ME, GRACE.address))
    return [
        ("IMAP", f"{m.host}:{m.imap_port}  (no TLS; LOGIN)"),
        ("SMTP", f"{m.host}:{m.smtp_port}  (no TLS; AUTH PLAIN/LOGIN)"),
        ("CalDAV", f"{world.calendar.base_url}  user jo"),
        ("users", f"{users}, and every contact's address but nobody@gone.example"),
        ("password", f"{world.password}  (every mailbox and the calendar)"),
        (
            "CLI",
            f"COFFEECHAT_CONFIG={world.config_path} {SECRET_ENV}={world.password} coffeechat queue",
        ),
    ]
