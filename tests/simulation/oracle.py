"""A careful person's expectations, computed from what the world did, never from coffeechat's DB.

Inputs: the scenario (clock steps, milestones), the world's log (when each contact received our
outreach, what they wrote and when coffeechat could see it, every version of every meeting)
and the wire (what reached the SMTP server, at which simulated time). The rules are the craft's
(docs/sending.md, "When each email is due"), in the user's zone, written here independently of
models/followups/cadence.py:

- outreach: on a weekday inside 08:00-20:00, at the first step that allows it.
- prep sheet: one per meeting version that is current at some step within 24 h before its
  start; sent at or after max(known, start - 24 h), before the start, no later than the first
  such step; "Updated prep" when an earlier version's sheet went out.
- thank-you: once per meeting that took place, never for a cancelled one; it waits for the
  user's debrief answer, then goes inside 08:00-20:00 within 24 h of the end, quoting the answer
  when it came in time (oracle_talk.py has the rule, T1 and T2 of issue 14).
- nudge: only for contacts tagged "nudge" who neither answered, booked nor bounced; after 7
  business days (wall-clock time kept), on a weekday inside the window, never before an
  announced return date and at the latest on the first step of the business day after it.
- update: only with news (a milestone, a meeting with someone they introduced, a promise kept or
  advice acted on) and at least a week (the month's interval) after the last thank-you or
  update; inside the weekday window; it tells all the news and none told before.
- privacy: nothing from a debrief's private fields ever reaches a contact.
- threads: follow-ups answer the last message of the conversation (ours or the contact's human
  reply; never an auto-reply or an invitation), keep the root in References and "Re: subject".
- nothing else: every message on the wire is one of the above; none to a bounced or opted-out
  contact after that happened.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial

from tests.simulation.oracle_talk import (
    check_privacy,
    check_thanks_text,
    check_updates,
    thanks_expected,
)
from tests.simulation.scenario import BERLIN, USER, Scenario
from tests.simulation.world import ContactLog, MeetingLog, Version, Wire, World

WINDOW = (time(8, 0), time(20, 0))
PREP_LEAD = timedelta(hours=24)
NUDGE_BUSINESS_DAYS = 7
SEND_LIMIT = 20  # emails one cycle sends at most (flows/steps/send.py); the rest wait a cycle
_MARKERS = (
    ("Thank you for taking the time to talk", "thank_you"),
    ("I wanted to follow up on my earlier note", "nudge"),
    ("I wanted to share some news with you", "update"),
    ("A quick update, since you were so generous", "update"),
)
REMINDER = timedelta(hours=24)  # [debrief] reminder_hours
_DEBRIEF = re.compile(r"^How did it go with (.+)\?$")
_SHEET = re.compile(r"^(Updated prep|Prep): coffee with (.+), (\w{3} \d{1,2} \w{3} \d\d:\d\d)$")


@dataclass(frozen=True)
class Violation:
    """One way what happened differs from what a careful person would have done."""

    check: str
    who: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.who}: {self.detail}"


def local(t: datetime) -> str:
    """A time as the user reads it."""
    return t.astimezone(BERLIN).strftime("%a %d %b %H:%M %Z")


def in_window(t: datetime, *, weekdays: bool = False) -> bool:
    """Inside the daily send window (and on a weekday, if asked), on the user's clock."""
    here = t.astimezone(BERLIN)
    if weekdays and here.weekday() >= 5:
        return False
    return WINDOW[0] <= here.time() < WINDOW[1]


def add_business_days(t: datetime, n: int) -> datetime:
    """n weekdays later at the same wall-clock time in Berlin."""
    here = t.astimezone(BERLIN)
    day = here.date()
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return datetime.combine(day, here.time(), tzinfo=BERLIN)


def kind_of(wire: Wire) -> str:
    """What a sent message is, as its recipient would tell."""
    if wire.to == USER:
        if _DEBRIEF.match(base_subject(wire.subject)):
            return "debrief_reminder" if wire.in_reply_to else "debrief_request"
        return "prep_sheet" if wire.message["Auto-Submitted"] else "unknown"
    if wire.in_reply_to is None:
        return "outreach"
    text = wire.text
    return next((kind for marker, kind in _MARKERS if marker in text), "unknown")


def base_subject(subject: str) -> str:
    """A subject without reply prefixes."""
    return re.sub(r"^(\s*re:\s*)+", "", subject, flags=re.IGNORECASE).strip()


@dataclass
class Oracle:
    """Every check, over one finished world."""

    scenario: Scenario
    world: World
    violations: list[Violation] = field(default_factory=list)
    claimed: set[int] = field(default_factory=set)
    expected_state: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        self.steps = self.scenario.steps
        self.end = self.steps[-1]
        self.kinds = [kind_of(w) for w in self.world.wire]
        self.per_step = Counter(w.at for w in self.world.wire)
        self.sent: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, (wire, kind) in enumerate(zip(self.world.wire, self.kinds, strict=True)):
            who = self.sheet_contact(wire) if kind == "prep_sheet" else wire.to
            if kind.startswith("debrief"):
                who = self.debrief_contact(wire)
            self.sent[(who, kind)].append(i)

    # -- helpers ---------------------------------------------------------------------------

    def first_step(
        self, at: datetime, *, window: bool = False, weekdays: bool = False
    ) -> datetime | None:
        """The first clock step at or after ``at`` (inside the send window if asked)."""
        for step in self.steps:
            if step >= at and (not window or in_window(step, weekdays=weekdays)):
                return step
        return None

    def held_by_send_limit(self, due: datetime, at: datetime) -> bool:
        """Whether mail due at ``due`` but sent at ``at`` was held by the per-cycle send limit:
        every step from ``due`` until ``at`` sent the limit (a Monday morning after a weekend
        of updates falling due)."""
        busy = [s for s in self.steps if due <= s < at]
        return all(self.per_step.get(s, 0) >= SEND_LIMIT for s in busy)

    def fail(self, check: str, who: str, detail: str) -> None:
        """Record a violation (those about the hand-thanked contacts under their own name)."""
        log = self.world.logs.get(who)
        if log is not None and log.persona.thanks_by_hand is not None:
            check = log.persona.kind
        self.violations.append(Violation(check, who, detail))

    def of(self, check: str) -> list[Violation]:
        """The violations of one check."""
        return [v for v in self.violations if v.check == check]

    def sheet_contact(self, wire: Wire) -> str:
        match = _SHEET.match(wire.subject)
        if match is None:
            return "?"
        for email_, log in self.world.logs.items():
            if log.persona.person.name == match.group(2):
                return email_
        return "?"

    def debrief_contact(self, wire: Wire) -> str:
        """The contact a debrief request (or its reminder) asks about."""
        match = _DEBRIEF.match(base_subject(wire.subject))
        for email_, log in self.world.logs.items():
            if match is not None and log.persona.person.name == match.group(1):
                return email_
        return "?"

    def _take(self, who: str, kind: str) -> list[Wire]:
        found = self.sent.get((who, kind), [])
        self.claimed.update(found)
        return [self.world.wire[i] for i in found]

    def _outreach_time(self, log: ContactLog) -> datetime | None:
        if log.hand is not None:
            return log.hand[0]
        return log.arrived

    def _engaged(self, log: ContactLog) -> datetime | None:
        """When coffeechat could first see the contact answer, book, opt out or bounce."""
        times = [i.at for i in log.inbound if i.kind in ("reply", "optout", "invite", "bounce")]
        times += [m.versions[0].at for m in log.meetings]
        return min(times, default=None)

    # -- the checks ------------------------------------------------------------------------

    def run(self) -> Oracle:
        """Run every check."""
        for email_, log in self.world.logs.items():
            self._outreach(email_, log)
            nudged = self._nudge(email_, log)
            sheets_last = False
            thanked: datetime | None = None
            for meeting in log.meetings:
                sheets_last = self._prep_sheets(email_, meeting)
                thanked = self._thank_you(email_, meeting, log)
            self._debriefs(email_, log)
            self._stopped(email_, log)
            updated = self._update(email_, log, thanked)
            self.expected_state[email_] = self._state(log, nudged, sheets_last, thanked, updated)
        self._threads()
        check_privacy(self)
        for i, wire in enumerate(self.world.wire):
            self.counts[self.kinds[i]] += 1
            if i not in self.claimed:
                self.fail(
                    "nothing_else",
                    wire.to,
                    f"unexpected {self.kinds[i]} at {local(wire.at)}: {wire.subject!r}",
                )
        return self

    def _outreach(self, who: str, log: ContactLog) -> None:
        sent = self._take(who, "outreach")
        if log.created_at is None:
            if sent:
                self.fail("outreach", who, f"{len(sent)} outreach but none was asked for")
            return
        due = self.first_step(log.created_at, window=True, weekdays=True)
        if due is None or due > self.end:
            if sent:
                self.fail("outreach", who, "sent although no window opened in the month")
            return
        if len(sent) != 1:
            self.fail("outreach", who, f"{len(sent)} outreach emails, expected 1")
            return
        at = sent[0].at
        if not (log.created_at <= at <= due and in_window(at, weekdays=True)):
            self.fail(
                "outreach",
                who,
                f"sent {local(at)}; asked {local(log.created_at)}, "
                f"due by {local(due)} (weekday, 08-20)",
            )
        intro = log.persona.introduced_by
        if intro is not None:
            # The introducer by full name, as the issue asks ("Ada Lovelace suggested I get in
            # touch"): a first name alone is ambiguous among a user's contacts.
            full = self.world.logs[intro].persona.person.name
            if not sent[0].subject.startswith(f"{full} suggested"):
                self.fail("outreach", who, f"referral not credited: {sent[0].subject!r}")

    def _nudge(self, who: str, log: ContactLog) -> bool:
        sent = self._take(who, "nudge")
        expected, lower = self._nudge_due(log)
        if expected is None:
            if sent:
                self.fail(
                    "nudge",
                    who,
                    f"nudged at {local(sent[0].at)}, expected no nudge ({self._why_no_nudge(log)})",
                )
            return False
        if len(sent) != 1:
            self.fail("nudge", who, f"{len(sent)} nudges, expected 1 by {local(expected)}")
            return False
        at = sent[0].at
        if not (lower <= at <= expected and in_window(at, weekdays=True)):
            self.fail(
                "nudge",
                who,
                f"nudged {local(at)}; expected in [{local(lower)}, "
                f"{local(expected)}] on a weekday 08-20",
            )
        return True

    def _nudge_due(self, log: ContactLog) -> tuple[datetime | None, datetime]:
        outreach = self._outreach_time(log)
        if not log.persona.nudge or outreach is None:
            return None, self.end
        lower = add_business_days(outreach, NUDGE_BUSINESS_DAYS)
        upper = lower
        for auto in (i for i in log.inbound if i.kind == "auto_reply" and i.return_date):
            assert auto.return_date is not None
            back = datetime.combine(auto.return_date, time(0), tzinfo=BERLIN)
            lower, upper = max(lower, back), max(upper, add_business_days(back, 1))
        expected = self.first_step(upper, window=True, weekdays=True)
        engaged = self._engaged(log)
        if expected is None or expected > self.end or (engaged and engaged <= expected):
            return None, lower
        return expected, lower

    def _why_no_nudge(self, log: ContactLog) -> str:
        if not log.persona.nudge:
            return "not opted in"
        engaged = self._engaged(log)
        return f"engaged {local(engaged)}" if engaged else "not due within the month"

    def _debriefs(self, who: str, log: ContactLog) -> None:
        """One request to the user after each meeting held; one reminder a day on unless the
        user answered by then; no more. A meeting whose last version is cancelled gets none.
        """
        requests = self._take(who, "debrief_request")
        reminders = self._take(who, "debrief_reminder")
        held = [m.versions[-1] for m in log.meetings if not m.versions[-1].cancelled]
        due = [v for v in held if self.first_step(v.end) is not None]
        if len(requests) != len(due):
            self.fail("debriefs", who, f"{len(requests)} debrief requests, expected {len(due)}")
        ends = sorted(v.end for v in due)
        for request, end in zip(sorted(requests, key=lambda w: w.at), ends, strict=False):
            if request.at < end:
                self.fail("debriefs", who, f"debrief requested {local(request.at)} before the end")
        owed = []
        for request in requests:
            remind = self.first_step(request.at + REMINDER)
            # An answer the cycle has seen by then makes the reminder pointless.
            if remind is not None and not any(a.at <= remind for a in log.debriefs):
                owed.append(request)
        if len(reminders) != len(owed) or any(
            rem.at < req.at + REMINDER for rem, req in zip(reminders, requests, strict=False)
        ):
            got = ", ".join(local(r.at) for r in reminders)
            self.fail("debriefs", who, f"reminders at {got or 'none'}, {len(owed)} owed")

    def _prep_sheets(self, who: str, meeting: MeetingLog) -> bool:
        """Check one meeting's sheets; True when its current version has one by the end."""
        sent = self._take(who, "prep_sheet")  # one meeting per contact in this world
        expected: list[tuple[Version, datetime, datetime]] = []
        versions = meeting.versions
        for i, v in enumerate(versions):
            until = versions[i + 1].at if i + 1 < len(versions) else None
            if v.cancelled:
                continue
            lower = max(v.at, v.start - PREP_LEAD)
            due = self.first_step(lower)
            if due is None or due >= v.start or due > self.end or (until and due >= until):
                continue
            expected.append((v, lower, due))
        if len(sent) != len(expected):
            starts = ", ".join(local(v.start) for v, _, _ in expected)
            got = ", ".join(f"{w.subject!r} at {local(w.at)}" for w in sent)
            self.fail(
                "prep_sheets",
                who,
                f"{meeting.channel} meeting: {len(sent)} sheets "
                f"({got}), expected {len(expected)} (for {starts})",
            )
            return bool(expected) and expected[-1][0] is versions[-1]
        for n, (wire, (v, lower, due)) in enumerate(zip(sent, expected, strict=True)):
            label = (
                f"{v.start.astimezone(BERLIN):%a} {v.start.astimezone(BERLIN).day} "
                f"{v.start.astimezone(BERLIN):%b %H:%M}"
            )
            updated = wire.subject.startswith("Updated")
            if not (lower <= wire.at <= due and wire.at < v.start):
                self.fail(
                    "prep_sheets",
                    who,
                    f"sheet for {local(v.start)} sent {local(wire.at)}, "
                    f"window [{local(lower)}, {local(due)}]",
                )
            if not wire.subject.endswith(label) or updated != (n > 0):
                self.fail(
                    "prep_sheets",
                    who,
                    f"subject {wire.subject!r}, expected "
                    f"{'Updated prep' if n else 'Prep'} ... {label}",
                )
        return bool(expected) and expected[-1][0] is versions[-1]

    def _thank_you(self, who: str, meeting: MeetingLog, log: ContactLog) -> datetime | None:
        sent = self._take(who, "thank_you")
        last = meeting.versions[-1]
        if log.thanked_by_hand is not None:
            if sent:
                self.fail(
                    "thank_yous",
                    who,
                    f"thanked at {local(sent[0].at)} although the user "
                    f"thanked them by hand at {local(log.thanked_by_hand[0])}",
                )
            return log.thanked_by_hand[0]
        if last.cancelled:
            if sent:
                self.fail(
                    "thank_yous",
                    who,
                    f"thanked at {local(sent[0].at)} for a meeting that was cancelled",
                )
            return None
        expected = thanks_expected(self, last.end, log)
        if expected.upper is None or expected.upper > self.end:
            for wire in sent:
                if wire.at < expected.lower:
                    self.fail("thank_yous", who, f"thanked at {local(wire.at)}, before "
                              f"{local(expected.lower)}")  # fmt: skip
            return sent[0].at if sent else None
        late = expected.upper > expected.deadline  # it may have gone to review instead
        if len(sent) != 1 and not (late and not sent):
            self.fail(
                "thank_yous",
                who,
                f"{len(sent)} thank-yous for the meeting ending {local(last.end)}, expected 1",
            )
            return sent[0].at if sent else None
        if not sent:
            return None
        at = sent[0].at
        upper = min(expected.upper, expected.deadline)
        on_time = expected.lower <= at and (
            at <= upper or (at <= expected.deadline and self.held_by_send_limit(upper, at))
        )
        if not (on_time and in_window(at)):
            answered = (
                f"answer seen {local(expected.answer.at)}" if expected.answer else "no answer"
            )
            self.fail(
                "thank_yous",
                who,
                f"thanked {local(at)} for a meeting ending {local(last.end)} ({answered}); "
                f"expected in [{local(expected.lower)}, {local(upper)}], 08-20",
            )
        if check_thanks_text(partial(self.fail, "thank_yous", who), sent[0], log, expected):
            self.counts["thank_you_quoting_debrief"] += 1
        return at

    def _update(self, who: str, log: ContactLog, thanked: datetime | None) -> bool:
        return check_updates(self, who, log, thanked) > 0

    def _stopped(self, who: str, log: ContactLog) -> None:
        """Nothing at all reaches a contact after they bounced or asked to be left alone."""
        stop = min((i.at for i in log.inbound if i.kind in ("bounce", "optout")), default=None)
        if stop is None:
            return
        for wire in self.world.wire:
            if wire.to == who and wire.at >= stop:
                self.fail(
                    "nothing_else",
                    who,
                    f"{kind_of(wire)} sent {local(wire.at)} after "
                    f"the contact {'bounced' if log.persona.bounce else 'opted out'}",
                )

    def _threads(self) -> None:
        """Follow-ups answer the conversation's last message and keep its root and subject."""
        for i, wire in enumerate(self.world.wire):
            if self.kinds[i] not in ("thank_you", "nudge", "update"):
                continue
            log = self.world.logs.get(wire.to)
            if log is None:
                continue
            root, subject, parent = self._conversation(log, wire.at)
            problems = []
            if root is None:
                problems.append("no outreach to follow up on")
            elif root not in wire.references:
                problems.append(f"References {wire.references} lack the outreach {root}")
            if wire.in_reply_to != parent:
                problems.append(f"In-Reply-To {wire.in_reply_to}, expected {parent}")
            if parent and wire.references and wire.references[-1] != parent:
                problems.append("References do not end with the parent")
            if subject is not None and wire.subject != f"Re: {base_subject(subject)}":
                problems.append(f"subject {wire.subject!r}, expected 'Re: {subject}'")
            if problems:
                self.fail(
                    "threads",
                    wire.to,
                    f"{self.kinds[i]} of {local(wire.at)}: " + "; ".join(problems),
                )

    def _conversation(
        self, log: ContactLog, before: datetime
    ) -> tuple[str | None, str | None, str | None]:
        """(root Message-ID, root subject, last message) of the thread before ``before``."""
        messages: list[tuple[datetime, str, str]] = []
        if log.hand is not None:
            messages.append(log.hand)
        if log.thanked_by_hand is not None and log.thanked_by_hand[0] < before:
            messages.append((*log.thanked_by_hand, ""))
        messages += [
            (w.at, w.message_id, w.subject)
            for w in self.world.wire
            if w.to == log.persona.person.email and w.at < before
        ]
        messages += [
            (i.dated, i.message_id, "") for i in log.inbound if i.kind == "reply" and i.at <= before
        ]
        if not messages:
            return None, None, None
        messages.sort(key=lambda m: m[0])
        return messages[0][1], messages[0][2], messages[-1][1]

    def _state(
        self,
        log: ContactLog,
        nudged: bool,
        prepped: bool,
        thanked: datetime | None,
        updated: bool,
    ) -> str:
        kinds = {i.kind for i in log.inbound}
        if "bounce" in kinds:
            return "undeliverable"
        if "optout" in kinds:
            return "closed"
        if log.meetings:
            last = log.meetings[-1].versions[-1]
            if last.cancelled:
                return "replied"
            ended = self.first_step(last.end)
            if ended is None or ended > self.end:
                return "prepped" if prepped else "scheduled"
            if thanked is None:
                return "held"
            return "updated" if updated else "thanked"
        if "reply" in kinds:
            return "replied"
        if nudged:
            return "nudged"
        return "requested" if self._outreach_time(log) is not None else "planned"


def summary(world: World, oracle: Oracle) -> dict[str, int]:
    """Counts for the report: the world's size and what went out."""
    logs = world.logs.values()
    counts = {
        "contacts": len(world.logs),
        "outreach_by_coffeechat": sum(1 for log in logs if log.created_at is not None),
        "outreach_by_hand": sum(1 for log in logs if log.hand is not None),
        "replies": _count(logs, "reply"),
        "auto_replies": _count(logs, "auto_reply"),
        "bounces": _count(logs, "bounce"),
        "opt_outs": _count(logs, "optout"),
        "meetings": sum(len(log.meetings) for log in logs),
        "reschedules": sum(
            1 for log in logs for m in log.meetings for v in m.versions[1:] if not v.cancelled
        ),
        "cancellations": sum(1 for log in logs for m in log.meetings if m.versions[-1].cancelled),
        "milestones": len(world.milestones),
        "debriefs_answered": sum(len(log.debriefs) for log in logs),
        "debriefs_late": _timed(logs, "late"),
        "debriefs_after_thanks": _timed(logs, "after_thanks"),
        "promises": sum(
            1
            for log in logs
            if log.persona.debrief and log.persona.debrief.promise and log.debriefs
        ),
        "promises_kept": sum(1 for log in logs for k in log.kept if k.kind == "promise"),
        "advice_acted_on": sum(1 for log in logs for k in log.kept if k.kind == "advice"),
        "introductions_in_debriefs": sum(
            len(log.persona.debrief.people) for log in logs if log.persona.debrief and log.debriefs
        ),
        "steps": len(oracle.steps),
    }
    counts.update({f"sent_{k}": v for k, v in sorted(oracle.counts.items())})
    return counts


def _timed(logs: Iterable[ContactLog], timing: str) -> int:
    return sum(
        1 for log in logs if log.debriefs and log.persona.debrief
        and log.persona.debrief.timing == timing
    )  # fmt: skip


def _count(logs: Iterable[ContactLog], kind: str) -> int:
    return sum(1 for log in logs for i in log.inbound if i.kind == kind)


def dst_story(world: World, oracle: Oracle) -> list[str]:
    """What happened around the two meetings that straddle the end of summer time."""
    lines = []
    for email_, log in world.logs.items():
        if not log.persona.kind.startswith("dst_") or not log.meetings:
            continue
        v = log.meetings[-1].versions[-1]
        sent = [w for w in world.wire if w.to == email_ or oracle.sheet_contact(w) == email_]
        what = ", ".join(f"{kind_of(w)} {local(w.at)}" for w in sent)
        lines.append(f"{log.persona.kind}: {local(v.start)}-{local(v.end)}: {what}")
    return lines
