"""``status``'s *needs you* and each conversation's next step, on a real database.

The world is written with the domain's own functions at a fixed moment; the report is read at
another (``now`` is a parameter of the model, as everywhere).
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.flows.steps.app import App, build_app
from coffeechat.integrations.config import load_settings
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.interviews.lifecycle import Event
from coffeechat.models.interviews.moves import apply_event, open_interview
from coffeechat.models.reports.status import status_report
from coffeechat.models.store.tables import (
    Account,
    Contact,
    ContactEmail,
    Interview,
    Outbox,
    Referral,
    SyncCursor,
)
from coffeechat.models.store.uow import UnitOfWork

SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> App:
    config = tmp_path / "config.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        '[account]\nname = "Jo Seeker"\nemail = "jo@example.com"\ntimezone = "Europe/Paris"\n'
    )
    monkeypatch.setenv("COFFEECHAT_DATABASE_URL", database_url)
    return build_app(load_settings(config))


def _requested(app: App, name: str, address: str) -> tuple[int, int]:
    """A contact asked for a conversation at SENT: (contact id, interview id)."""
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        contact, _ = upsert_contact(
            uow, ContactRow(line=0, name=name, emails=(address,)), source="t", now=SENT
        )
        interview = open_interview(uow, contact, now=SENT)
        apply_event(uow, interview, Event.OUTREACH_SENT, now=SENT)
        uow.commit()
        return contact.id, interview.id


def _report(app: App) -> dict[str, Any]:
    settings = app.settings
    with app.factory() as session:
        return status_report(session, app.account_id, NOW, cadence=settings.cadence)


def test_a_contact_whose_only_address_bounced_is_undeliverable_with_the_fix(app: App) -> None:
    """Even when the interview did not move (the bounce came another way), status says so."""
    cid, _ = _requested(app, "Nobody Here", "nobody@gone.example")
    with app.factory() as session:
        session.execute(update(ContactEmail).values(status="bounced", status_changed_at=NOW))
        session.commit()
    report = _report(app)
    [person] = report["people"]
    assert person["state"] == "undeliverable"
    command = f'coffeechat contacts edit "#{cid}" --add-email ADDRESS'
    assert person["next"] == {"who": "you", "what": person["next"]["what"], "at": None,
                              "command": command}  # fmt: skip
    [need] = report["needs_you"]
    assert need["kind"] == "undeliverable" and need["command"] == command


def test_needs_you_lists_drafts_referrals_paused_sending_and_failing_sources(app: App) -> None:
    cid, iid = _requested(app, "Ada Lovelace", "ada@example.com")
    with app.factory() as session:
        session.add(
            Outbox(
                account_id=app.account_id,
                interview_id=iid,
                kind="nudge",
                occurrence="1",
                message_id="<n@x>",
                status="draft",
                mode="review",
                to_addr="ada@example.com",
                subject="Re: Coffee?",
                body_text="Hi",
                not_before=NOW,
                created_at=NOW,
            )
        )
        session.add(
            Referral(
                account_id=app.account_id,
                from_contact_id=cid,
                address="cb@engines.example",
                name="Charles Babbage",
                created_at=NOW,
            )
        )
        session.add(
            SyncCursor(
                account_id=app.account_id,
                source_kind="imap",
                source="INBOX",
                consecutive_failures=3,
                last_error="login refused",
            )
        )
        session.execute(update(Account).values(sending_paused="SMTP refused the login"))
        session.commit()
    report = _report(app)
    needs = {n["kind"]: n["command"] for n in report["needs_you"]}
    assert needs == {
        "draft": "coffeechat approve 1",
        "referral": "coffeechat referrals accept 1",
        "sending_paused": "coffeechat resume-sending",
        "source_failing": "coffeechat connect",
    }
    [person] = report["people"]
    assert person["next"]["who"] == "you" and person["next"]["command"] == "coffeechat approve 1"


def test_a_nudge_is_coffeechats_next_step_with_its_time(app: App) -> None:
    _requested(app, "Linus Slow", "linus@example.com")
    with app.factory() as session:
        session.execute(update(Contact).values(tags=["nudge"]))
        session.commit()
    [person] = _report(app)["people"]
    step = person["next"]
    assert step["who"] == "coffeechat" and step["what"] == "nudge if no reply"
    assert datetime.fromisoformat(step["at"]) > SENT + timedelta(days=3)


def test_following_the_undeliverable_hint_gives_the_same_contact_a_working_address(
    app: App, tmp_path: Path
) -> None:
    """The commands status names work: the address joins that contact, then outreach is queued."""
    _, iid = _requested(app, "Nobody Here", "nobody@gone.example")
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        uow.session.execute(update(ContactEmail).values(status="bounced", status_changed_at=NOW))
        interview = uow.session.get(Interview, iid)
        assert interview is not None
        apply_event(uow, interview, Event.BOUNCED, now=NOW)
        uow.commit()
    [need] = _report(app)["needs_you"]
    edit, outreach = (c.strip() for c in need["command"].split(";"))
    runner, config = CliRunner(), str(tmp_path / "config.toml")

    def cli(command: str) -> str:
        args = shlex.split(command.replace("ADDRESS", "nobody@found.example"))[1:]
        result = runner.invoke(cli_module.app, ["--config", config, *args])
        assert result.exit_code == 0, result.output
        return result.output

    cli(edit)
    with app.factory() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 1
    [person] = _report(app)["people"]
    assert person["email"] == "nobody@found.example"
    assert person["next"]["command"] == outreach  # only the new request is left to ask for
    assert "queued" in cli(outreach)
    [person] = _report(app)["people"]
    assert person["next"]["who"] == "coffeechat" and "request" in person["next"]["what"]
