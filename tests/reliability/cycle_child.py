"""The process the whole-cycle SIGKILL test kills: a zygote forking one full cycle per command.

Importing SQLAlchemy, pydantic and the flows costs about a second; forking the loaded process
costs milliseconds, so dozens of killed runs fit in the time budget.

Protocol (one line each, stdin/stdout):
  in:  ``run <settings.json> <now-iso>``  or  ``quit``
  out: ``pid <pid>`` (a child started), ``done <pid>`` (it finished its cycle; it then waits to be
       killed, so its pid cannot be reused before the test's SIGKILL), ``exit <pid> <status>``,
       ``error <pid> <text>`` (the cycle raised: the test fails on it).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

from coffeechat.flows.steps.app import build_app
from coffeechat.integrations.config import Settings
from tests.reliability.world import whole_cycle


def _say(line: str) -> None:
    # os.write, not print: nothing may sit in a stdio buffer that a fork would duplicate.
    os.write(1, (line + "\n").encode())


def _child(config: Path, now: datetime) -> None:
    app = build_app(Settings.model_validate_json(config.read_text(encoding="utf-8")))
    whole_cycle(app, now)
    _say(f"done {os.getpid()}")
    time.sleep(60)  # killed here by the test


def main() -> None:
    """Load once, then fork a full cycle per command until told to quit."""
    _say("ready")
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        _, config, now = words
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                _child(Path(config), datetime.fromisoformat(now))
            except BaseException as err:  # reported to the test, which fails on it
                _say(f"error {os.getpid()} {type(err).__name__}: {err}")
                status = 1
            os._exit(status)
        _say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        _say(f"exit {pid} {status}")


if __name__ == "__main__":
    main()
