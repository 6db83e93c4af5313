"""The README's first command: the demo world, over real local servers, tells its story once.

The clock is fixed so the outcome does not depend on the day the tests run: a Wednesday evening
(the nudge is placed in Drafts at once) and a Saturday (nudges wait for Monday).
"""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from coffeechat.deployments.demo import run_demo
from coffeechat.integrations.config import ConfigError

STORY_STAGES = {"requested": 2, "prepped": 1, "thanked": 1, "undeliverable": 1}
WEDNESDAY = datetime(2026, 11, 25, 21, 40, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 9, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def paris(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's zone (read from TZ), so the fixed instants fall on the same local days."""
    monkeypatch.setenv("TZ", "Europe/Paris")


def demo(data_dir: Path, now: datetime) -> tuple[dict[str, Any], str]:
    out = io.StringIO()
    summary = run_demo(Console(file=out, width=160), data_dir, now=now)
    return summary, out.getvalue()


def check_story(summary: dict[str, Any]) -> None:
    assert summary["problems"] == []
    # Ada replied and meets tomorrow (prepped); Grace's meeting ended (thanked); Alan is away
    # and Linus silent (both still requested); Nobody's address bounced.
    assert summary["stages"] == STORY_STAGES
    detected = {(d["contact"], d["kind"]) for d in summary["detected"]}
    assert detected == {
        ("Ada Lovelace", "human"),
        ("Grace Hopper", "human"),
        ("Alan Kay", "auto_reply"),
        ("Nobody Here", "bounce"),
    }
    [away] = [d for d in summary["detected"] if d["kind"] == "auto_reply"]
    assert away["return_date"] is not None
    assert summary["referrals"] == ["babbage@engines.example"]
    [sheet] = summary["prep_sheets"]
    assert Path(sheet["path"]).is_file() and sheet["email"] == "sent"
    thanks = summary["thank_you"]
    assert thanks["to"] == "grace@compilers.example" and thanks["status"] == "sent"
    assert thanks["copies_in_mailbox"] == 1  # read back from Grace's own INBOX over IMAP
    assert "Grace" in thanks["text"]
    # The dentist in the same calendar is none of coffeechat's business.
    assert [m["contact"] for m in summary["report"]["next_meetings"]] == ["Ada Lovelace"]


def test_demo_story_and_rerun(tmp_path: Path) -> None:
    first, text = demo(tmp_path, WEDNESDAY)
    check_story(first)
    # The prep sheet and the debrief request (to Jo), the thank-you (to Grace).
    assert first["sent_this_run"] == 3
    assert first["delivered_this_run"] == 3
    nudge = first["nudge"]
    assert nudge["status"] == "draft" and nudge["in_drafts"] == 1  # review mode: for approval
    assert "waiting in your Drafts" in text and "dsn_failed" in text
    assert (tmp_path / "coffeechat.db").exists()

    # Same data dir, ten minutes later: the same world, and nothing is sent or drafted twice.
    second, text = demo(tmp_path, WEDNESDAY + timedelta(minutes=10))
    check_story(second)
    assert second["sent_this_run"] == 0 and second["delivered_this_run"] == 0
    assert second["nudge"] == nudge
    assert "continuing the story in this dir" in text


def test_demo_on_a_weekend_keeps_the_nudge_for_monday(tmp_path: Path) -> None:
    summary, text = demo(tmp_path, SATURDAY)
    check_story(summary)
    nudge = summary["nudge"]
    assert nudge["status"] == "pending" and nudge["in_drafts"] == 0
    monday = datetime.fromisoformat(nudge["not_before"]).astimezone(ZoneInfo("Europe/Paris"))
    assert monday.weekday() == 0
    assert "weekdays only" in text


def test_demo_without_data_dir_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where mkdtemp puts the world
    summary = run_demo(Console(file=io.StringIO()), None, now=WEDNESDAY)
    assert summary["stages"] == STORY_STAGES
    assert not Path(summary["data_dir"]).exists()
    assert list(tmp_path.iterdir()) == []


def test_demo_refuses_a_real_data_dir(tmp_path: Path) -> None:
    (tmp_path / "coffeechat.db").write_bytes(b"")  # someone's real coffeechat data
    with pytest.raises(ConfigError, match="not the demo's"):
        run_demo(Console(file=io.StringIO()), tmp_path, now=WEDNESDAY)
    assert not (tmp_path / "world").exists()
