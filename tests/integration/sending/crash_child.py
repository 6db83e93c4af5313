"""The process the crash test kills: a zygote (tests.testbed.zygote) forking one sender per run.

Protocol, one line each on stdin/stdout:

  in:  ``run <step|random|none> <nth> <save_to_sent> <limit> <now-iso>``  or  ``quit``
  out: besides the zygote's lines, ``at <step> <row> <pid>`` (the child reached the step; it
       then waits to be killed, except at "appending" where it carries on so the kill lands
       inside the APPEND) and ``done <pid> <sent> <unknown>`` (finished).
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
from tests.testbed.zygote import say, serve


def _sender(base: Settings, words: list[str]) -> None:
    step, nth, save_to_sent, limit, now = words
    assert base.smtp is not None
    smtp = base.smtp.model_copy(update={"save_to_sent": save_to_sent})
    settings = base.model_copy(update={"smtp": smtp})
    seen = 0

    def hook(at: str, row_id: int) -> None:
        nonlocal seen
        if at != step:
            return
        seen += 1
        if seen < int(nth):
            return
        say(f"at {at} {row_id} {os.getpid()}")
        if at != "appending":
            time.sleep(60)  # killed here by the test

    outbox_send.step_hook = hook
    app = build_app(settings)
    report = outbox_send.send_due(app, datetime.fromisoformat(now), limit=int(limit))
    say(f"done {os.getpid()} {len(report.sent)} {len(report.unknown)}")


def main() -> None:
    """Load the settings once, then fork a sender per command until told to quit."""
    with open(sys.argv[1], encoding="utf-8") as file:
        base = Settings(**json.load(file))
    serve(lambda words: _sender(base, words))


if __name__ == "__main__":
    main()
