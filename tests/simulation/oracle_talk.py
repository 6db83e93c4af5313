"""What the conversation must say: thank-yous in the user's words, nothing private, news once.

Expectations re-derived from the world's log and the wire alone (never coffeechat's code or DB):

- thank-you timing with debriefs (issue 14, T1): end = meeting end, earliest = end + 2 h,
  deadline = end + 24 h; the wait for the user's answer ends at min(end + 20 h, the last moment
  before the deadline inside the send window), never before earliest (checked by bounds: the
  product may end it up to WAIT_SLACK earlier, to leave a planning run inside the window). An
  answer seen at R before the wait ends releases the thank-you at max(earliest, R): it goes at
  the first step in the window from then on and cites the answer. Otherwise it goes at the
  first step in the window after the wait ends, in the generic form. Never after the deadline.
- a thank-you that quotes a debrief (its advice, or a person it names) quotes one that had
  arrived when it went; one released by an answer quotes its first advice and names the person.
- no text from a private field (learned, promised, offered, next step) reaches any contact.
- updates (every ``UPDATE_INTERVAL`` after the last thank-you or update, on a weekday inside the
  window, only with news): the news is a milestone recorded since that last touch, a meeting
  with someone the contact introduced, or a promise kept / advice acted on for that contact
  (its note); each update tells all news there is when it goes, and none told before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from tests.simulation.debriefs import PRIVATE
from tests.simulation.scenario import BERLIN, USER
from tests.simulation.world import Answer, ContactLog, MeetingLog, Wire

if TYPE_CHECKING:
    from tests.simulation.oracle import Oracle

WINDOW = (time(8, 0), time(20, 0))
THANKS_DELAY, THANKS_DEADLINE = timedelta(hours=2), timedelta(hours=24)
WAIT = timedelta(hours=20)  # [debrief] thank_you_wait_hours
WAIT_SLACK = timedelta(hours=1)
UPDATE_INTERVAL = timedelta(days=7)  # [cadence] update_interval_days in the month's config
# A touch (thank-you, update) counts from its planned time, at most a step before it went.
STEP_SLACK = timedelta(hours=1)
# The introducer hears of a meeting once it is settled: the thank-you deadline plus two hours
# after its end, and after the met person's thank-you (or its give-up time, a week).
INTRODUCER_MARGIN = timedelta(hours=26)
GIVE_UP = timedelta(days=7)


def flat(text: str) -> str:
    """Whitespace collapsed, case folded: how texts are compared inside a body."""
    return " ".join(text.split()).casefold()


def last_open(before: datetime) -> datetime:
    """Where the last stretch of send window before ``before`` ends (Berlin time).

    A window that opens exactly at ``before`` has no moment before it: the one of the day
    before counts (a meeting ending at 08:00 is thanked the same evening, not at 08:00 next day).
    """
    here = before.astimezone(BERLIN)
    for back in range(8):
        day = here.date() - timedelta(days=back)
        opens = datetime.combine(day, WINDOW[0], tzinfo=BERLIN)
        closes = datetime.combine(day, WINDOW[1], tzinfo=BERLIN)
        last = min(here, closes)
        if last > opens:
            return last.astimezone(UTC)
    raise AssertionError("no send window in a week")


@dataclass(frozen=True)
class ThanksExpected:
    """When a thank-you may go and what it must (not) say."""

    lower: datetime
    upper: datetime | None  # the first step allowed after which it is late (None: never)
    deadline: datetime
    answer: Answer | None
    cites: bool | None  # True: must quote the answer; False: must not; None: either


def thanks_expected(o: Oracle, last_end: datetime, log: ContactLog) -> ThanksExpected:
    """T1 for one meeting (its last version's end) and the user's answer about it."""
    earliest, deadline = last_end + THANKS_DELAY, last_end + THANKS_DEADLINE
    last = last_open(deadline)
    hi = max(earliest, min(last_end + WAIT, last))
    lo = max(earliest, min(last_end + WAIT, last - WAIT_SLACK))
    answer = log.debriefs[0] if log.debriefs else None
    if answer is not None and answer.at < lo:
        ready = max(earliest, answer.at)
        return ThanksExpected(ready, o.first_step(ready, window=True), deadline, answer, True)
    upper = o.first_step(hi, window=True)
    if answer is not None and answer.at < hi:
        return ThanksExpected(min(lo, max(earliest, answer.at)), upper, deadline, answer, None)
    return ThanksExpected(lo, upper, deadline, answer, False)


def check_thanks_text(
    fail: Callable[[str], None], wire: Wire, log: ContactLog, expected: ThanksExpected
) -> bool:
    """Quotes only an answer that had arrived; the released one by its advice and person.

    True when it quotes the user's answer.
    """
    plan, text = log.persona.debrief, flat(wire.text)
    if plan is None:
        return False
    quoted = [t for t in plan.public if flat(t) in text]
    answer = expected.answer
    if quoted and (answer is None or answer.at > wire.at):
        fail(f"thank-you quotes {quoted} before the answer arrived")
    if len(quoted) > 2:
        fail(f"thank-you names {len(quoted)} specifics, at most two: {quoted}")
    # A thank-you written before the answer may still quote it: a row not yet sent is
    # rewritten from the newest answer (thank_yous.py), never retimed. Only an answer that
    # came after it went must never show (checked above).
    if expected.cites is True:
        if plan.advice and flat(plan.advice[0]) not in text:
            fail(f"thank-you leaves out the advice {plan.advice[0]!r}: {text!r}")
        names = [name for name, _ in plan.people]
        if names and not any(flat(n) in text for n in (names[0], *_referred(log))):
            fail(f"thank-you does not name {names[0]!r}: {text!r}")
    return bool(quoted)


def _referred(log: ContactLog) -> list[str]:
    refers = log.persona.refers
    return [refers.name] if refers is not None else []


def check_privacy(o: Oracle) -> None:
    """No private field's marker in any mail to a contact."""
    for wire, kind in zip(o.world.wire, o.kinds, strict=True):
        if wire.to == USER:
            continue
        found = PRIVATE.findall(wire.text) + PRIVATE.findall(wire.subject)
        if found:
            o.fail("privacy", wire.to, f"{kind} of {local(wire.at)} tells private {found}")


@dataclass(frozen=True)
class Item:
    """A piece of news for a contact: when it became news, what, and the words that tell it."""

    at: datetime
    kind: str  # milestone | met | kept
    text: str


def news_items(o: Oracle, who: str, log: ContactLog) -> list[Item]:
    """Every piece of news the month made for ``who``, oldest first."""
    items = [Item(at, "milestone", text) for at, text in o.world.milestones]
    for other in o.world.logs.values():
        if other.persona.introduced_by != who:
            continue
        for meeting in other.meetings:
            settled = _settled(o, other, meeting)
            if settled is not None:
                items.append(Item(settled, "met", other.persona.person.name))
    items += [Item(k.at, "kept", k.note) for k in log.kept if k.note]
    return sorted(items, key=lambda i: (i.at, i.text))


def _held(o: Oracle, meeting: MeetingLog) -> datetime | None:
    last = meeting.versions[-1]
    return None if last.cancelled else o.first_step(last.end)


def _settled(o: Oracle, met: ContactLog, meeting: MeetingLog) -> datetime | None:
    """When a meeting with someone introduced becomes news for the introducer: a margin after
    it (the thank-you deadline and two hours) and once the met person's thank-you went (by us
    or by hand), or at the thank-you's give-up time when none did."""
    ended = _held(o, meeting)
    if ended is None:
        return None
    end = meeting.versions[-1].end
    thanks = [w.at for i, w in enumerate(o.world.wire) if w.to == met.persona.person.email
              and o.kinds[i] == "thank_you" and w.at >= end]  # fmt: skip
    if met.thanked_by_hand is not None and met.thanked_by_hand[0] >= end:
        thanks.append(met.thanked_by_hand[0])
    went = min(thanks, default=end + GIVE_UP)
    return o.first_step(max(end + INTRODUCER_MARGIN, went))


def check_updates(o: Oracle, who: str, log: ContactLog, thanked: datetime | None) -> int:
    """The updates ``who`` got against the news they had; how many went."""
    sent = sorted(o._take(who, "update"), key=lambda w: w.at)
    if thanked is None:
        for wire in sent:
            o.fail("updates", who, f"update at {local(wire.at)} to someone never thanked")
        return 0
    items, told, touch, n = news_items(o, who, log), set[str](), thanked, 0
    while True:
        pending = [
            i for i in items if i.text not in told and (i.kind != "milestone" or i.at > touch)
        ]
        if not pending:
            break
        first = min(i.at for i in pending)
        lower = max(touch + UPDATE_INTERVAL - STEP_SLACK, first)
        due = o.first_step(max(touch + UPDATE_INTERVAL, first), window=True, weekdays=True)
        if due is None or due > o.end:
            break
        if n >= len(sent):
            what = ", ".join(repr(i.text[:40]) for i in pending)
            o.fail("updates", who, f"{n + 1}. update due by {local(due)} for {what}: none went")
            return n
        wire = sent[n]
        _check_update(o, who, wire, lower, due, pending, told)
        told |= {i.text for i in pending if i.at <= wire.at}
        touch, n = wire.at, n + 1
    for wire in sent[n:]:
        o.fail(
            "updates", who, f"update at {local(wire.at)} without news: {flat(wire.text)[:200]!r}"
        )
    return n


def _check_update(
    o: Oracle,
    who: str,
    wire: Wire,
    lower: datetime,
    due: datetime,
    pending: list[Item],
    told: set[str],
) -> None:
    at, text = wire.at, flat(wire.text)
    on_time = lower <= at and (at <= due or o.held_by_send_limit(due, at))
    if not (on_time and _in_window(at, weekdays=True)):
        o.fail("updates", who, f"update {local(at)}; expected in [{local(lower)}, {local(due)}]")
    for item in pending:
        if item.at <= at and flat(item.text) not in text:
            o.fail("updates", who, f"update of {local(at)} leaves out {item.kind} {item.text!r}")
    for old in told:
        if flat(old) in text:
            o.fail("updates", who, f"update of {local(at)} repeats {old!r}")


def _in_window(t: datetime, *, weekdays: bool = False) -> bool:
    here = t.astimezone(BERLIN)
    if weekdays and here.weekday() >= 5:
        return False
    return WINDOW[0] <= here.time() < WINDOW[1]


def local(t: datetime) -> str:
    """A time as the user reads it."""
    return t.astimezone(BERLIN).strftime("%a %d %b %H:%M %Z")
