"""The demo's story: five people written to eight business days ago, and what became of it.

Everything is placed relative to one anchor instant (the first run's clock), saved in the
data directory, so a second run in the same directory replays nothing and moves nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coffeechat.deployments.demo.mailbits import bounce_report, mail

ME = "jo@seeker.example"
ME_NAME = "Jo Seeker"
SUBJECT = "Twenty minutes of your time?"
OUTREACH_BUSINESS_DAYS = 8


@dataclass(frozen=True)
class Person:
    """A contact of the story and what happens to them."""

    name: str
    address: str
    company: str
    role: str
    fate: str
    tags: tuple[str, ...] = ()

    @property
    def first(self) -> str:
        """First name."""
        return self.name.split()[0]


ADA = Person(
    "Ada Lovelace",
    "ada@analytical.example",
    "Analytical Engines",
    "Principal Engineer",
    "replied; meeting tomorrow",
)
GRACE = Person(
    "Grace Hopper",
    "grace@compilers.example",
    "Compilers Ltd",
    "Director",
    "replied; meeting ended two hours ago",
)
ALAN = Person("Alan Kay", "alan@objects.example", "Objects Inc", "Fellow", "out of the office")
NOBODY = Person("Nobody Here", "nobody@gone.example", "Vanished GmbH", "Manager", "address bounced")
LINUS = Person(
    "Linus Slow",
    "linus@quiet.example",
    "Quiet Co",
    "Staff Engineer",
    "no answer (opted in to one nudge)",
    ("nudge",),
)
PEOPLE = (ADA, GRACE, ALAN, NOBODY, LINUS)
# Not a contact at first: the person Ada suggested in her reply, who becomes one when Jo
# accepts the referral.
CHARLES = Person(
    "Charles Babbage", "babbage@engines.example", "", "", "introduced by Ada; met two days later"
)
# Who has a mailbox in the demo world: everyone but the address that bounces.
MAILBOXES = (ME, *(p.address for p in (*PEOPLE, CHARLES) if p is not NOBODY))


def local_zone() -> str:
    """The machine's IANA time zone when it can be named, else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).partition("zoneinfo/")[2])
    timezone_file = Path("/etc/timezone")
    if timezone_file.is_file():
        candidates.append(timezone_file.read_text(encoding="utf-8").strip())
    for name in candidates:
        try:
            if name and "/" in name:
                ZoneInfo(name)
                return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


def business_days_before(moment: datetime, n: int, zone: ZoneInfo) -> datetime:
    """``moment`` moved back ``n`` weekdays in ``zone``, same wall-clock time."""
    local = moment.astimezone(zone)
    day, left = local.date(), n
    while left:
        day -= timedelta(days=1)
        left -= day.weekday() < 5
    return datetime.combine(day, local.timetz().replace(tzinfo=None), zone)


@dataclass(frozen=True)
class Story:
    """The story's instants, derived from the anchor."""

    anchor: datetime
    zone: ZoneInfo

    @property
    def outreach_at(self) -> datetime:
        """When the five outreach emails went out."""
        return business_days_before(self.anchor, OUTREACH_BUSINESS_DAYS, self.zone).replace(
            second=0, microsecond=0
        )

    @property
    def return_day(self) -> date:
        """The day Alan's out-of-office says he is back."""
        return (self.anchor + timedelta(days=5)).astimezone(self.zone).date()

    @property
    def ada_meeting(self) -> tuple[datetime, datetime]:
        """Tomorrow 10:00-10:30 in the user's zone."""
        day = self.anchor.astimezone(self.zone).date() + timedelta(days=1)
        start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=self.zone)
        return start, start + timedelta(minutes=30)

    @property
    def charles_meeting(self) -> tuple[datetime, datetime]:
        """15:00-15:30 on the first weekday at least two days after Ada's meeting."""
        day = self.ada_meeting[0].date() + timedelta(days=2)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=self.zone)
        return start, start + timedelta(minutes=30)

    @property
    def grace_meeting(self) -> tuple[datetime, datetime]:
        """Thirty minutes that ended a little over two hours before the anchor."""
        end = (self.anchor - timedelta(hours=2, minutes=5)).replace(second=0, microsecond=0)
        return end - timedelta(minutes=30), end


def outreach_id(person: Person) -> str:
    """The Message-ID of the outreach to person (stable: reruns recognise it)."""
    return f"<outreach-{person.address.split('@')[0]}@seeker.example>"


Seeded = list[tuple[str, str, bytes, datetime, tuple[str, ...]]]
SEEN = ("\\Seen",)


def mailbox_seed(story: Story) -> Seeded:
    """(user, folder, raw, internal date, flags) of everything already in the mailboxes."""
    out, outreach = _outreach(story)
    out += _automatic_answers(story, outreach)
    out += _replies(story)
    news = mail(
        "Deals <deals@shop.example>",
        ME,
        "50% off everything",
        "A newsletter.",
        when=story.anchor - timedelta(hours=5),
        message_id="<n1@shop.example>",
    )
    out.append((ME, "INBOX", news, story.anchor - timedelta(hours=5), ()))
    return out


def _outreach(story: Story) -> tuple[Seeded, dict[str, bytes]]:
    """The user's outreach to everyone, in their Sent and in each recipient's INBOX."""
    sent = story.outreach_at
    out: Seeded = []
    outreach: dict[str, bytes] = {}
    for p in PEOPLE:
        body = (
            f"Dear {p.first},\n\nI am moving into developer tools and admire the work "
            f"{p.company} does. Would you have twenty minutes for a call in the next weeks? "
            "I would love to hear how you got where you are.\n\nBest wishes,\nJo"
        )
        raw = mail(
            f"{ME_NAME} <{ME}>",
            f"{p.name} <{p.address}>",
            SUBJECT,
            body,
            when=sent,
            message_id=outreach_id(p),
        )
        outreach[p.address] = raw
        out.append((ME, "Sent", raw, sent, SEEN))
        if p is not NOBODY:
            out.append((p.address, "INBOX", raw, sent, SEEN))
    return out, outreach


def _automatic_answers(story: Story, outreach: dict[str, bytes]) -> Seeded:
    """A bounce for the address that does not exist and an out-of-office from Alan."""
    sent, minute = story.outreach_at, timedelta(minutes=1)
    bounce = bounce_report(ME, [NOBODY.address], outreach[NOBODY.address], sent + minute)
    ooo = mail(
        f"{ALAN.name} <{ALAN.address}>",
        ME,
        f"Automatic reply: {SUBJECT}",
        f"I am out of the office until {story.return_day:%d %B %Y} with limited access to email.",
        when=sent + minute,
        message_id="<ooo-1@objects.example>",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": outreach_id(ALAN)},
    )
    return [(ME, "INBOX", bounce, sent + minute, ()), (ME, "INBOX", ooo, sent + minute, ())]


def _replies(story: Story) -> Seeded:
    """Grace's and Ada's real replies (Ada's names a referral), in both mailboxes."""
    out: Seeded = []
    for person, days, text, mid in (
        (GRACE, 4, "Happy to help! I'll send you an invite for a short call.", "g1"),
        (
            ADA,
            2,
            "Gladly. Tomorrow at 10 works for me. You should also talk to "
            "babbage@engines.example, who built the first one.",
            "a1",
        ),
    ):
        when = (story.anchor - timedelta(days=days)).replace(second=0, microsecond=0)
        reply = mail(
            f"{person.name} <{person.address}>",
            f"{ME_NAME} <{ME}>",
            f"Re: {SUBJECT}",
            f"Hi Jo,\n\n{text}\n\n{person.first}",
            when=when,
            message_id=f"<{mid}@{person.address.split('@')[1]}>",
            headers={"In-Reply-To": outreach_id(person), "References": outreach_id(person)},
        )
        out += [(ME, "INBOX", reply, when, ()), (person.address, "Sent", reply, when, SEEN)]
    return out


def calendar_ics(story: Story, *, with_charles: bool = False) -> str:
    """The user's calendar: the meetings and a private appointment coffeechat must ignore."""
    stamp = f"{story.anchor:%Y%m%dT%H%M%SZ}"

    def event(uid: str, span: tuple[datetime, datetime], who: str, what: str) -> str:
        start, end = (t.astimezone(ZoneInfo("UTC")) for t in span)
        return (
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{stamp}\r\nSEQUENCE:0\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{end:%Y%m%dT%H%M%SZ}\r\n"
            f"SUMMARY:{what}\r\nLOCATION:https://meet.example.com/coffee\r\n"
            f"ORGANIZER:mailto:{ME}\r\nATTENDEE:mailto:{who}\r\nEND:VEVENT\r\n"
        )

    ada_start = story.ada_meeting[0]
    dentist = (ada_start + timedelta(hours=5), ada_start + timedelta(hours=6))
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//coffeechat demo//EN\r\n"
        + event("demo-ada@seeker.example", story.ada_meeting, ADA.address, "Coffee with Ada")
        + event("demo-grace@seeker.example", story.grace_meeting, GRACE.address, "Call with Grace")
        + event("demo-dentist@seeker.example", dentist, "frontdesk@teeth.example", "Dentist")
        + (
            event(
                "demo-charles@seeker.example",
                story.charles_meeting,
                CHARLES.address,
                "Call with Charles",
            )
            if with_charles
            else ""
        )
        + "END:VCALENDAR\r\n"
    )
