"""``coffeechat mcp`` spoken to by the MCP SDK's own client over stdio, against the test bed.

The server is the real command in a child process. What it drafts must land in Dovecot's
Drafts through the sender's own step, reach aiosmtpd only after ``coffeechat approve``, and
every call (refused ones and calls to tools that do not exist included) is in the event log.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from sqlalchemy import select

from coffeechat.flows.steps.app import App, build_app
from coffeechat.flows.steps.send import send_due
from coffeechat.integrations.config import load_settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.lifecycle import Event, State
from coffeechat.models.interviews.moves import apply_event, open_interview
from coffeechat.models.store.tables import (
    Contact,
    ContactEmail,
    EventLog,
    Meeting,
    Note,
    Outbox,
)
from coffeechat.models.store.uow import UnitOfWork
from tests.testbed import Mailbox as BedMailbox
from tests.testbed import SmtpServer
from tests.testbed import world as bed

ROOT = Path(__file__).resolve().parents[3]
USER = "sam@example.net"
ADA, BOB, CARL, DORA, FAY = (
    "ada@example.com",
    "bob@example.com",
    "carl@example.com",
    "dora@example.com",
    "fay@example.com",
)
DORA_MAIL = "<outreach-dora@example.net>"
FAY_MAIL = "<outreach-fay@example.net>"
GUS, HAL = "gus@example.com", "hal@example.com"
GUS_NEWS = "I have a second interview at Mills next week"
LAUNCH = (
    "import sys; from coffeechat.deployments.cli import main; sys.argv[0] = 'coffeechat'; main()"
)
SECRET_BODY = "Dear Ada, I would love twenty minutes of your time. -- a body the log must not keep"
READ_TOOLS = {"pipeline", "next_meetings", "needs_you", "contact", "thread", "prep_sheet"}
DRAFT_TOOLS = {"draft_outreach", "draft_update", "draft_reply"}


@dataclass
class World:
    """A config file, the child's environment and an App on the same database."""

    config: Path
    env: dict[str, str]
    app: App


def write_config(tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer) -> Path:
    return bed.write_config(
        tmp_path / "config.toml", None, mailbox=mailbox, relay=smtp,
        imap_env="MCP_IMAP_PW", smtp_env="MCP_SMTP_PW",
    )  # fmt: skip


@pytest.fixture
def world(
    tmp_path: Path,
    database_url: str,
    mailbox: BedMailbox,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    config = write_config(tmp_path, mailbox, smtp)
    own = {
        "COFFEECHAT_DATABASE_URL": database_url,
        "COFFEECHAT_DATA_DIR": str(tmp_path / "data"),
        "MCP_IMAP_PW": mailbox.password,
        "MCP_SMTP_PW": smtp.password,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COFFEECHAT_"))}
    env |= own | {"PYTHONPATH": str(ROOT)}
    for key, value in own.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("COFFEECHAT_CONFIG", raising=False)
    app = build_app(load_settings(config))
    seed(app)
    yield World(config, env, app)


def seed(app: App) -> None:
    """Ada may be written to; Bob asked not to be; Carl's address bounced; Dora was written to.

    Fay was written to and declined: her interview is closed, which only the sender's own
    refusal rules (not the address checks) stop.
    """
    now = datetime.now(UTC) - timedelta(days=3)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        for name, address, company in (
            ("Ada Lovelace", ADA, "Engines Ltd"),
            ("Bob Optout", BOB, ""),
            ("Carl Bounce", CARL, ""),
            ("Dora Thread", DORA, "Looms"),
            ("Fay Declined", FAY, ""),
        ):
            row = ContactRow(line=0, name=name, emails=(address,), company=company)
            upsert_contact(uow, row, source="t", now=now)
        uow.session.flush()
        contacts = {c.name.split()[0]: c for c in uow.session.scalars(select(Contact))}
        contacts["Bob"].do_not_contact = True
        for email in uow.session.scalars(select(ContactEmail).where(ContactEmail.address == CARL)):
            email.status = "bounced"
        for who, address, mail_id in (("Dora", DORA, DORA_MAIL), ("Fay", FAY, FAY_MAIL)):
            contact = contacts[who]
            interview = open_interview(uow, contact, now=now)
            bed.record_outreach(uow, contact, interview, mid=mail_id, to=address, sent_at=now,
                                subject="Looms?", excerpt="Could we talk about looms?")  # fmt: skip
            if who == "Fay":
                apply_event(uow, interview, Event.DECLINED, now=now)
        uow.commit()


def coffeechat(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", LAUNCH, "--config", str(world.config), *args]
    return subprocess.run(argv, env=world.env, capture_output=True, text=True, timeout=120)


def data(result: Any) -> Any:
    """A tool result's JSON (structured when the SDK gave it, else its text)."""
    assert not result.is_error, result.content
    if result.structured_content is not None:
        inner = result.structured_content
        return inner.get("result", inner) if set(inner) == {"result"} else inner
    return json.loads(result.content[0].text)


def error_text(result: Any) -> str:
    assert result.is_error, result
    return " ".join(getattr(c, "text", "") for c in result.content)


async def session(world: World) -> dict[str, Any]:
    """Everything the assistant does in one stdio session; returns what the test checks."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", LAUNCH, "--config", str(world.config), "mcp"],
        env=world.env,
        cwd=str(ROOT),
    )
    out: dict[str, Any] = {}
    async with Client(params, read_timeout_seconds=60) as client:
        out["tools"] = {t.name for t in (await client.list_tools()).tools}
        out["pipeline"] = data(await client.call_tool("pipeline", {}))
        out["outreach"] = data(
            await client.call_tool("draft_outreach", {"contact": "Ada", "body": SECRET_BODY})
        )
        out["reply"] = data(
            await client.call_tool("draft_reply", {"contact": DORA, "body": "Tuesday works."})
        )
        out["needs_you"] = data(await client.call_tool("needs_you", {}))
        out["thread"] = data(await client.call_tool("thread", {"contact": "Dora"}))
        out["contact"] = data(await client.call_tool("contact", {"contact": ADA}))
        out["refused"] = {
            "stranger": error_text(
                await client.call_tool("draft_outreach", {"contact": "eve@example.org"})
            ),
            "do_not_contact": error_text(
                await client.call_tool("draft_outreach", {"contact": "Bob"})
            ),
            "bounced": error_text(await client.call_tool("draft_reply", {"contact": CARL,
                                                                         "body": "hi"})),
            "closed": error_text(await client.call_tool("draft_reply", {"contact": FAY,
                                                                        "body": "hi"})),
            "invalid": error_text(await client.call_tool("draft_reply", {"contact": DORA})),
            "send": error_text(await client.call_tool("send", {"outbox_id": 1})),
            "approve": error_text(await client.call_tool("approve", {"outbox_id": 1})),
        }  # fmt: skip
    return out


def test_drafts_made_over_mcp_wait_in_drafts_until_the_user_approves(
    world: World, smtp: SmtpServer, mailbox: BedMailbox
) -> None:
    out = asyncio.run(session(world))

    assert out["tools"] == READ_TOOLS | DRAFT_TOOLS
    assert not any("send" in t or "approve" in t for t in out["tools"])
    stages = out["pipeline"]["stages"]
    assert out["pipeline"]["contacts"] == 5 and (stages["requested"], stages["closed"]) == (1, 1)
    assert "no contact has the address" in out["refused"]["stranger"]
    assert "asked not to be contacted" in out["refused"]["do_not_contact"]
    assert "no working address" in out["refused"]["bounced"]
    assert "interview closed" in out["refused"]["closed"]
    assert "send" in out["refused"]["send"] and "approve" in out["refused"]["approve"]
    assert [m["excerpt"] for m in out["thread"]["messages"]] == ["Could we talk about looms?"]
    assert out["contact"]["contact"]["name"] == "Ada Lovelace"

    outreach_id, reply_id = out["outreach"]["outbox_id"], out["reply"]["outbox_id"]
    waiting = {d["outbox_id"] for d in out["needs_you"]["drafts_awaiting_approval"]}
    assert waiting == {outreach_id, reply_id}
    with world.app.factory() as s:
        rows = {r.id: r for r in s.scalars(select(Outbox))}
    assert set(rows) == {outreach_id, reply_id}
    assert {(r.mode, r.status) for r in rows.values()} == {("review", "pending")}
    assert rows[outreach_id].to_addr == ADA and rows[outreach_id].body_text.startswith("Dear Ada")
    assert rows[reply_id].in_reply_to == DORA_MAIL and rows[reply_id].subject == "Re: Looms?"

    # The cycle's send step places review rows in Drafts: nothing reaches SMTP.
    due = max(datetime.now(UTC), *(r.not_before for r in rows.values())) + timedelta(minutes=1)
    report = send_due(world.app, due)
    assert sorted(report.drafts) == sorted([outreach_id, reply_id]) and report.sent == []
    drafts = mailbox.messages("Drafts")
    assert any(rows[outreach_id].message_id.encode() in d.raw for d in drafts)
    assert smtp.messages == []

    approved = coffeechat(world, "approve", str(outreach_id))
    assert approved.returncode == 0, approved.stderr
    [sent] = smtp.wait_for(1, timeout=30)
    assert sent.rcpt_tos == (ADA,) and sent.message_id == rows[outreach_id].message_id

    # Every call is in the event log, with a summary of its arguments and never the body.
    with world.app.factory() as s:
        calls = [e.payload for e in s.scalars(select(EventLog).where(
            EventLog.type == "AssistantCalled").order_by(EventLog.id))]  # fmt: skip
    assert [c["tool"] for c in calls] == [
        "pipeline", "draft_outreach", "draft_reply", "needs_you", "thread", "contact",
        "draft_outreach", "draft_outreach", "draft_reply", "draft_reply", "draft_reply",
        "send", "approve",
    ]  # fmt: skip
    assert calls[1]["outcome"] == f"drafted outbox #{outreach_id} (outreach, review)"
    assert calls[1]["arguments"] == f"contact='Ada' body={len(SECRET_BODY)} chars"
    assert [c["outcome"].split(":")[0] for c in calls[6:]] == ["refused"] * 7
    assert calls[-3]["outcome"] == "refused: invalid arguments"
    assert calls[-1]["outcome"] == "refused: no such tool"
    assert SECRET_BODY not in json.dumps(calls)
    assert len(smtp.messages) == 1


def seed_helped_and_booked(app: App) -> None:
    """Gus helped (thanked, a note kept for his update); Hal's meeting is tomorrow."""
    now = datetime.now(UTC)
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        for name, address in (("Gus Helper", GUS), ("Hal Booked", HAL)):
            row = ContactRow(line=0, name=name, emails=(address,), company="Mills")
            upsert_contact(uow, row, source="t", now=now - timedelta(days=20))
        uow.session.flush()
        gus, hal = (
            uow.session.scalars(select(Contact).where(Contact.name == n)).one()
            for n in ("Gus Helper", "Hal Booked")
        )
        helped = open_interview(uow, gus, now=now - timedelta(days=20))
        helped.state = State.THANKED.value
        uow.session.add(
            Note(account_id=app.account_id, contact_id=gus.id, interview_id=helped.id,
                 text=GUS_NEWS, for_update=True, created_at=now - timedelta(days=1))
        )  # fmt: skip
        booked = open_interview(uow, hal, now=now - timedelta(days=5))
        booked.state = State.SCHEDULED.value
        uow.session.add(
            Meeting(account_id=app.account_id, interview_id=booked.id, contact_id=hal.id,
                    source="t", uid="hal-1", summary="Coffee with Hal",
                    start_utc=now + timedelta(days=1), end_utc=now + timedelta(days=1, hours=1),
                    first_seen_at=now, last_seen_at=now)
        )  # fmt: skip
        uow.commit()


async def second_session(world: World) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", LAUNCH, "--config", str(world.config), "mcp"],
        env=world.env,
        cwd=str(ROOT),
    )
    out: dict[str, Any] = {}
    async with Client(params, read_timeout_seconds=60) as client:
        out["meetings"] = data(await client.call_tool("next_meetings", {}))
        prep = await client.call_tool("prep_sheet", {"contact": "Hal"})
        assert not prep.is_error, prep.content
        out["prep"] = " ".join(getattr(c, "text", "") for c in prep.content)
        out["update"] = data(await client.call_tool("draft_update", {"contact": "Gus"}))
        out["no_news"] = error_text(await client.call_tool("draft_update", {"contact": "Gus"}))
        out["again"] = error_text(
            await client.call_tool("draft_update", {"contact": "Gus", "body": "More news"})
        )
        out["not_helped"] = error_text(
            await client.call_tool("draft_update", {"contact": "Ada", "body": "News!"})
        )
        out["empty"] = error_text(
            await client.call_tool("draft_reply", {"contact": "Dora", "body": "   "})
        )
    return out


def test_update_prep_sheet_and_meetings_over_mcp(world: World) -> None:
    seed_helped_and_booked(world.app)
    out = asyncio.run(second_session(world))

    [meeting] = out["meetings"]
    assert (meeting["contact"], meeting["summary"]) == ("Hal Booked", "Coffee with Hal")
    assert "Hal" in out["prep"]
    assert "no news for" in out["no_news"]  # the note is in the first update's text now
    assert "already planned today" in out["again"]
    assert "not been met and thanked" in out["not_helped"]
    assert "empty" in out["empty"]
    with world.app.factory() as s:
        [row] = s.scalars(select(Outbox)).all()
        note = s.scalars(select(Note).where(Note.text == GUS_NEWS)).one()
    assert (row.id, row.kind, row.mode, row.to_addr) == (out["update"]["outbox_id"], "update",
                                                         "review", GUS)  # fmt: skip
    assert GUS_NEWS in row.body_text and note.reported_at is not None
