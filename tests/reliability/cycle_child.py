"""The process the whole-cycle SIGKILL test kills: a zygote (tests.testbed.zygote) forking cycles.

Protocol, one line each on stdin/stdout:

  in:  ``run <settings.json> <now-iso>``  or  ``quit``
  out: besides the zygote's lines, ``done <pid>`` (the child finished its cycle).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from coffeechat.flows.steps.app import build_app
from coffeechat.integrations.config import Settings
from tests.reliability.world import whole_cycle
from tests.testbed.zygote import say, serve


def _cycle(words: list[str]) -> None:
    config, now = words
    text = Path(config).read_text(encoding="utf-8")
    whole_cycle(build_app(Settings.model_validate_json(text)), datetime.fromisoformat(now))
    say(f"done {os.getpid()}")


if __name__ == "__main__":
    serve(_cycle)
