"""Facts about a few contacts (Sent, INBOX, calendar versions) and a driver that feeds them.

The driver goes through the real recording functions (``record_batch`` with verdicts from
``classify``, ``apply_calendar``, ``mark_ended``, ``plan_followups``) on SQLite in a file, in
whatever order it is given, and returns a snapshot of the database without ids or clocks: two
orders of the same facts must give the same snapshot.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select

from coffeechat.integrations.config import CadenceConfig, ModesConfig
from coffeechat.models.calendar import Window, parse_calendar
from coffeechat.models.classify import classify
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import ensure_account, upsert_contact
from coffeechat.models.followups.plan import plan_followups
from coffeechat.models.inbox.record import InboundItem, record_batch
from coffeechat.models.interviews.meetings import apply_calendar, mark_ended
from coffeechat.models.store.db import make_engine, session_factory, upgrade
from coffeechat.models.store.tables import Contact, ContactEmail, Interview, Meeting, Outbox
from coffeechat.models.store.uow import UnitOfWork
from tests.simulation import mailgen
from tests.simulation.scenario import USER, Person

# A Wednesday, 14:00 in Berlin: the first run reads everything at about this time.
NOW = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
PLAN_AT = NOW + timedelta(minutes=5)
ZONE = "Europe/Berlin"
USERS = frozenset({USER})
PEOPLE = (
    Person("Ada Lovelace", "ada@analytical.example", "Analytical Engines", "Engineer"),
    Person("Grace Hopper", "grace@cobol.example", "Cobol Works", "Admiral"),
    Person("Alan Turing", "alan@bletchley.example", "Bletchley", "Researcher"),
)
NUDGE = {PEOPLE[0].email}  # opted in to the one nudge


@dataclass(frozen=True)
class Mail:
    """One message in Sent or INBOX."""

    folder: str  # Sent | INBOX
    what: str  # for failure messages
    raw: bytes


@dataclass(frozen=True)
class Facts:
    """Everything that is true, whatever order it is read in."""

    mails: tuple[Mail, ...]
    calendar: tuple[str, ...]  # the feed's successive versions, oldest first


# -- building messages and calendars -----------------------------------------------------------


def outreach(p: Person, when: datetime, n: int) -> Mail:
    """The user's own mail to the contact (from their phone), found in Sent."""
    mid = _mid("out", p, n)
    raw = mailgen.hand_outreach(p, f"Coffee chat about {p.company}?", when, mid)
    return Mail("Sent", f"{p.email}: user mail {when:%d %H:%M}", raw)


def thanks(p: Person, when: datetime, n: int) -> Mail:
    """A thank-you the user wrote by hand."""
    mid, parent = _mid("thx", p, n), _mid("out", p, 0)
    raw = mailgen.hand_thanks(p, "Re: Coffee chat", when, mid, parent, [parent])
    return Mail("Sent", f"{p.email}: user thanks {when:%d %H:%M}", raw)


def reply(p: Person, when: datetime, n: int, *, optout: bool, threaded: bool) -> Mail:
    """The contact writes back (or asks not to be contacted)."""
    parent = _mid("out", p, 0) if threaded else None
    body = mailgen.reply_body(p, "optout" if optout else "yes", None, None)
    raw = mailgen.text_mail(
        p, "Re: Coffee chat", body, when, _mid("re", p, n), parent=parent,
        references=[parent] if parent else [],
    )  # fmt: skip
    return Mail("INBOX", f"{p.email}: {'opt-out' if optout else 'reply'} {when:%d %H:%M}", raw)


def auto_reply(p: Person, when: datetime, back: date, n: int) -> Mail:
    """An out-of-office answer."""
    raw = mailgen.auto_reply(p, "Coffee chat", back, when, _mid("ooo", p, n), _mid("out", p, 0))
    return Mail("INBOX", f"{p.email}: auto-reply {when:%d %H:%M} back {back}", raw)


def bounce(p: Person, when: datetime, n: int) -> Mail:
    """Our mail server returns mail to the contact."""
    raw = mailgen.bounce(p.email, _mid("out", p, 0), "Coffee chat", when, _mid("dsn", p, n))
    return Mail("INBOX", f"{p.email}: bounce {when:%d %H:%M}", raw)


def newsletter(when: datetime, n: int) -> Mail:
    """Mail about nobody we track."""
    other = Person("News Letter", "news@letters.example", "Letters", "Editor")
    raw = mailgen.text_mail(
        other, "This week", "News.", when, f"<news{n}@letters.example>", parent=None,
        references=[], extra=["List-Id: <weekly.letters.example>"],
    )  # fmt: skip
    return Mail("INBOX", f"newsletter {when:%d %H:%M}", raw)


def event(p: Person, start: datetime, minutes: int, seq: int, *, cancelled: bool) -> str:
    """The contact's meeting on the user's calendar feed."""
    return mailgen.vevent(
        uid=f"coffee-{p.email}",
        sequence=seq,
        stamp=NOW - timedelta(days=30) + timedelta(minutes=seq),
        start=start,
        end=start + timedelta(minutes=minutes),
        summary=f"Coffee with {p.name}",
        organizer=USER,
        attendees=[p.email],
        cancelled=cancelled,
    )


def _mid(kind: str, p: Person, n: int) -> str:
    return f"<{kind}{n}.{p.email.split('@')[0]}@mail.example>"


# -- the database ------------------------------------------------------------------------------


def template(directory: Path) -> Path:
    """A migrated database with the account and the contacts, to copy for each run."""
    path = directory / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as session:
        account = ensure_account(
            session, slug="t", name="Sam Seeker", email=USER, timezone=ZONE, now=NOW
        )
        session.commit()
        account_id = account.id
    for p in PEOPLE:
        with UnitOfWork(factory, account_id=account_id) as uow:
            tags = ("nudge",) if p.email in NUDGE else ()
            row = ContactRow(line=0, name=p.name, emails=(p.email,), company=p.company, tags=tags)
            upsert_contact(uow, row, source="linkedin", now=NOW - timedelta(days=90))
            uow.commit()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


Step = tuple[str, tuple[int, ...]]  # ("Sent" | "INBOX", mail indices) or ("calendar", (version,))


class Scratch:
    """One database file reset from the template for each run.

    The engine lives across runs: SQLAlchemy keeps its compiled statements per engine, and
    compiling them again for every run would cost most of the test's time.
    """

    def __init__(self, template_path: Path, path: Path) -> None:
        """An engine on ``path``; nothing is copied until reset()."""
        self.template, self.path = template_path, path
        self.engine = make_engine(f"sqlite:///{path}")
        # A scratch file: waiting for the disk on every commit would only measure the disk.
        sa_event.listen(self.engine, "connect", _no_sync)

    def reset(self) -> None:
        """Close every connection and put the template's contents back."""
        self.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.path)


def _no_sync(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")


def run(facts: Facts, steps: Sequence[Step], db: Scratch, *, reset: bool = True) -> dict[str, Any]:
    """Feed the facts in the order of ``steps``, plan, and return the snapshot."""
    if reset:
        db.reset()
    factory = session_factory(db.engine)
    try:
        uids = {"Sent": 0, "INBOX": 0}
        for n, (source, which) in enumerate(steps):
            now = NOW + timedelta(seconds=n)
            with UnitOfWork(factory, account_id=1) as uow:
                if source == "calendar":
                    _calendar(uow, facts.calendar[which[0]], now)
                else:
                    items = []
                    for i in which:
                        uids[source] += 1
                        raw = facts.mails[i].raw
                        verdict = classify(raw, today=now.date())
                        items.append(InboundItem(uids[source], verdict, "test", raw_id_seed=raw))
                    record_batch(
                        uow, folder=source, outgoing=source == "Sent", uidvalidity=1,
                        last_uid=uids[source], items=items, counted=0, user_addresses=USERS,
                        now=now,
                    )  # fmt: skip
                uow.commit()
        with UnitOfWork(factory, account_id=1) as uow:
            mark_ended(uow, PLAN_AT)
            plan_followups(
                uow, now=PLAN_AT, cadence=CadenceConfig(), modes=ModesConfig(), user_email=USER,
                render=lambda name, _context: name,
            )  # fmt: skip
            uow.commit()
        with factory() as session:
            return snapshot(session)
    finally:
        db.engine.dispose()


def _calendar(uow: UnitOfWork, ics: str, now: datetime) -> None:
    window = Window(now - timedelta(days=14), now + timedelta(days=60))
    parsed = parse_calendar(ics, window, default_tz=ZONE)
    apply_calendar(uow, source="feed", parsed=parsed, now=now, user_addresses=USERS, snapshot=True)
    mark_ended(uow, now)


def snapshot(session: Any) -> dict[str, Any]:
    """What the facts decided, without ids, clocks of recording or event order."""
    names = {c.id: c.name for c in session.scalars(select(Contact))}
    nth: dict[int, str] = {}
    contacts: dict[str, Any] = {}
    for c in session.scalars(select(Contact).order_by(Contact.name)):
        interviews = list(
            session.scalars(
                select(Interview).where(Interview.contact_id == c.id).order_by(Interview.id)
            )
        )
        for k, i in enumerate(interviews):
            nth[i.id] = f"{c.name}#{k}"
        emails = session.scalars(select(ContactEmail).where(ContactEmail.contact_id == c.id))
        contacts[c.name] = {
            "do_not_contact": c.do_not_contact,
            "emails": sorted((e.address, e.status) for e in emails),
            "interviews": [
                (i.state, i.outreach_message_id, i.thread_subject, i.paused_until, i.closed_reason)
                for i in interviews
            ],
        }
    meetings = {}
    uid_of = {}
    for m in session.scalars(select(Meeting)):
        uid_of[m.id] = m.uid
        meetings[(m.uid, m.recurrence_id)] = (
            names.get(m.contact_id or 0), nth.get(m.interview_id or 0), m.status,
            m.start_utc, m.end_utc, m.version, m.ended_handled,
        )  # fmt: skip
    outbox = sorted(
        (_outbox_row(o, nth, uid_of) for o in session.scalars(select(Outbox))), key=repr
    )
    return {"contacts": contacts, "meetings": meetings, "outbox": outbox}


def _outbox_row(o: Outbox, nth: dict[int, str], uid_of: dict[int, str]) -> tuple[Any, ...]:
    where = _occurrence(o.occurrence, uid_of)
    return (
        o.kind,
        o.status,
        o.mode,
        o.to_addr,
        nth.get(o.interview_id),
        where,
        o.not_before,
        o.not_after,
        o.last_error,
    )


def _occurrence(text: str, uid_of: dict[int, str]) -> str:
    kind, _, rest = text.partition(":")
    number, _, tail = rest.partition(":")
    if kind == "meeting" and number.isdigit():
        return f"meeting:{uid_of.get(int(number), '?')}:{tail}"
    return text
