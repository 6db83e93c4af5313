"""The README's first command: the demo world ends in the story it tells."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from deployments.demo import run_demo


def test_demo_story(tmp_path: Path) -> None:
    out = io.StringIO()
    report = run_demo(Console(file=out, width=120), tmp_path)
    stages = {k: v for k, v in report["stages"].items() if v}  # type: ignore[attr-defined]
    # Ada replied and meets tomorrow; Grace's meeting ended; Alan is away (an auto-reply is
    # not a reply); Nobody bounced; Linus has not answered.
    assert stages == {"requested": 2, "scheduled": 1, "held": 1, "undeliverable": 1}
    text = out.getvalue()
    assert "auto_reply" in text and "bounce" in text
    assert (tmp_path / "coffeechat.db").exists()
    [meeting] = report["next_meetings"]  # type: ignore[misc]
    assert meeting["contact"] == "Ada Lovelace"  # the dentist is not ours to store
