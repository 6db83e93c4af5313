"""Effects are a function of the facts, not of the order they were learned in.

The same Sent history, INBOX messages and calendar versions, read in any order hypothesis can
find (folders interleaved with the calendar, messages in any order, any chunk boundaries), end
in the same database and the same outbox as when read in the order a first run intends (Sent,
then INBOX, then the calendar).

Within the space generated: a meeting in the past has one version (a past meeting that moves or
is cancelled after it was held is a correction no order can make consistent), and every message
has a Date (without one, a message's time is when it was read).
"""

from __future__ import annotations

import difflib
import pprint
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property.facts import (
    NOW,
    PEOPLE,
    Facts,
    Mail,
    Scratch,
    Step,
    auto_reply,
    bounce,
    event,
    newsletter,
    outreach,
    reply,
    run,
    thanks,
)
from tests.simulation.mailgen import vcalendar

HOURS_AGO = st.integers(min_value=0, max_value=24 * 12)


@st.composite
def contact_facts(draw: st.DrawFn, k: int) -> tuple[list[Mail], list[tuple[Any, ...] | None]]:
    """One contact's mail and the versions of their meeting (None: not in the calendar)."""
    p, mails = PEOPLE[k], []
    for n, ago in enumerate(draw(st.lists(HOURS_AGO, max_size=2))):
        mails.append(outreach(p, NOW - timedelta(hours=ago), n))
    for n, (ago, optout, threaded) in enumerate(
        draw(st.lists(st.tuples(HOURS_AGO, st.booleans(), st.booleans()), max_size=2))
    ):
        mails.append(reply(p, NOW - timedelta(hours=ago), n, optout=optout, threaded=threaded))
    for n, (ago, days) in enumerate(
        draw(st.lists(st.tuples(HOURS_AGO, st.integers(-3, 10)), max_size=2))
    ):
        when = NOW - timedelta(hours=ago)
        mails.append(auto_reply(p, when, when.date() + timedelta(days=days), n))
    for n, ago in enumerate(draw(st.lists(HOURS_AGO, max_size=1))):
        mails.append(bounce(p, NOW - timedelta(hours=ago), n))
    versions: list[tuple[Any, ...] | None] = []
    kind = draw(st.sampled_from(["none", "past", "future"]))
    minutes = draw(st.sampled_from([30, 60]))
    if kind == "past":
        end = NOW - timedelta(hours=draw(st.integers(1, 40)))
        versions.append((end - timedelta(minutes=minutes), minutes, False))
        for n, after in enumerate(draw(st.lists(st.integers(-4, 8), max_size=2))):
            when = min(end + timedelta(hours=after), NOW)
            mails.append(thanks(p, when, n))
    elif kind == "future":
        start = NOW + timedelta(hours=draw(st.integers(2, 72)))
        versions.append((start, minutes, False))
        for change in draw(st.lists(st.sampled_from(["move", "cancel", "remove"]), max_size=2)):
            if change == "move":
                moved = start + timedelta(hours=draw(st.integers(-30, 30)))
                start = max(moved, NOW + timedelta(hours=2))  # a future meeting stays ahead
                versions.append((start, minutes, False))
            else:
                versions.append((start, minutes, True) if change == "cancel" else None)
                break
    return mails, versions


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    """Up to three contacts' facts, some newsletters, and the calendar's versions."""
    count = draw(st.integers(1, len(PEOPLE)))
    mails: list[Mail] = []
    meetings = []
    for k in range(count):
        m, versions = draw(contact_facts(k))
        mails += m
        meetings.append((PEOPLE[k], versions))
    for n, ago in enumerate(draw(st.lists(HOURS_AGO, max_size=2))):
        mails.append(newsletter(NOW - timedelta(hours=ago), n))
    length = max((len(v) for _, v in meetings), default=0)
    calendar = []
    for j in range(max(length, 1)):
        events = []
        for p, versions in meetings:
            if not versions:
                continue
            seq = min(j, len(versions) - 1)
            version = versions[seq]
            if version is not None:
                start, minutes, cancelled = version
                events.append(event(p, start, minutes, seq, cancelled=cancelled))
        calendar.append(vcalendar(events))
    return Facts(tuple(mails), tuple(calendar))


def intended(f: Facts) -> list[Step]:
    """Sent, then INBOX, each in one chunk, then each calendar version."""
    sent = tuple(i for i, m in enumerate(f.mails) if m.folder == "Sent")
    inbox = tuple(i for i, m in enumerate(f.mails) if m.folder == "INBOX")
    steps: list[Step] = [("Sent", sent), ("INBOX", inbox)] if sent or inbox else []
    return steps + [("calendar", (j,)) for j in range(len(f.calendar))]


def shuffled(data: st.DataObject, f: Facts) -> list[Step]:
    """The same facts in any order: messages permuted, chunked anywhere, sources interleaved."""
    queues: dict[str, list[tuple[int, ...]]] = {}
    for folder in ("Sent", "INBOX"):
        mine = [i for i, m in enumerate(f.mails) if m.folder == folder]
        order = data.draw(st.permutations(mine), label=f"{folder} order")
        cuts = data.draw(st.lists(st.booleans(), min_size=len(order), max_size=len(order)))
        chunks, chunk = [], []
        for i, cut in zip(order, cuts, strict=True):
            chunk.append(i)
            if cut:
                chunks.append(tuple(chunk))
                chunk = []
        queues[folder] = [*chunks, tuple(chunk)] if chunk else chunks
    queues["calendar"] = [(j,) for j in range(len(f.calendar))]
    steps: list[Step] = []
    while any(queues.values()):
        source = data.draw(st.sampled_from(sorted(k for k, q in queues.items() if q)))
        steps.append((source, queues[source].pop(0)))
    return steps


@settings(
    max_examples=200,
    report_multiple_bugs=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(f=facts(), data=st.data())
def test_same_facts_in_any_order_give_the_same_state(
    f: Facts, data: st.DataObject, databases: tuple[Scratch, Scratch]
) -> None:
    """The state and the outbox depend on the facts only."""
    steps = shuffled(data, f)
    expected = run(f, intended(f), databases[0])
    got = run(f, steps, databases[1])
    story = "\n".join(
        f"  {source}: " + ", ".join(f.mails[i].what for i in which)
        if source != "calendar"
        else f"  calendar version {which[0]}"
        for source, which in steps
    )
    if got != expected:
        diff = difflib.unified_diff(
            pprint.pformat(expected, width=120).splitlines(),
            pprint.pformat(got, width=120).splitlines(),
            "read as intended",
            "read in this order",
            lineterm="",
        )
        pytest.fail(f"read in this order:\n{story}\n" + "\n".join(diff), pytrace=False)
