"""The month, generated from a seed: who the contacts are and how each of them behaves.

Pure: no servers, no clock. A persona's times are relative to the moment its contact receives
our outreach (or to the return date it announced), because that moment is the product's doing;
the driver turns them into absolute times as the simulation runs. Everything else (the clock's
steps, the milestones, who refers whom, the DST meetings) is fixed here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.simulation.debriefs import DebriefPlan, plan_debriefs

BERLIN = ZoneInfo("Europe/Berlin")
USER = "sam.seeker@seeker.example"
USER_NAME = "Sam Seeker"
# Monday 5 October 2026, 07:00 in Berlin; thirty days later is past the switch to CET (25 Oct).
START = datetime(2026, 10, 5, 7, 0, tzinfo=BERLIN).astimezone(UTC)
DAYS = 30
END = START + timedelta(days=DAYS)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "Ada Grace Alan Barbara Claude Dennis Edsger Frances Guido Hedy Ivan John Katherine "
    "Leslie Margaret Niklaus Olga Peter Radia Sophie Tim Ursula Vint Whitfield Xavier "
    "Yukihiro Zuse Anita Bjarne Carol Donald Elena Fernando Gerald Hal Irene Joan Ken Lynn "
    "Marvin Nora Oren Pat Quentin Rosa Seymour Tanya Ulrich Vera Wendy Yvonne Zack"
)
_LAST = _words(
    "Lovelace Hopper Kay Liskov Shannon Ritchie Dijkstra Allen Rossum Lamarr Sutherland "
    "Backus Johnson Lamport Hamilton Wirth Taussky Naur Perlman Wilson Berners Franklin Cerf "
    "Diffie Moreau Matsumoto Konrad Borg Stroustrup Shaw Knuth Ramos Corbato Sussman Abelson "
    "Greif Clarke Thompson Conway Minsky Cohen Patashnik Hughes Parks Papert Schulz Weber "
    "Molnar Hall Young Zimmer"
)
_COMPANIES = (
    "Analytical Engines",
    "Compilers Ltd",
    "Objects Inc",
    "Northwind Data",
    "Blue Harbor Labs",
    "Quanta Systems",
    "Fernweh Mobility",
    "Lindenbaum Health",
    "Tessellate",
    "Brightline Energy",
    "Kestrel Security",
    "Mosaic Learning",
)
_ROLES = (
    "Staff Engineer",
    "Engineering Manager",
    "Developer Advocate",
    "Head of Platform",
    "Principal Engineer",
    "Product Manager",
    "Director of Engineering",
    "Solutions Architect",
)
MILESTONES = (
    "I was invited to a second-round interview for a developer relations role.",
    "I accepted an offer as a developer advocate; I start in January.",
)


@dataclass(frozen=True)
class Person:
    """A contact as the user knows them."""

    name: str
    email: str
    company: str
    role: str


@dataclass(frozen=True)
class Change:
    """A reschedule or cancellation, ``lead`` before the start it changes."""

    kind: str  # reschedule | cancel
    lead: timedelta
    shift: timedelta = timedelta(0)
    style: str = ""  # cancel: status | remove (feed, CalDAV); invitations always send CANCEL


@dataclass(frozen=True)
class MeetingPlan:
    """How a meeting gets booked and what happens to it afterwards."""

    channel: str  # invite (iTIP REQUEST from the contact) | feed | caldav
    book_delay: timedelta  # after the reply (after the outreach when there is no reply)
    days_ahead: int  # business days after the booking day
    at: time  # local start
    minutes: int
    change: Change | None = None
    utc_times: bool = False  # DTSTART in UTC rather than TZID=Europe/Berlin
    fixed_book: datetime | None = None  # DST cases: booked at this instant...
    fixed_start: datetime | None = None  # ...for this local start (aware, Europe/Berlin)


@dataclass(frozen=True)
class Persona:
    """One contact and everything they will do."""

    person: Person
    kind: str
    outreach_at: datetime | None  # None: referred, written to after the referrer's reply
    by_hand: bool  # the user wrote the outreach in their own mail client (seen in Sent)
    nudge: bool  # opted in to the one polite follow-up (contact tag "nudge")
    bounce: bool = False
    auto_reply_days: int | None = None  # out of office: back this many days after our mail
    reply: str = ""  # meet | busy | optout | "" (never writes back)
    reply_delay: timedelta | None = None  # after our mail, or after the return date
    meeting: MeetingPlan | None = None
    refers: Person | None = None  # named in the reply: the user writes to them a day later
    introduced_by: str | None = None  # the referrer's address, for referred personas
    referral_delay: timedelta = timedelta(hours=20)
    # The user thanks them by hand (seen in Sent) this long after the meeting ends.
    thanks_by_hand: timedelta | None = None
    debrief: DebriefPlan | None = None  # how the user answers the request after the meeting


@dataclass(frozen=True)
class Scenario:
    """The whole month."""

    seed: int
    steps: tuple[datetime, ...]
    personas: tuple[Persona, ...]
    milestones: tuple[tuple[datetime, str], ...]
    by_email: dict[str, Persona] = field(default_factory=dict)

    def persona(self, email: str) -> Persona:
        """The persona with this address."""
        return self.by_email[email]


def at_local(day: date, at: time) -> datetime:
    """The UTC instant of a Berlin wall-clock time."""
    return datetime.combine(day, at, tzinfo=BERLIN).astimezone(UTC)


def business_days_after(day: date, n: int) -> date:
    """The n-th weekday after ``day``."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _steps(rng: random.Random) -> tuple[datetime, ...]:
    steps, now = [], START
    while now <= END:
        steps.append(now)
        now += timedelta(minutes=rng.randint(30, 60))
    return tuple(steps)


def _people(rng: random.Random, n: int) -> list[Person]:
    firsts, lasts = list(_FIRST), list(_LAST)
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    people = []
    for i in range(n):
        first, last = firsts[i % len(firsts)], lasts[i % len(lasts)]
        company = rng.choice(_COMPANIES)
        domain = company.lower().replace(" ", "-") + ".example"
        email = f"{first}.{last}@{domain}".lower()
        people.append(Person(f"{first} {last}", email, company, rng.choice(_ROLES)))
    return people


def _meeting(
    rng: random.Random, channel: str, change: Change | None = None, *, days: tuple[int, int]
) -> MeetingPlan:
    return MeetingPlan(
        channel=channel,
        book_delay=timedelta(minutes=rng.randint(0, 20 * 60)),
        days_ahead=rng.randint(*days),
        at=time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))),
        minutes=rng.choice((30, 45, 60)),
        change=change,
        utc_times=channel == "feed" and rng.random() < 0.4,
    )


def _outreach_times(rng: random.Random, n: int) -> list[datetime]:
    """n creation times over the first two weeks, at most six a day, a few in the evening."""
    days = [START.astimezone(BERLIN).date() + timedelta(days=d) for d in range(11)]
    slots: list[datetime] = []
    for day in days:
        per_day = 2 if day.weekday() >= 5 else 6
        for _ in range(per_day):
            minute = rng.randint(8 * 60, 22 * 60 - 1)
            slots.append(at_local(day, time(minute // 60, minute % 60)))
    rng.shuffle(slots)
    return sorted(slots[:n])


def generate(seed: int) -> Scenario:
    """The month for ``seed``."""
    rng = random.Random(seed)
    people = _people(rng, 53)
    referred = people[50:]
    kinds = (
        ["meet"] * 14
        + ["thanks_by_hand", "thanks_by_hand_at_once"]
        + ["reschedule"] * 4
        + ["cancel"] * 3
        + ["invite_only"] * 2
        + ["ooo_reply"] * 3
        + ["ooo_silent"] * 2
        + ["silent"] * 6
        + ["late"] * 3
        + ["busy"] * 2
        + ["bounce"] * 3
        + ["optout"]
        + ["dst_saturday", "dst_monday"]
    )
    rng.shuffle(kinds)
    kinds = ["eager"] * 3 + kinds
    times = _outreach_times(rng, len(kinds) - 3)
    first_day = START.astimezone(BERLIN).date()
    eager_times = sorted(at_local(first_day, time(8, rng.randint(0, 59))) for _ in range(3))
    hand = set(rng.sample(range(3, 50), 10))
    changes = _changes(rng)
    personas: list[Persona] = []
    silent_seen = 0
    for i, kind in enumerate(kinds):
        person = people[i]
        when = eager_times[i] if i < 3 else times[i - 3]
        # DST meetings are booked around 20-22 October: their outreach must go early.
        if kind.startswith("dst_"):
            when = at_local(first_day + timedelta(days=rng.randint(0, 2)), time(10, 30))
        nudge = rng.random() < 0.5
        if kind == "silent":
            nudge, silent_seen = silent_seen < 4, silent_seen + 1
        elif kind in ("ooo_silent", "late", "optout"):
            nudge = True
        personas.append(_persona(rng, kind, person, when, i in hand, nudge, changes))
    # Three replies name someone new: the first eager contact (met early enough that the
    # update telling them about it falls inside the month) and two others who meet.
    meeters = [i for i, p in enumerate(personas) if p.kind == "meet"]
    referrers = [0, *rng.sample(meeters, 2)]
    for index, new in zip(referrers, referred, strict=True):
        old = personas[index]
        personas[index] = _with_referral(old, new)
        personas.append(
            Persona(
                person=new,
                kind="referred",
                outreach_at=None,
                by_hand=False,
                nudge=rng.random() < 0.5,
                reply="meet",
                reply_delay=timedelta(minutes=rng.randint(60, 30 * 60)),
                meeting=_meeting(rng, rng.choice(("invite", "feed", "caldav")), days=(2, 4)),
                introduced_by=old.person.email,
                referral_delay=timedelta(minutes=rng.randint(18 * 60, 30 * 60)),
            )
        )
    meeters = [
        i
        for i, p in enumerate(personas)
        if p.meeting is not None and (p.meeting.change is None or p.meeting.change.kind != "cancel")
    ]
    for index, plan in plan_debriefs(seed, meeters).items():
        personas[index] = replace(personas[index], debrief=plan)
    milestones = (
        (
            at_local(first_day + timedelta(days=rng.randint(11, 13)), time(rng.randint(10, 19))),
            MILESTONES[0],
        ),
        (
            at_local(first_day + timedelta(days=rng.randint(24, 27)), time(rng.randint(10, 19))),
            MILESTONES[1],
        ),
    )
    return Scenario(
        seed=seed,
        steps=_steps(rng),
        personas=tuple(personas),
        milestones=milestones,
        by_email={p.person.email: p for p in personas},
    )


def _with_referral(old: Persona, new: Person) -> Persona:
    return replace(old, refers=new)


def _changes(rng: random.Random) -> dict[str, list[tuple[str, Change]]]:
    """Reschedules (two before the prep sheet, two after) and cancellations, one per channel."""

    def early() -> timedelta:
        return timedelta(hours=rng.randint(40, 60))

    def late() -> timedelta:
        return timedelta(hours=rng.randint(3, 18))

    shifts = [timedelta(days=1), timedelta(days=2), timedelta(hours=2), timedelta(hours=-3)]
    rng.shuffle(shifts)
    channels = ["invite", "feed", "caldav", rng.choice(("invite", "feed", "caldav"))]
    rng.shuffle(channels)
    reschedules = [
        (channels[i], Change("reschedule", early() if i < 2 else late(), shifts[i]))
        for i in range(4)
    ]
    cancels = [
        ("invite", Change("cancel", late())),
        ("feed", Change("cancel", late(), style=rng.choice(("status", "remove")))),
        ("caldav", Change("cancel", early(), style=rng.choice(("status", "remove")))),
    ]
    rng.shuffle(cancels)
    return {"reschedule": reschedules, "cancel": cancels}


def _persona(
    rng: random.Random,
    kind: str,
    person: Person,
    when: datetime,
    by_hand: bool,
    nudge: bool,
    changes: dict[str, list[tuple[str, Change]]],
) -> Persona:
    base = Persona(person=person, kind=kind, outreach_at=when, by_hand=by_hand, nudge=nudge)
    channel = rng.choice(("invite", "feed", "caldav"))

    def hours(low: int, high: int) -> timedelta:
        return timedelta(minutes=rng.randint(low * 60, high * 60))

    if kind == "eager":
        meeting = _meeting(rng, channel, days=(1, 1))
        meeting = replace(meeting, book_delay=timedelta(0))
        return _replace(base, by_hand=False, reply="meet", reply_delay=hours(1, 2), meeting=meeting)
    if kind.startswith("thanks_by_hand"):
        # Written from the phone: long enough after the end that coffeechat has seen the
        # meeting end, or within minutes, before the next cycle notices that it ended.
        after = timedelta(
            minutes=rng.randint(70, 110) if kind == "thanks_by_hand" else rng.randint(3, 10)
        )
        meeting = _meeting(rng, rng.choice(("feed", "caldav")), days=(2, 4))
        return _replace(
            base, reply="meet", reply_delay=hours(2, 48), meeting=meeting, thanks_by_hand=after
        )
    if kind in ("meet", "reschedule", "cancel"):
        change = None
        if kind != "meet":
            channel, change = changes[kind].pop()
        meeting = _meeting(rng, channel, change, days=(2, 6) if change is None else (3, 6))
        return _replace(base, reply="meet", reply_delay=hours(2, 96), meeting=meeting)
    if kind == "invite_only":
        meeting = _meeting(rng, "invite", days=(2, 5))
        meeting = replace(meeting, book_delay=hours(20, 60))
        return _replace(base, meeting=meeting)
    if kind == "ooo_reply":
        meeting = _meeting(rng, channel, days=(2, 5))
        return _replace(
            base,
            auto_reply_days=rng.randint(4, 9),
            reply="meet",
            reply_delay=hours(2, 48),
            meeting=meeting,
        )
    if kind == "ooo_silent":
        return _replace(base, auto_reply_days=rng.randint(4, 9))
    if kind == "late":
        meet = rng.random() < 0.67
        return _replace(
            base,
            reply="meet" if meet else "busy",
            reply_delay=timedelta(days=rng.uniform(12.5, 16)),
            meeting=_meeting(rng, channel, days=(2, 4)) if meet else None,
        )
    if kind == "busy":
        return _replace(base, reply="busy", reply_delay=hours(3, 72))
    if kind == "bounce":
        return _replace(base, bounce=True)
    if kind == "optout":
        return _replace(base, reply="optout", reply_delay=hours(12, 40))
    if kind == "dst_saturday":
        # Saturday 24 Oct 18:30-19:30 CEST: the thank-you is due next morning, in CET.
        meeting = MeetingPlan(
            channel="feed",
            book_delay=timedelta(0),
            days_ahead=0,
            at=time(18, 30),
            minutes=60,
            fixed_book=at_local(date(2026, 10, 20), time(12, 0)),
            fixed_start=datetime(2026, 10, 24, 18, 30, tzinfo=BERLIN),
        )
        return _replace(base, reply="meet", reply_delay=hours(4, 30), meeting=meeting)
    if kind == "dst_monday":
        # Booked on Thursday 22 Oct (CEST) for Monday 26 Oct 10:00, which is CET.
        meeting = MeetingPlan(
            channel="invite",
            book_delay=timedelta(0),
            days_ahead=0,
            at=time(10, 0),
            minutes=60,
            fixed_book=at_local(date(2026, 10, 22), time(11, 0)),
            fixed_start=datetime(2026, 10, 26, 10, 0, tzinfo=BERLIN),
        )
        return _replace(base, reply="meet", reply_delay=hours(4, 30), meeting=meeting)
    assert kind == "silent", kind
    return base


def _replace(base: Persona, **changes: object) -> Persona:
    return replace(base, **changes)  # type: ignore[arg-type]
