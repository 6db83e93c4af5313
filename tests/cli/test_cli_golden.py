"""Golden output of ``status``, ``contacts show``/``list``, ``queue`` and ``run``'s effect lines.

The world is the demo's story over its real local servers, told once at a fixed moment in a
fixed zone (Europe/Paris); the commands then run with their clock fixed a little later. What
they print is compared with the files in tests/cli/golden/, byte for byte.

To regenerate the files after a deliberate change of the output, run

    COFFEECHAT_GOLDEN_UPDATE=1 python -m pytest tests/cli/test_cli_golden.py -q

and read the diff (``git diff tests/cli/golden``) before committing it.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import select, update
from typer.testing import CliRunner

from coffeechat.deployments import cli as cli_module
from coffeechat.deployments.cli import contacts, followup_cmd, records, run_lines
from coffeechat.deployments.demo import run_demo
from coffeechat.flows.steps.app import build_app
from coffeechat.integrations.config import load_settings
from coffeechat.models.reports.activity import Cursor, poll, start
from coffeechat.models.store.tables import Outbox, SyncCursor

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("COFFEECHAT_GOLDEN_UPDATE") == "1"
ZONE = "Europe/Paris"
# A Wednesday evening, past the send window: the story's nudge waits for Thursday 08:00.
STORY_AT = datetime(2026, 11, 25, 21, 40, tzinfo=UTC)
# The commands look at it the next morning.
SHOWN_AT = datetime(2026, 11, 26, 8, 5, tzinfo=UTC)

Run = Callable[..., str]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo's data dir after its story ran once at STORY_AT; its config path."""
    root = tmp_path_factory.mktemp("golden")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", ZONE)
        run_demo(Console(file=io.StringIO(), width=160), root, now=STORY_AT, until="today")
    yield root / "world" / "config.toml"


@pytest.fixture
def cli(story: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The real command line on the story's database, its clock fixed at SHOWN_AT."""
    monkeypatch.setenv("COFFEECHAT_CONFIG", str(story))
    monkeypatch.setenv("COFFEE_DEMO_PASSWORD", "unused")
    for var in ("COFFEECHAT_DATABASE_URL", "COFFEECHAT_DATA_DIR", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    for module in (records, contacts, followup_cmd):
        monkeypatch.setattr(module, "utcnow", lambda: SHOWN_AT)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli_module.app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return run


def check(name: str, text: str) -> None:
    """``text`` equals the golden file ``name`` (or replaces it when updating)."""
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: regenerate (see this module's docstring)"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_status(cli: Run) -> None:
    text = cli("status")
    check("status.txt", text)
    # What a person must be able to read, whatever the golden file says.
    assert ".000" not in text and "+00:00" not in text  # no raw timestamps
    assert "needs you" in text and "`coffeechat approve" in text
    assert "undeliverable" in text and "--add-email" in text


@pytest.mark.parametrize("who", ["Ada", "Nobody", "Alan", "Grace"])
def test_contacts_show(cli: Run, who: str) -> None:
    text = cli("contacts", "show", who)
    check(f"contacts-show-{who.lower()}.txt", text)
    assert "StateChanged" not in text and "+00:00" not in text


def test_contacts_list_and_queue(cli: Run) -> None:
    check("contacts-list.txt", cli("contacts", "list"))
    check("queue.txt", cli("queue"))


def test_full_addresses_when_piped(cli: Run) -> None:
    """Not a terminal: no cell is cut at 80 columns."""
    for line in cli("contacts", "list").splitlines():
        assert "…" not in line
    assert "grace@compilers.example" in cli("contacts", "list")


def test_json_shapes(cli: Run) -> None:
    status = json.loads(cli("status", "--json"))
    assert {"people", "needs_you", "timezone"} <= set(status)
    for item in status["needs_you"]:
        promise = {"due", "contact_id"} if item["kind"] == "promise" else set()
        assert set(item) == {"kind", "text", "command", "id", *promise}
    [draft] = [i for i in status["needs_you"] if i["kind"] == "draft"]
    assert draft["command"] == f"coffeechat approve {draft['id']}"
    [nobody] = [p for p in status["people"] if p["contact"] == "Nobody Here"]
    assert nobody["state"] == "undeliverable" and nobody["next"]["who"] == "you"
    shown = json.loads(cli("contacts", "show", "Ada", "--json"))
    assert set(shown) == {
        "contact", "notes", "conversations", "timeline", "lines", "timeline_left_out", "timezone",
        "chain",
    }  # fmt: skip
    times = [t["at"] for t in shown["timeline"]]
    assert times == sorted(times)
    assert isinstance(json.loads(cli("contacts", "list", "--json")), list)
    assert isinstance(json.loads(cli("queue", "--json")), list)


def test_run_effect_lines(story: Path) -> None:
    """``run``'s lines for the whole story (read from the start), then a nudge cancelled."""
    app = build_app(load_settings(story))
    zone = ZoneInfo(ZONE)
    with app.factory() as session:
        story_lines = run_lines.lines(poll(session, app.account_id, Cursor()), SHOWN_AT, zone)
        cursor = start(session, app.account_id)
        before = session.scalar(select(Outbox.status).where(Outbox.kind == "nudge"))
    with app.factory() as session:
        session.execute(
            update(Outbox).where(Outbox.kind == "nudge").values(status="cancelled")
        )  # what a reply does to a pending nudge
        session.commit()
    try:
        with app.factory() as session:
            later = run_lines.lines(
                poll(session, app.account_id, cursor), SHOWN_AT + timedelta(minutes=7), zone
            )
    finally:
        with app.factory() as session:
            session.execute(update(Outbox).where(Outbox.kind == "nudge").values(status=before))
            session.commit()
    check("run.txt", "\n".join([*story_lines, *later]) + "\n")
    assert later == ["09:12 Linus Slow: nudge cancelled"]


def test_reporter_emits_what_changed(story: Path) -> None:
    """The thread ``run`` starts: nothing for what existed, a line for what changed."""
    app = build_app(load_settings(story))
    emitted: list[str] = []
    reporter = run_lines.EffectReporter(
        app.factory, app.account_id, ZoneInfo(ZONE), emitted.append, lambda: SHOWN_AT
    )
    reporter.poll_once()
    assert emitted == []
    with app.factory() as session:
        nudge: Any = session.scalars(select(Outbox).where(Outbox.kind == "nudge")).one()
        before, nudge.status = nudge.status, "needs_review"
        session.commit()
    try:
        reporter.poll_once()
    finally:
        with app.factory() as session:
            session.execute(update(Outbox).where(Outbox.kind == "nudge").values(status=before))
            session.commit()
    assert emitted == [
        f"09:05 Linus Slow: nudge interrupted: `coffeechat review {nudge.id} sent|resend|drop`"
    ]


def test_reporter_tells_a_source_failing_then_working_again(story: Path) -> None:
    app = build_app(load_settings(story))
    emitted: list[str] = []
    reporter = run_lines.EffectReporter(
        app.factory, app.account_id, ZoneInfo(ZONE), emitted.append, lambda: SHOWN_AT
    )
    inbox = (SyncCursor.source_kind == "imap", SyncCursor.source == "INBOX")
    for failures, error in ((2, "login refused"), (0, "")):
        with app.factory() as session:
            session.execute(
                update(SyncCursor)
                .where(*inbox)
                .values(consecutive_failures=failures, last_error=error)
            )
            session.commit()
        reporter.poll_once()
    assert emitted == [
        "09:05 imap INBOX failing: login refused (`coffeechat status` shows it until it works "
        "again)",
        "09:05 imap INBOX works again",
    ]
