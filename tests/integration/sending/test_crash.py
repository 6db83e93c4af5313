"""THE crash test: SIGKILL the sender at every step boundary and at random, against real servers.

After every kill, start-up recovery runs. At the end the SMTP server must have received every
intended email at most once (by Message-ID) and every intended email must be sent or
needs_review, with every 'sent' row really received. Half the runs use a provider that files
mail in Sent itself (the test bed delivers a copy to Dovecot's Sent before answering 250), so
recovery's "found in Sent -> sent" path is exercised as well as "not found -> needs_review".
"""

from __future__ import annotations

import collections
import os
import random
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.send import recover_in_flight, send_due
from coffeechat.models.store.tables import Outbox
from tests.integration.sending.seed import NOW, add_interview, add_row, make_app
from tests.testbed import ReceivedMessage, SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.zygote import Zygote

BOUNDARIES = ("claimed", "accepted", "marked", "appending", "random")
RUNS = 125  # 25 per boundary


def _run(zygote: Zygote, step: str, nth: int, save_to_sent: str, limit: int = 3) -> int:
    """Fork a sender (crash_child.py); return its pid."""
    return zygote.run(step, str(nth), save_to_sent, str(limit), NOW.isoformat())


def _kill(zygote: Zygote, pid: int) -> str:
    """SIGKILL the child; 'killed' if it was still working, 'finished' if it had said done."""
    return "killed" if zygote.kill(pid) else "finished"


def _one_run(
    zygote: Zygote, kind: str, nth: int, mode: str, window: float, rng: random.Random
) -> str:
    """Run one sender and kill it at kind (or at random); return 'killed' or 'finished'."""
    pid = _run(zygote, "none" if kind == "random" else kind, nth, mode)
    if kind == "random":
        time.sleep(rng.uniform(0, window))
        return _kill(zygote, pid)
    line = zygote.until(f"at {kind}", f"done {pid}")
    os.kill(pid, signal.SIGKILL)
    zygote.until(f"exit {pid}")
    return "killed" if line.startswith("at") else "finished"


def _add_rows(app: App, count: int) -> None:
    for _ in range(count):
        interview, address = add_interview(app)
        add_row(app, interview, address)


def test_sigkill_at_every_step_never_sends_twice_and_loses_nothing(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer
) -> None:
    started = time.monotonic()
    smtp.require_auth = True
    app = make_app(tmp_path, mailbox, smtp, daily_cap=100_000)
    provider_files_copy = threading.Event()

    def provider(message: ReceivedMessage) -> None:
        if provider_files_copy.is_set():
            mailbox.append(message.raw, "Sent")

    smtp.on_message(provider)
    config = tmp_path / "settings.json"
    config.write_text(app.settings.model_dump_json())
    rng = random.Random(20261120)
    zygote = Zygote("tests.integration.sending.crash_child", str(config), timeout=20)
    kills: collections.Counter[str] = collections.Counter()
    not_reached: collections.Counter[str] = collections.Counter()
    try:
        _add_rows(app, 2)
        t0 = time.monotonic()
        pid = _run(zygote, "none", 1, "always")
        zygote.until(f"done {pid}")
        window = (time.monotonic() - t0) * 1.2
        _kill(zygote, pid)  # random kills land anywhere in a typical run
        for i in range(RUNS):
            kind = BOUNDARIES[i % len(BOUNDARIES)]
            provider_mode = kind in ("claimed", "accepted", "random") and (i // 5) % 2 == 1
            if provider_mode:
                provider_files_copy.set()
            else:
                provider_files_copy.clear()
            _add_rows(app, 2)
            mode = "never" if provider_mode else "always"
            outcome = _one_run(zygote, kind, 1 + (i // 5) % 2, mode, window, rng)
            (kills if outcome == "killed" else not_reached)[kind] += 1
            recover_in_flight(app, NOW, stale_after=timedelta(0))
    finally:
        zygote.close()
    provider_files_copy.clear()
    drained = send_due(app, NOW, limit=10_000)
    assert drained.stopped is None and not drained.unknown

    with app.factory() as s:
        rows = {r.message_id: r.status for r in s.scalars(select(Outbox))}
    received = collections.Counter(m.message_id for m in smtp.messages)
    duplicates = {mid: n for mid, n in received.items() if n > 1}
    outcome_counts = collections.Counter(rows.values())
    review_received = sum(1 for mid, st in rows.items() if st == "needs_review" and mid in received)
    print(
        f"\ncrash test: {RUNS} runs in {time.monotonic() - started:.1f}s; kills per boundary "
        f"{dict(kills)}; not reached {dict(not_reached)}; emails {len(rows)}; outcomes "
        f"{dict(outcome_counts)}; needs_review that had been received {review_received}; "
        f"received {len(received)}; duplicates {len(duplicates)}"
    )
    assert duplicates == {}
    assert set(received) <= set(rows)
    assert set(outcome_counts) <= {"sent", "needs_review"}, outcome_counts
    assert all(mid in received for mid, st in rows.items() if st == "sent")
    assert sum(kills.values()) >= 100
    assert all(kills[k] == RUNS // len(BOUNDARIES) for k in BOUNDARIES[:-1]), kills
    assert kills["random"] >= 15, kills  # a random delay may outlast a short run
