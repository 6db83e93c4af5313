"""*Needs you*: one list for ``status``, the digest and the MCP read; open promises as reminders.

The world is written straight into a real database at a fixed moment (a Friday, 11:00 in Paris);
every reader is asked at that moment.
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import update
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import records
from coffeechat.deployments.mcp import reads
from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import load_settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import apply_event, open_interview
from coffeechat.models.reports import digest as dg
from coffeechat.models.reports.needs import SHOWN, due_words, needs_you
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.events import EmailSent
from coffeechat.models.store.tables import (
    Account,
    ContactEmail,
    Debrief,
    Meeting,
    Message,
    Outbox,
    Promise,
    Referral,
    SyncCursor,
)
from coffeechat.models.store.uow import UnitOfWork

SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # Friday 20 Nov, 11:00 in Paris
TODAY = date(2026, 11, 20)


@pytest.fixture
def app(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> App:
    config = tmp_path / "config.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        '[account]\nname = "Jo Seeker"\nemail = "jo@example.com"\ntimezone = "Europe/Paris"\n'
    )
    monkeypatch.setenv("COFFEECHAT_DATABASE_URL", database_url)
    return build_app(load_settings(config))


def _met(app: App, name: str, address: str) -> tuple[int, int, int]:
    """A contact asked at SENT and met since, with a debrief: (contact, interview, debrief)."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        contact, _ = upsert_contact(
            uow, ContactRow(line=0, name=name, emails=(address,)), source="t", now=SENT
        )
        interview = open_interview(uow, contact, now=SENT)
        apply_event(uow, interview, Event.OUTREACH_SENT, now=SENT)
        meeting = Meeting(
            account_id=app.account_id, interview_id=interview.id, contact_id=contact.id,
            source="t", uid=f"m-{contact.id}", start_utc=SENT + timedelta(days=3),
            end_utc=SENT + timedelta(days=3, hours=1), first_seen_at=SENT, last_seen_at=SENT,
        )  # fmt: skip
        uow.session.add(meeting)
        uow.session.flush()
        debrief = Debrief(
            account_id=app.account_id, meeting_id=meeting.id, interview_id=interview.id,
            contact_id=contact.id, source_message_id=f"cli:{contact.id}",
            written_at=SENT + timedelta(days=3, hours=2),
            received_at=SENT + timedelta(days=3, hours=2), fields={},
        )  # fmt: skip
        uow.session.add(debrief)
        uow.commit()
        return contact.id, interview.id, debrief.id


def _promise(
    app: App, debrief: int, contact: int | None, text: str, due: date | None, status: str = "open"
) -> int:
    with app.factory() as s:
        row = Promise(
            account_id=app.account_id, debrief_id=debrief, contact_id=contact, text=text,
            due=due, status=status, done_note="", created_at=SENT,
        )  # fmt: skip
        s.add(row)
        s.commit()
        return row.id


def _status(app: App) -> dict[str, Any]:
    with app.factory() as session:
        return status_report(session, app.account_id, NOW, cadence=app.settings.cadence)


def _digest(app: App, now: datetime = NOW) -> dg.Digest:
    with app.factory() as session:
        return dg.digest_content(session, app.account_id, now)


def test_due_dates_in_words() -> None:
    assert due_words(date(2026, 11, 3), TODAY) == "overdue since 3 Nov"
    assert due_words(date(2025, 12, 3), TODAY) == "overdue since 3 Dec 2025"
    assert due_words(TODAY, TODAY) == "due today"
    assert due_words(date(2026, 11, 21), TODAY) == "due tomorrow"
    assert due_words(date(2026, 11, 26), TODAY) == "due Thursday"
    assert due_words(date(2026, 11, 27), TODAY) == "due 27 Nov"
    assert due_words(None, TODAY) == "no due date"


def test_open_promises_are_reminders_soonest_due_first_undated_last(app: App) -> None:
    ada, _, debrief = _met(app, "Ada Lovelace", "ada@example.com")
    undated = _promise(app, debrief, ada, "read her paper on looms", None)
    later = _promise(app, debrief, ada, "send the notes", date(2026, 12, 10))
    over = _promise(app, debrief, ada, "send my portfolio", date(2026, 11, 18))
    _promise(app, debrief, ada, "say thanks", date(2026, 11, 19), status="done")
    soon = _promise(app, debrief, None, "write to Bob", date(2026, 11, 21))

    promises = [n for n in _status(app)["needs_you"] if n["kind"] == "promise"]
    assert [(p["text"], p["command"]) for p in promises] == [
        ("you promised Ada Lovelace: send my portfolio (overdue since 18 Nov)",
         f"coffeechat done P{over}"),
        ("you promised: write to Bob (due tomorrow)", f"coffeechat done P{soon}"),
        ("you promised Ada Lovelace: send the notes (due 10 Dec)", f"coffeechat done P{later}"),
        ("you promised Ada Lovelace: read her paper on looms (no due date)",
         f"coffeechat done P{undated}"),
    ]  # fmt: skip
    assert promises[0] == {
        "kind": "promise", "text": promises[0]["text"], "command": f"coffeechat done P{over}",
        "id": over, "due": "2026-11-18", "contact_id": ada,
    }  # fmt: skip
    assert promises[3]["due"] is None and promises[1]["contact_id"] is None


def test_promises_are_bounded_like_other_items(app: App) -> None:
    ada, _, debrief = _met(app, "Ada Lovelace", "ada@example.com")
    for n in range(SHOWN + 3):
        _promise(app, debrief, ada, f"promise {n}", TODAY + timedelta(days=n))
    promises = [n for n in _status(app)["needs_you"] if n["kind"] == "promise"]
    assert len(promises) == SHOWN + 1
    assert promises[-1] == {
        "kind": "promise", "text": "... and 3 more promises", "command": "coffeechat done",
        "id": None,
    }  # fmt: skip
    assert promises[0]["text"].endswith("(due today)")


def test_status_prints_each_promise_with_its_command(
    app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ada, _, debrief = _met(app, "Ada Lovelace", "ada@example.com")
    pid = _promise(app, debrief, ada, "send my portfolio", date(2026, 11, 21))
    monkeypatch.setattr(records, "utcnow", lambda: NOW)
    result = CliRunner().invoke(
        cli_module.app, ["--config", str(tmp_path / "config.toml"), "status"]
    )
    assert result.exit_code == 0, result.output
    expected = (
        f"  • you promised Ada Lovelace: send my portfolio (due tomorrow): `coffeechat done P{pid}`"
    )
    assert expected in result.output.splitlines()


def test_a_promise_due_by_tomorrow_is_reason_enough_for_a_digest(app: App) -> None:
    ada, _, debrief = _met(app, "Ada Lovelace", "ada@example.com")
    _promise(app, debrief, ada, "read her paper", None)
    _promise(app, debrief, ada, "send the notes", date(2026, 11, 25))
    quiet = _digest(app)
    assert not quiet.has_news  # promises not due yet: no mail for them alone
    assert len(quiet.needs_you) == 2  # ...but a digest that goes out lists them

    _promise(app, debrief, ada, "send my portfolio", date(2026, 11, 21))
    digest = _digest(app)
    assert digest.has_news
    assert digest.needs_you[0].startswith(
        "you promised Ada Lovelace: send my portfolio (due tomorrow): `coffeechat done P"
    )
    # An overdue one is pressing too, whatever day the digest goes out.
    assert _digest(app, NOW + timedelta(days=5)).has_news


def _world_of_every_kind(app: App) -> None:
    """Mail to approve and to settle, a promise, a referral, a bounced contact, paused sending,
    a failing source."""
    ada, iid, debrief = _met(app, "Ada Lovelace", "ada@example.com")
    _, bounced, _ = _met(app, "Nobody Here", "nobody@gone.example")
    _promise(app, debrief, ada, "send my portfolio", date(2026, 11, 18))
    with app.factory() as s:
        for n, (status, mode) in enumerate(
            [("draft", "review"), ("pending", "review"), ("failed", "auto"),
             ("needs_review", "auto")]
        ):  # fmt: skip
            s.add(
                Outbox(
                    account_id=app.account_id, interview_id=iid, kind="update",
                    occurrence=str(n), message_id=f"<{n}@x>", status=status, mode=mode,
                    to_addr="ada@example.com", subject="News", body_text="Hi",
                    last_error="550 no such user" if status == "failed" else "",
                    not_before=NOW, created_at=NOW,
                )
            )  # fmt: skip
        s.add(
            Referral(
                account_id=app.account_id, from_contact_id=ada, address="cb@engines.example",
                name="Charles Babbage", created_at=NOW,
            )
        )  # fmt: skip
        s.add(
            SyncCursor(
                account_id=app.account_id, source_kind="imap", source="INBOX",
                consecutive_failures=3, last_error="login refused",
            )
        )  # fmt: skip
        s.execute(update(Account).values(sending_paused="SMTP refused the login"))
        s.execute(
            update(ContactEmail)
            .where(ContactEmail.address == "nobody@gone.example")
            .values(status="bounced", status_changed_at=NOW)
        )
        s.commit()
    assert bounced


def test_status_the_digest_and_the_assistant_read_one_list(app: App) -> None:
    _world_of_every_kind(app)
    items = _status(app)["needs_you"]
    assert [i["kind"] for i in items] == [
        "sending_paused", "draft", "draft", "review", "review", "promise", "referral",
        "undeliverable", "source_failing",
    ]  # fmt: skip
    texts = [i["text"] for i in items]
    assert "update to Ada Lovelace <ada@example.com> failed: 550 no such user" in texts
    assert "update to Ada Lovelace <ada@example.com> waits for your approval" in texts

    # The digest: the same items, in the same words, with the same commands.
    lines = [f"{i['text']}: `{i['command']}`" for i in items]
    assert list(_digest(app).needs_you) == lines

    # The assistant's read: the same items, and the mail and promises in detail.
    with app.factory() as session:
        read = reads.needs_you(session, app.account_id, NOW, 24)
    assert read["items"] == items
    assert [d["status"] for d in read["drafts_awaiting_approval"]] == ["draft", "pending"]
    assert [r["status"] for r in read["failed"] + read["needs_review"]] == [
        "failed",
        "needs_review",
    ]
    [promise] = read["promises"]
    assert promise["due"] == "2026-11-18" and promise["command"].startswith("coffeechat done P")


def _unreadable(app: App, n: int, at: datetime) -> None:
    with app.factory() as s:
        s.add(
            Message(
                account_id=app.account_id, message_id=f"<u{n}@x>", direction="in",
                kind="unreadable", rule="budget", recorded_at=at,
            )
        )  # fmt: skip
        s.commit()


def test_the_digest_tells_what_no_command_settles_only_when_new(app: App) -> None:
    with app.factory() as session:
        kinds = {n.kind for n in needs_you(session, app.account_id, NOW)}
    assert kinds == {"no_contacts"}  # status shows the hint; the digest has no news in it
    assert not _digest(app).has_news
    _unreadable(app, 1, NOW - timedelta(hours=2))
    assert _digest(app).needs_you[0].startswith("unreadable mail: 1, kept but not acted on")
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        uow.record(EmailSent(occurred_at=NOW, kind="digest", message_id="<d@x>", to="jo@x"))
        uow.commit()
    later = NOW + timedelta(days=1)
    assert _digest(app, later).needs_you == ()  # told once, in yesterday's digest
    _unreadable(app, 2, later - timedelta(hours=1))
    assert _digest(app, later).needs_you[0].startswith("unreadable mail: 1,")
    assert [n["text"] for n in _status(app)["needs_you"]][-1].startswith("unreadable mail: 2,")


_BACKTICKED = re.compile(r"`(coffeechat [^`]*)`")


def _resolve(words: list[str]) -> tuple[Any, list[str]]:
    command: Any = typer.main.get_command(cli_module.app)
    while words and hasattr(command, "commands"):
        sub = command.commands.get(words[0])
        if sub is None:
            break
        command, words = sub, words[1:]
    return command, words


def test_every_command_a_needs_you_item_names_exists_with_its_flags(app: App) -> None:
    with app.factory() as session:
        empty = needs_you(session, app.account_id, NOW)
    _world_of_every_kind(app)
    with app.factory() as session:
        items = [*empty, *needs_you(session, app.account_id, NOW)]
    named = {c.strip() for i in items if i.command for c in i.command.split(";")}
    named |= {found for i in items for found in _BACKTICKED.findall(i.text)}
    assert {"coffeechat approve", "coffeechat done", "coffeechat connect"} <= {
        " ".join(c.split()[:2]) for c in named
    }
    for text in sorted(named):
        command, rest = _resolve(shlex.split(text)[1:])
        assert not hasattr(command, "commands"), f"`{text}`: no such command"
        flags = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        for word in rest:
            assert not word.startswith("--") or word in flags, f"`{text}`: no flag {word}"
