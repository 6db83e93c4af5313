"""A lived-in account: two years of mail and meetings before coffeechat is first connected.

Deterministic for a seed. The generator writes what happened as plain facts (``Facts``): every
mail with its folder, sender, recipients, date and kind, and every meeting with its attendee,
times and status. The oracle (``tests/livedin/oracle.py``) reads only these facts, never the
product's code or database. Mail goes straight into Dovecot's Maildir (dated by its file time,
which Dovecot uses as INTERNALDATE); meetings become one iCalendar feed.

Scenarios around "now" (the moment of the first run) are the point: contacts met hours ago
(one written to a week before, the issue's lost thank-you), thanked by hand, written to by the
contact since, met just outside the first-run horizon, days or weeks ago, cancelled, or booked
for later; the rest is noise: newsletters, auto-replies, bounces and long threads with people
who are not contacts, and the user's own mail before and after meetings.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

USER = "sam@seeker.example"
USER_NAME = "Sam Seeker"
DAYS = 730


@dataclass(frozen=True)
class Mail:
    """One message as it sits in a folder."""

    folder: str  # INBOX | Sent
    sender: str
    to: str
    date: datetime
    kind: str  # human | newsletter | auto-reply | bounce
    message_id: str
    subject: str
    parent: str | None = None


@dataclass(frozen=True)
class MeetingFact:
    """One calendar event with one attendee besides the user."""

    uid: str
    attendee: str
    start: datetime
    end: datetime
    cancelled: bool = False


@dataclass(frozen=True)
class Person:
    """Someone the user knows; ``contact`` when they are in the imported address book."""

    name: str
    address: str
    contact: bool


@dataclass
class Facts:
    """Everything that happened before the first run, and when it starts."""

    now: datetime
    people: list[Person] = field(default_factory=list)
    mail: list[Mail] = field(default_factory=list)
    meetings: list[MeetingFact] = field(default_factory=list)

    def contacts(self) -> list[Person]:
        """The people in the address book the user imports."""
        return [p for p in self.people if p.contact]


# fmt: off
FIRST = ["Ada", "Bea", "Cyd", "Dov", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kai", "Lea", "Max",
         "Noa", "Oli", "Pia", "Quin", "Rae", "Sol", "Tam", "Uma", "Val", "Wes", "Xan", "Yve", "Zed"]
LAST = ["Lovelace", "Hopper", "Turing", "Noether", "Curie", "Meitner", "Franklin", "Shannon",
        "Knuth", "Liskov", "Ritchie", "Hamilton", "Goldberg", "Allen", "Perlman", "Wing"]
NEWSLETTERS = ["weekly-dev", "jobs-digest", "design-notes", "city-events", "bank-news",
               "airline-deals", "book-club", "release-notes", "meetup", "podcast"]
# fmt: on


class _Builder:
    def __init__(self, now: datetime, seed: int) -> None:
        self.facts = Facts(now=now)
        self.rng = random.Random(seed)
        self._n = 0

    def mid(self, domain: str) -> str:
        self._n += 1
        return f"<livedin-{self._n}@{domain}>"

    def person(self, i: int, contact: bool) -> Person:
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST) + i) % len(LAST)]}"
        domain = "contacts.example" if contact else "elsewhere.example"
        slug = name.lower().replace(" ", ".")
        p = Person(name, f"{slug}.{i}@{domain}", contact)
        self.facts.people.append(p)
        return p

    def mail(
        self,
        folder: str,
        sender: str,
        to: str,
        date: datetime,
        kind: str,
        subject: str,
        parent: str | None = None,
    ) -> Mail:
        domain = sender.split("@")[1]
        m = Mail(folder, sender, to, date, kind, self.mid(domain), subject, parent)
        self.facts.mail.append(m)
        return m

    def out(self, p: Person, date: datetime, subject: str, parent: str | None = None) -> Mail:
        return self.mail("Sent", USER, p.address, date, "human", subject, parent)

    def inn(self, p: Person, date: datetime, subject: str, parent: str | None = None) -> Mail:
        return self.mail("INBOX", p.address, USER, date, "human", subject, parent)

    def meet(self, p: Person, end: datetime, cancelled: bool = False) -> MeetingFact:
        m = MeetingFact(
            f"livedin-{len(self.facts.meetings)}@cal.example",
            p.address,
            end - timedelta(minutes=45),
            end,
            cancelled,
        )
        self.facts.meetings.append(m)
        return m

    def courtship(self, p: Person, end: datetime, *, ask_days: float = 7) -> Mail:
        """The user's outreach, the contact's yes: the way a meeting usually comes about."""
        ask = self.out(p, end - timedelta(days=ask_days), "Coffee chat?")
        self.inn(p, ask.date + timedelta(hours=5), "Re: Coffee chat?", ask.message_id)
        return ask

    def noise(self, count: int) -> None:
        """Newsletters, strangers' threads, auto-replies and bounces over two years."""
        rng, now = self.rng, self.facts.now
        strangers = [self.person(100 + i, contact=False) for i in range(60)]
        for _ in range(count):
            when = now - timedelta(days=rng.uniform(0.5, DAYS), minutes=rng.randint(0, 600))
            roll = rng.random()
            if roll < 0.58:
                name = rng.choice(NEWSLETTERS)
                self.mail(
                    "INBOX",
                    f"news@{name}.example",
                    USER,
                    when,
                    "newsletter",
                    f"{name}: issue {rng.randint(1, 999)}",
                )
            elif roll < 0.80:
                s = rng.choice(strangers)
                self.inn(s, when, rng.choice(["Lunch?", "Flat keys", "Photos", "Re: plans"]))
            elif roll < 0.95:
                s = rng.choice(strangers)
                self.out(s, when, rng.choice(["Saturday", "Re: Photos", "Invoice", "Hi"]))
            elif roll < 0.98:
                s = rng.choice(strangers)
                self.mail("INBOX", s.address, USER, when, "auto-reply", "Automatic reply: Hi")
            else:
                self.mail(
                    "INBOX",
                    "MAILER-DAEMON@mx.seeker.example",
                    USER,
                    when,
                    "bounce",
                    f"Undelivered Mail Returned to Sender|nobody.{self._n}@gone.example",
                )


def generate(now: datetime, seed: int = 12, noise: int = 5200) -> Facts:
    """The account as it is when coffeechat is first connected at ``now``."""
    b = _Builder(now.astimezone(UTC).replace(microsecond=0), seed)
    h = timedelta(hours=1)
    now = b.facts.now
    people = iter(b.person(i, contact=True) for i in range(40))
    # The case: outreach a week before a meeting that ended 3.5 hours ago.
    ada = next(people)
    b.out(ada, now - 3.5 * h - timedelta(days=7), "Coffee chat?")
    b.meet(ada, now - 3.5 * h)
    for ended in (10 * h, 20 * h):  # inside the horizon, nobody wrote since
        p = next(people)
        b.courtship(p, now - ended)
        b.meet(p, now - ended)
    p = next(people)  # thanked by hand an hour after
    b.courtship(p, now - 6 * h)
    b.meet(p, now - 6 * h)
    b.out(p, now - 5 * h, "Thank you!")
    p = next(people)  # the contact wrote after the meeting
    ask = b.courtship(p, now - 5 * h)
    b.meet(p, now - 5 * h)
    b.inn(p, now - 4 * h, "Re: Coffee chat?", ask.message_id)
    p = next(people)  # only an out-of-office answer after the meeting
    ask = b.courtship(p, now - 8 * h)
    b.meet(p, now - 8 * h)
    b.mail(
        "INBOX",
        p.address,
        USER,
        now - 7.5 * h,
        "auto-reply",
        "Automatic reply: Coffee chat?",
        ask.message_id,
    )
    p = next(people)  # ended an hour ago: the thank-you is not due yet
    b.courtship(p, now - h)
    b.meet(p, now - h)
    for ended in (30 * h, timedelta(days=3), timedelta(days=50)):  # before the horizon
        p = next(people)
        b.courtship(p, now - ended, ask_days=10)
        b.meet(p, now - ended)
    p = next(people)  # long ago, thanked by hand
    b.courtship(p, now - timedelta(days=20))
    b.meet(p, now - timedelta(days=20))
    b.out(p, now - timedelta(days=20) + 2 * h, "Thank you!")
    p = next(people)  # cancelled: it would have ended 4 hours ago
    b.courtship(p, now - 4 * h)
    b.meet(p, now - 4 * h, cancelled=True)
    p = next(people)  # met and thanked 40 days ago, met again 4 hours ago
    b.courtship(p, now - timedelta(days=40))
    b.meet(p, now - timedelta(days=40))
    b.out(p, now - timedelta(days=40) + h, "Thank you!")
    b.meet(p, now - 4 * h)
    for ahead in (12 * h, timedelta(days=5)):  # booked for later
        p = next(people)
        b.courtship(p, now + ahead, ask_days=6)
        b.meet(p, now + ahead)
    stranger = b.person(99, contact=False)  # met someone not in the address book
    b.meet(stranger, now - 3 * h)
    for p in people:  # the rest: years of ordinary mail with contacts, and old meetings
        for _ in range(b.rng.randint(3, 12)):
            when = now - timedelta(days=b.rng.uniform(2, DAYS))
            ask = b.out(p, when, "Catching up")
            b.inn(
                p, when + timedelta(hours=b.rng.randint(2, 40)), "Re: Catching up", ask.message_id
            )
        old = now - timedelta(days=b.rng.uniform(70, DAYS))
        b.meet(p, old)
        b.out(p, old + 3 * h, "Thank you!")
    b.noise(noise)
    b.facts.mail.sort(key=lambda m: m.date)
    return b.facts


def raw_message(m: Mail, names: dict[str, str]) -> bytes:
    """The message's bytes as a real client or server would write them."""

    def who(addr: str) -> str:
        return f"{names[addr]} <{addr}>" if addr in names else addr

    head = [
        f"From: {who(m.sender)}",
        f"To: {who(m.to)}",
        f"Subject: {m.subject.split('|')[0]}",
        f"Date: {format_datetime(m.date)}",
        f"Message-ID: {m.message_id}",
        "MIME-Version: 1.0",
    ]
    if m.parent:
        head += [f"In-Reply-To: {m.parent}", f"References: {m.parent}"]
    if m.kind == "newsletter":
        lst = m.sender.split("@")[1]
        head += [
            f"List-Id: <{lst}>",
            f"List-Unsubscribe: <https://{lst}/unsubscribe>",
            "Precedence: bulk",
        ]
        body = "This week: ten things you missed.\r\nUnsubscribe at any time.\r\n"
    elif m.kind == "auto-reply":
        head += ["Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"]
        body = "I am out of the office with limited access to email.\r\n"
    elif m.kind == "bounce":
        return _bounce(head, m.subject.split("|")[1])
    else:
        body = "Hi,\r\n\r\nGood to hear from you. Talk soon.\r\n\r\nBest\r\n"
    head.append("Content-Type: text/plain; charset=utf-8")
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def _bounce(head: list[str], address: str) -> bytes:
    head = [
        *head,
        "Auto-Submitted: auto-replied",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    ]
    parts = (
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b--\r\n"
    )
    return ("\r\n".join(head) + "\r\n\r\n" + parts).encode()


def calendar(facts: Facts) -> str:
    """Every meeting as one iCalendar feed, organised by the user."""
    stamp = facts.now.strftime("%Y%m%dT%H%M%SZ")

    def utc(d: datetime) -> str:
        return d.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    events: Iterator[str] = (
        "BEGIN:VEVENT\r\n"
        f"UID:{m.uid}\r\nDTSTAMP:{stamp}\r\nDTSTART:{utc(m.start)}\r\nDTEND:{utc(m.end)}\r\n"
        f"SUMMARY:Coffee chat\r\nORGANIZER:mailto:{USER}\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{m.attendee}\r\n"
        f"STATUS:{'CANCELLED' if m.cancelled else 'CONFIRMED'}\r\nEND:VEVENT\r\n"
        for m in facts.meetings
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//livedin//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )
