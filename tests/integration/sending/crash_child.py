"""The process the crash test kills: a zygote that forks one sender per run.

Importing SQLAlchemy, pydantic and friends costs ~1 s; forking an already-loaded process costs
milliseconds, which is what lets 100+ SIGKILLed runs fit in well under two minutes.

Protocol (one line each, on stdin/stdout):
  in:  ``run <step|random|none> <nth> <save_to_sent> <limit> <now-iso>``  or  ``quit``
  out: ``pid <pid>`` (a child started), ``at <step> <row> <pid>`` (the child reached the step;
       it then waits to be killed, except at "appending" where it carries on so the kill lands
       inside the APPEND), ``done <pid> <sent> <unknown>`` (finished; it still waits to be
       killed), ``exit <pid> <status>``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime

from coffeechat.flows.steps import send as outbox_send
from coffeechat.flows.steps.app import build_app
from coffeechat.integrations.config import Settings


def _say(line: str) -> None:
    # os.write, not print: nothing may sit in a stdio buffer that a fork would duplicate.
    os.write(1, (line + "\n").encode())


def _child(settings: Settings, step: str, nth: int, limit: int, now: datetime) -> None:
    seen = 0

    def hook(at: str, row_id: int) -> None:
        nonlocal seen
        if at != step:
            return
        seen += 1
        if seen < nth:
            return
        _say(f"at {at} {row_id} {os.getpid()}")
        if at != "appending":
            time.sleep(60)  # killed here by the test

    outbox_send.step_hook = hook
    app = build_app(settings)
    report = outbox_send.send_due(app, now, limit=limit)
    _say(f"done {os.getpid()} {len(report.sent)} {len(report.unknown)}")
    # Wait for the test's SIGKILL even when finished: a child the zygote has not reaped keeps
    # its pid, so the test can never kill some other process that reused it.
    time.sleep(60)


def main() -> None:
    """Load once, then fork a sender per command until told to quit."""
    with open(sys.argv[1], encoding="utf-8") as file:
        base = Settings(**json.load(file))
    _say("ready")
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        _, step, nth, save_to_sent, limit, now = words
        assert base.smtp is not None
        smtp = base.smtp.model_copy(update={"save_to_sent": save_to_sent})
        settings = base.model_copy(update={"smtp": smtp})
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                _child(settings, step, int(nth), int(limit), datetime.fromisoformat(now))
            except BaseException as err:  # reported to the test, which fails on it
                _say(f"error {os.getpid()} {type(err).__name__}: {err}")
                status = 1
            os._exit(status)
        _say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        _say(f"exit {pid} {status}")


if __name__ == "__main__":
    main()
