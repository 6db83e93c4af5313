"""The classification child: each budget ends one message, never the batch, never the caller.

These run the real child process (flows/steps/classify_child.py) with the test hook of
hooks.py standing in for inputs that defeat the parsers.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from coffeechat.flows.steps import classify_worker
from coffeechat.flows.steps.classify_worker import (
    Classified,
    Job,
    SyncStopped,
    Unreadable,
    classify_batch,
)
from coffeechat.models.classify import Kind
from tests.integration.poison.conftest import HOOK, NOW, ada_reply, secondly_invitation

JOB = Job(
    today=NOW.date(),
    max_bytes=10_000_000,
    zone="Europe/Paris",
    window=(NOW - timedelta(days=14), NOW + timedelta(days=365)),
    hook=HOOK,
)


def kinds(outcomes: list[classify_worker.Outcome]) -> list[str]:
    return [o.verdict.kind.value if isinstance(o, Classified) else o.rule for o in outcomes]


@pytest.mark.parametrize(
    ("shape", "rule"),
    [("spin", "budget:cpu"), ("memory", "budget:memory"), ("crash", "worker:died")],
)
def test_a_poison_costs_one_message_and_the_rest_are_classified(shape: str, rule: str) -> None:
    raws = [ada_reply(1), ada_reply(2, poison=shape), ada_reply(3)]
    outcomes = classify_batch(raws, JOB)
    assert kinds(outcomes) == ["human", rule, "human"]
    bad = outcomes[1]
    assert isinstance(bad, Unreadable) and bad.reason
    good = outcomes[2]
    assert isinstance(good, Classified) and good.verdict.mail.message_id == "<ada-3@example.com>"


def test_a_blocked_child_is_abandoned_at_the_wall_clock_cap() -> None:
    job = replace(JOB, wall_seconds=1.5)
    outcomes = classify_batch([ada_reply(1, poison="block"), ada_reply(2)], job)
    assert kinds(outcomes) == ["budget:time", "human"]


def test_a_secondly_invitation_is_unreadable_without_any_hook() -> None:
    """The measured stall: without a cap in the calendar parser, the CPU budget ends it."""
    job = replace(JOB, hook=None)
    started = time.monotonic()
    outcomes = classify_batch([secondly_invitation(), ada_reply(1)], job)
    print(f"secondly invitation + reply classified in {time.monotonic() - started:.1f} s")
    first, second = outcomes
    # A bounded parser (elsewhere) may read it as an invitation with its series skipped.
    if isinstance(first, Classified):
        assert first.verdict.kind is Kind.INVITATION
        assert first.calendar is not None and len(first.calendar.occurrences) <= 2000
    else:
        assert first.rule.startswith("budget:")
    assert isinstance(second, Classified) and second.verdict.kind is Kind.HUMAN


def test_an_invitation_calendar_comes_back_parsed() -> None:
    raw = secondly_invitation().replace(b"RRULE:FREQ=SECONDLY\r\n", b"").replace(b"1101T", b"1125T")
    (outcome,) = classify_batch([raw], replace(JOB, hook=None))
    assert isinstance(outcome, Classified) and outcome.verdict.kind is Kind.INVITATION
    assert outcome.calendar is not None and len(outcome.calendar.occurrences) == 1


def test_abandon_kills_the_child_and_the_caller_stops(poison_mark: Path) -> None:
    mark = poison_mark
    errors: list[BaseException] = []

    def work() -> None:
        try:
            classify_batch([ada_reply(1, poison="block")], JOB)
        except BaseException as err:
            errors.append(err)

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 30
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mark.exists(), "the poison never started"
    pid = int(mark.read_text())
    started = time.monotonic()
    classify_worker.abandon(thread)
    thread.join(10)
    took = time.monotonic() - started
    print(f"abandoned in {took:.2f} s")
    assert not thread.is_alive() and len(errors) == 1 and isinstance(errors[0], SyncStopped)
    assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid), "the child outlived abandon"


def test_the_child_is_kept_between_batches() -> None:
    classify_batch([ada_reply(1)], JOB)
    first = classify_worker._idle[threading.current_thread()].proc.pid
    classify_batch([ada_reply(2)], JOB)
    assert classify_worker._idle[threading.current_thread()].proc.pid == first


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "gone"
