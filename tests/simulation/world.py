"""The driver: advances the injected clock, plays the contacts' side, and runs coffeechat.

Each step: what the world does up to now (contacts' mail APPENDed to INBOX, outreach the user
typed APPENDed to Sent, calendars changed on the ICS feed, in CalDAV or by emailed iTIP, new
contacts and milestones recorded), then the inbox and Sent syncs, then one ``run_cycle``.
Everything aiosmtpd accepts is kept with the simulated time it arrived; mail to the user (prep
sheets) is delivered to the INBOX like a real MTA would. The contacts react to what reaches
them: a persona's times count from the arrival of our outreach.

What the world did is logged here (``ContactLog``) for the oracle; coffeechat's database is
never read by the driver.
"""

from __future__ import annotations

import email
import heapq
import itertools
import random
import re
import time as clock
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from functools import partial
from typing import cast

from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint
from coffeechat.flows.steps.calendar import sync_calendars
from coffeechat.flows.steps.cycle import CycleReport, run_cycle
from coffeechat.flows.steps.inbox import folder_plan, sync_account_mail, sync_folder
from coffeechat.integrations.imap import Mailbox, MailboxError, connect
from coffeechat.integrations.render import render
from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import contact_by_email, upsert_contact
from coffeechat.models.followups.plan import create_outreach
from coffeechat.models.followups.promises import ItemKind, list_items, mark_done, text_key
from coffeechat.models.store.tables import Milestone
from coffeechat.models.store.uow import UnitOfWork
from tests.simulation import mailgen
from tests.simulation.scenario import (
    BERLIN,
    START,
    USER,
    Persona,
    Scenario,
    at_local,
    business_days_after,
)
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed.caldav import Calendar
from tests.testbed.dovecot import Mailbox as BedMailbox
from tests.testbed.smtp import ReceivedMessage

# Steps between polls of an unchanged folder (the watcher's poll_seconds, in clock steps).
POLL_EVERY = 6
_DEBRIEF = re.compile(r"^How did it go with (.+)\?$")


@dataclass(frozen=True)
class Wire:
    """One message coffeechat handed to the SMTP server, and when (simulated) it arrived."""

    at: datetime
    rcpts: tuple[str, ...]
    message: EmailMessage

    @property
    def to(self) -> str:
        """The one recipient."""
        return self.rcpts[0].lower()

    @property
    def message_id(self) -> str:
        """The Message-ID header."""
        return str(self.message["Message-ID"] or "").strip()

    @property
    def in_reply_to(self) -> str | None:
        """The In-Reply-To header, if any."""
        value = self.message["In-Reply-To"]
        return str(value).strip() if value else None

    @property
    def references(self) -> list[str]:
        """The References header, split."""
        return str(self.message["References"] or "").split()

    @property
    def subject(self) -> str:
        """The Subject header."""
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """The plain-text body."""
        part = self.message.get_body(("plain",))
        return cast(str, part.get_content()) if part is not None else ""


@dataclass(frozen=True)
class Inbound:
    """Mail the world put in the user's INBOX for a contact, at a step."""

    at: datetime  # the step at which it was there for coffeechat to see
    dated: datetime  # its Date header
    kind: str  # reply | optout | auto_reply | bounce | invite | cancel
    message_id: str
    return_date: date | None = None


@dataclass
class Version:
    """What a meeting looked like from a step on."""

    at: datetime
    start: datetime
    end: datetime
    cancelled: bool = False


@dataclass
class MeetingLog:
    """One meeting's history as the world changed it."""

    uid: str
    channel: str
    versions: list[Version] = field(default_factory=list)


@dataclass
class ContactLog:
    """Everything that happened on the contact's side."""

    persona: Persona
    created_at: datetime | None = None  # when the user asked coffeechat to write (step)
    hand: tuple[datetime, str, str] | None = None  # (Date, Message-ID, Subject) typed by hand
    arrived: datetime | None = None  # when our outreach reached them
    inbound: list[Inbound] = field(default_factory=list)
    meetings: list[MeetingLog] = field(default_factory=list)
    thanked_by_hand: tuple[datetime, str] | None = None  # (Date, Message-ID) in Sent
    debriefs: list[Answer] = field(default_factory=list)  # the user's answers about them
    kept: list[Kept] = field(default_factory=list)  # promises and advice marked done


@dataclass(frozen=True)
class Answer:
    """The user's answer to the debrief request about a contact's meeting."""

    at: datetime  # the step at which it was in the INBOX for coffeechat to see
    dated: datetime
    message_id: str
    request_at: datetime  # when the request reached the user


@dataclass(frozen=True)
class Kept:
    """A promise kept or advice acted on, as ``coffeechat done`` records it, with its note."""

    at: datetime  # the step
    kind: str  # promise | advice
    note: str


@dataclass(order=True)
class _Action:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    email: str = field(compare=False, default="")
    text: str = field(compare=False, default="")


class World:
    """The simulation: servers, clock, the contacts' behaviour and the record of it all."""

    def __init__(
        self,
        scenario: Scenario,
        app: App,
        *,
        mailbox: BedMailbox,
        smtp: SmtpServer,
        feed: IcsFeedServer,
        calendar: Calendar,
        shuffle: int | None = None,
    ) -> None:
        """Wire the hooks; nothing runs until run().

        ``shuffle`` (a seed) reads the sources (Sent, INBOX, the calendars) in an order drawn
        afresh each day, all before the cycle, instead of Sent, INBOX, then the cycle's own
        calendar read: the outcome must not depend on it.
        """
        self.scenario = scenario
        self.shuffle = random.Random(shuffle) if shuffle is not None else None
        self.orders: dict[date, tuple[str, ...]] = {}
        self.app = app
        self.mailbox = mailbox
        self.feed = feed
        self.calendar = calendar
        self.now = START
        self.wire: list[Wire] = []
        self.logs = {p.person.email: ContactLog(p) for p in scenario.personas}
        self.milestones: list[tuple[datetime, str]] = []
        self.problems: list[tuple[datetime, str]] = []
        self._agenda: list[_Action] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._seen = 0
        self._feed_events: dict[str, str] = {}
        self._box: Mailbox | None = None
        self.seconds: dict[str, float] = defaultdict(float)  # real time per phase, for the report
        self._changed: set[str] = set()  # folders something was APPENDed to since the last sync
        self._polls = itertools.count()
        self._requests: dict[str, Wire] = {}  # the debrief request the user answers, by contact
        smtp.on_message(self._received)

    # -- the clock -------------------------------------------------------------------------

    def run(self) -> None:
        """Play the whole month."""
        self._import_contacts()
        for persona in self.scenario.personas:
            if persona.outreach_at is not None:
                self._schedule(persona.outreach_at, "outreach", persona.person.email)
        for when, text in self.scenario.milestones:
            self._schedule(when, "milestone", text=text)
        self.feed.set_body(mailgen.vcalendar([]))
        try:
            for step in self.scenario.steps:
                self.now = step
                mark = clock.perf_counter()
                while self._agenda and self._agenda[0].at <= step:
                    self._execute(heapq.heappop(self._agenda))
                mark = self._lap("world", mark)
                if self.shuffle is None:
                    self._sync_mail(step)
                else:
                    self._read_shuffled(step)
                mark = self._lap("mail sync", mark)
                report = run_cycle(self.app, step)
                self._lap("cycle", mark)
                self.problems += [(step, p) for p in report.problems]
                self._observe()
        finally:
            if self._box is not None:
                self._box.close()

    def _lap(self, phase: str, mark: float) -> float:
        now = clock.perf_counter()
        self.seconds[phase] += now - mark
        return now

    def _schedule(self, at: datetime, kind: str, email: str = "", text: str = "") -> None:
        heapq.heappush(self._agenda, _Action(at, next(self._seq), kind, email, text))

    def _mail_due(self) -> bool:
        # As the watcher does: a whole pass when IDLE would have woken it (something was
        # APPENDed) and, as the safety net, every few steps anyway.
        if not self._changed and next(self._polls) % POLL_EVERY:
            return False
        self._changed.clear()
        return True

    def _sync_mail(self, step: datetime) -> None:
        if self._mail_due():
            self._with_session(lambda box: sync_account_mail(self.app, box, step))

    def _with_session(self, work: Callable[[Mailbox], object]) -> None:
        for attempt in range(2):
            try:
                work(self._mailbox())
                return
            except MailboxError:
                # A long-lived session may be dropped; the watcher reconnects, so do we, once.
                if self._box is not None:
                    self._box.close()
                self._box = None
                if attempt:
                    raise

    def _read_shuffled(self, step: datetime) -> None:
        """Each source once, in the day's order; the cycle's own calendar read finds no news."""
        assert self.shuffle is not None
        day = step.astimezone(BERLIN).date()
        if day not in self.orders:
            self.orders[day] = tuple(self.shuffle.sample(["sent", "inbox", "calendar"], 3))
        mail = self._mail_due()
        for source in self.orders[day]:
            if source == "calendar":
                report = CycleReport()
                sync_calendars(self.app, step, report)
                self.problems += [(step, p) for p in report.problems]
            elif mail:
                self._with_session(partial(self._sync_one, source == "sent", step))

    def _sync_one(self, sent: bool, step: datetime, box: Mailbox) -> None:
        for folder, outgoing in folder_plan(self.app, box):
            if outgoing == sent:
                sync_folder(self.app, box, folder, outgoing=outgoing, now=step)

    def _mailbox(self) -> Mailbox:
        if self._box is None:
            imap = self.app.settings.imap
            assert imap is not None
            self._box = connect(imap_endpoint(imap), imap_credential(imap))
        return self._box

    # -- what coffeechat sends ----------------------------------------------------------------

    def _received(self, message: ReceivedMessage) -> None:
        """aiosmtpd's hook (its thread, while our cycle waits): keep it with the simulated time."""
        parsed = email.message_from_bytes(message.raw, policy=default_policy)
        rcpts = tuple(r.lower() for r in message.rcpt_tos)
        self.wire.append(Wire(self.now, rcpts, parsed))
        if USER in rcpts:
            self.mailbox.append(message.raw, "INBOX", date=self.now)  # the MTA delivers it
            self._changed.add("INBOX")
        if self.app.settings.smtp and self.app.settings.smtp.save_to_sent != "never":
            self._changed.add("Sent")  # coffeechat APPENDs its copy right after sending

    def _observe(self) -> None:
        """Contacts react to mail that reached them: the first outreach starts their story.

        The user reads each debrief request and, as the persona's plan says, answers it later.
        """
        for wire in self.wire[self._seen :]:
            if wire.to == USER:
                self._asked(wire)
                continue
            log = self.logs.get(wire.to)
            if log is not None and wire.in_reply_to is None and log.arrived is None:
                self._arrived(log, wire.at)
        self._seen = len(self.wire)

    def _asked(self, wire: Wire) -> None:
        match = _DEBRIEF.match(wire.subject)
        if match is None or wire.in_reply_to is not None:
            return  # a prep sheet, or the reminder (answered, if at all, through the request)
        log = next(g for g in self.logs.values() if g.persona.person.name == match.group(1))
        plan = log.persona.debrief
        email_ = log.persona.person.email
        if plan is not None and email_ not in self._requests:
            self._requests[email_] = wire
            self._schedule(wire.at + plan.delay, "debrief", email_)

    def _arrived(self, log: ContactLog, at: datetime) -> None:
        log.arrived = at
        p, email_ = log.persona, log.persona.person.email
        if p.bounce:
            self._schedule(at + timedelta(minutes=2), "bounce", email_)
            return
        reply_from = at
        if p.auto_reply_days is not None:
            self._schedule(at + timedelta(minutes=3), "auto_reply", email_)
            reply_from = at_local(self._back(log), time(9, 0))
        if p.reply and p.reply_delay is not None:
            self._schedule(reply_from + p.reply_delay, "reply", email_)
        elif p.meeting is not None:
            self._schedule(at + p.meeting.book_delay, "book", email_)

    def _back(self, log: ContactLog) -> date:
        assert log.arrived is not None and log.persona.auto_reply_days is not None
        return log.arrived.astimezone(BERLIN).date() + timedelta(days=log.persona.auto_reply_days)

    # -- what the world does -------------------------------------------------------------------

    def _execute(self, action: _Action) -> None:
        handler = getattr(self, f"_do_{action.kind}")
        handler(action)

    def _do_outreach(self, action: _Action) -> None:
        log = self.logs[action.email]
        person = log.persona.person
        if log.persona.introduced_by is not None:
            self._add_contact(log.persona, introduced_by=log.persona.introduced_by)
        if log.persona.by_hand:
            mid = f"<hand.{next(self._ids)}@seeker.example>"
            subject = f"Coffee chat about {person.company}?"
            raw = mailgen.hand_outreach(person, subject, action.at, mid)
            self.mailbox.append(raw, "Sent", flags=("\\Seen",), date=action.at)
            self._changed.add("Sent")
            log.hand = (action.at, mid, subject)
            self._arrived(log, action.at)
            return
        settings = self.app.settings
        with UnitOfWork(self.app.factory, account_id=self.app.account_id) as uow:
            contact = contact_by_email(uow.session, self.app.account_id, person.email)
            assert contact is not None
            create_outreach(
                uow,
                contact.id,
                now=self.now,
                cadence=settings.cadence,
                mode=settings.modes.outreach,
                user_email=USER,
                render=partial(render, fmt="txt", user_dir=settings.templates_dir),
                nudge=log.persona.nudge,
            )
            uow.commit()
        log.created_at = self.now

    def _thread(self, log: ContactLog) -> tuple[str, list[str], str, str]:
        """(parent, references, subject, quoted text) of the last thing we wrote to them."""
        ours = [w for w in self.wire if w.to == log.persona.person.email]
        if ours:
            last = ours[-1]
            refs = [*last.references, last.message_id]
            return last.message_id, refs, last.subject, mailgen.quoted(last.text, last.at)
        assert log.hand is not None
        when, mid, subject = log.hand
        return mid, [mid], subject, mailgen.quoted("Hi, would you have 20 minutes?", when)

    def _inbox(self, log: ContactLog, raw: bytes, inbound: Inbound) -> None:
        self.mailbox.append(raw, "INBOX", date=inbound.dated)
        self._changed.add("INBOX")
        log.inbound.append(inbound)

    def _do_reply(self, action: _Action) -> None:
        log = self.logs[action.email]
        p = log.persona
        parent, refs, subject, quote = self._thread(log)
        channel = p.meeting.channel if p.meeting else None
        body = mailgen.reply_body(p.person, p.reply, channel, p.refers)
        if p.reply != "optout":
            body += quote
        mid = f"<r{next(self._ids)}@{p.person.email.split('@')[1]}>"
        subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        raw = mailgen.text_mail(
            p.person, subject, body, action.at, mid, parent=parent, references=refs
        )
        kind = "optout" if p.reply == "optout" else "reply"
        self._inbox(log, raw, Inbound(self.now, action.at, kind, mid))
        if p.meeting is not None:
            self._schedule(
                p.meeting.fixed_book or action.at + p.meeting.book_delay, "book", action.email
            )
        if p.refers is not None:
            self._schedule(
                action.at + self.logs[p.refers.email].persona.referral_delay,
                "outreach",
                p.refers.email,
            )

    def _do_thanks_by_hand(self, action: _Action) -> None:
        log = self.logs[action.email]
        parent, refs, subject, _quote = self._thread(log)
        last = max(log.inbound, key=lambda i: i.dated) if log.inbound else None
        if last is not None and last.kind == "reply":  # answering the contact's last mail
            parent, refs = last.message_id, [*refs, last.message_id]
        mid = f"<hand.{next(self._ids)}@seeker.example>"
        subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        raw = mailgen.hand_thanks(log.persona.person, subject, action.at, mid, parent, refs)
        self.mailbox.append(raw, "Sent", flags=("\\Seen",), date=action.at)
        self._changed.add("Sent")
        log.thanked_by_hand = (action.at, mid)

    def _do_debrief(self, action: _Action) -> None:
        log = self.logs[action.email]
        plan, request = log.persona.debrief, self._requests[action.email]
        assert plan is not None
        mid = f"<debrief.{next(self._ids)}@seeker.example>"
        raw = mailgen.debrief_answer(
            plan, request.message_id, f"Re: {request.subject}", request.text, action.at, mid
        )
        # Sent to the user's own address: delivered to INBOX, and the client keeps its copy.
        self.mailbox.append(raw, "INBOX", date=action.at)
        self.mailbox.append(raw, "Sent", flags=("\\Seen",), date=action.at)
        self._changed.update(("INBOX", "Sent"))
        log.debriefs.append(Answer(self.now, action.at, mid, request.at))
        if plan.promise_done is not None:
            self._schedule(action.at + plan.promise_done, "done", action.email, "promise")
        if plan.advice_done is not None:
            self._schedule(action.at + plan.advice_done, "done", action.email, "advice")

    def _do_done(self, action: _Action) -> None:
        """What ``coffeechat done ID NOTE`` does, the ID read from the open items' listing."""
        log = self.logs[action.email]
        plan = log.persona.debrief
        assert plan is not None
        kind = ItemKind.PROMISE if action.text == "promise" else ItemKind.ADVICE
        text = plan.promise if kind is ItemKind.PROMISE else plan.advice[0]
        note = plan.promise_note if kind is ItemKind.PROMISE else plan.advice_note
        with UnitOfWork(self.app.factory, account_id=self.app.account_id) as uow:
            contact = contact_by_email(uow.session, self.app.account_id, action.email)
            assert contact is not None
            listed = list_items(
                uow.session, self.app.account_id, kinds=(kind,), contact_id=contact.id
            )
            found = [item for item in listed if text_key(item.text) == text_key(text)]
            if not found:
                self.problems.append((self.now, f"no open {kind} {text!r} for {action.email}"))
                return
            mark_done(uow, found[0].ref, note, now=self.now)
            uow.commit()
        log.kept.append(Kept(self.now, kind.value, note))

    def _do_auto_reply(self, action: _Action) -> None:
        log = self.logs[action.email]
        parent, _refs, subject, _quote = self._thread(log)
        back = self._back(log)
        mid = f"<ooo{next(self._ids)}@{log.persona.person.email.split('@')[1]}>"
        raw = mailgen.auto_reply(log.persona.person, subject, back, action.at, mid, parent)
        self._inbox(log, raw, Inbound(self.now, action.at, "auto_reply", mid, back))

    def _do_bounce(self, action: _Action) -> None:
        log = self.logs[action.email]
        parent, _refs, subject, _quote = self._thread(log)
        mid = f"<dsn{next(self._ids)}@mx.seeker.example>"
        raw = mailgen.bounce(action.email, parent, subject, action.at, mid)
        self._inbox(log, raw, Inbound(self.now, action.at, "bounce", mid))

    def _do_milestone(self, action: _Action) -> None:
        # What `coffeechat milestone TEXT` records, with the simulated clock.
        with UnitOfWork(self.app.factory, account_id=self.app.account_id) as uow:
            uow.session.add(
                Milestone(account_id=self.app.account_id, text=action.text, recorded_at=self.now)
            )
            uow.commit()
        self.milestones.append((self.now, action.text))

    # -- contacts ----------------------------------------------------------------------------

    def _import_contacts(self) -> None:
        """The LinkedIn import before the month starts (referred people come later)."""
        for persona in self.scenario.personas:
            if persona.introduced_by is None:
                self._add_contact(persona)

    def _add_contact(self, persona: Persona, introduced_by: str = "") -> None:
        p = persona.person
        tags = ("nudge",) if persona.nudge and persona.by_hand else ()
        row = ContactRow(
            line=0,
            name=p.name,
            emails=(p.email,),
            company=p.company,
            role=p.role,
            tags=tags,
            introduced_by=introduced_by,
        )
        when = self.now if introduced_by else START - timedelta(days=1)
        with UnitOfWork(self.app.factory, account_id=self.app.account_id) as uow:
            upsert_contact(uow, row, source="referral" if introduced_by else "linkedin", now=when)
            uow.commit()

    # -- meetings ----------------------------------------------------------------------------

    def _do_book(self, action: _Action) -> None:
        log = self.logs[action.email]
        plan = log.persona.meeting
        assert plan is not None
        if plan.fixed_start is not None:
            start = plan.fixed_start.astimezone(UTC)
        else:
            day = business_days_after(action.at.astimezone(BERLIN).date(), plan.days_ahead)
            start = at_local(day, plan.at)
        end = start + timedelta(minutes=plan.minutes)
        thanks = log.persona.thanks_by_hand
        if log.persona.kind == "thanks_by_hand_at_once":
            assert thanks is not None
            # No step between the end and the user's own thank-you: the sync that sees it
            # runs before any cycle has noticed that the meeting ended.
            while any(end <= step <= end + thanks for step in self.scenario.steps):
                start, end = start + timedelta(minutes=5), end + timedelta(minutes=5)
        uid = f"coffee-{next(self._ids)}-{action.email.split('@')[0]}@sim.example"
        meeting = MeetingLog(uid, plan.channel)
        log.meetings.append(meeting)
        self._publish(log, meeting, Version(self.now, start, end))
        if thanks is not None:
            self._schedule(end + thanks, "thanks_by_hand", action.email)
        if plan.change is not None:
            when = max(action.at + timedelta(hours=1), start - plan.change.lead)
            self._schedule(when, "change", action.email)

    def _do_change(self, action: _Action) -> None:
        log = self.logs[action.email]
        plan, meeting = log.persona.meeting, log.meetings[-1]
        assert plan is not None and plan.change is not None
        last = meeting.versions[-1]
        if plan.change.kind == "cancel":
            self._publish(log, meeting, Version(self.now, last.start, last.end, cancelled=True))
            return
        shift = plan.change.shift
        self._publish(log, meeting, Version(self.now, last.start + shift, last.end + shift))

    def _publish(self, log: ContactLog, meeting: MeetingLog, version: Version) -> None:
        """Put this version of the meeting where its channel keeps it."""
        meeting.versions.append(version)
        p, plan = log.persona, log.persona.meeting
        assert plan is not None
        contact = p.person.email
        organizer = contact if meeting.channel == "invite" else USER
        event = mailgen.vevent(
            uid=meeting.uid,
            sequence=len(meeting.versions) - 1,
            stamp=self.now,
            start=version.start,
            end=version.end,
            summary=f"Coffee with {p.person.name}",
            organizer=organizer,
            attendees=[USER, contact] if meeting.channel == "invite" else [contact],
            cancelled=version.cancelled,
            utc=plan.utc_times,
        )
        style = plan.change.style if plan.change is not None else ""
        if meeting.channel == "invite":
            method = "CANCEL" if version.cancelled else "REQUEST"
            mid = f"<inv{next(self._ids)}@{contact.split('@')[1]}>"
            raw = mailgen.invitation(
                p.person, mailgen.vcalendar([event], method), method, self.now, mid
            )
            kind = "cancel" if version.cancelled else "invite"
            self._inbox(log, raw, Inbound(self.now, self.now, kind, mid))
        elif meeting.channel == "feed":
            if version.cancelled and style == "remove":
                self._feed_events.pop(meeting.uid, None)
            else:
                self._feed_events[meeting.uid] = event
            self.feed.set_body(mailgen.vcalendar(list(self._feed_events.values())))
        elif version.cancelled and style == "remove":
            self.calendar.delete_event(meeting.uid)
        else:
            self.calendar.put_event(mailgen.vcalendar([event]))
