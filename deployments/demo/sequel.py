"""The story after today, on a simulated clock: Ada's meeting, the debriefs, Charles, the update.

The story is a timeline of moments placed relative to the anchor (story.py). At a *stop*
coffeechat does what the service would do at that instant: read the mailbox, run one cycle.
An *act* is the world moving between stops: Jo answering a debrief from a phone, accepting
Ada's referral and writing to Charles (what ``coffeechat referrals accept`` and ``coffeechat
outreach --send-now`` do, through the same model functions), Charles answering and booking
a call, Jo keeping the promise and acting on Ada's advice (``coffeechat done``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from email.utils import format_datetime
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select

from coffeechat.deployments.demo.mailbits import mail
from coffeechat.deployments.demo.story import (
    ADA,
    CHARLES,
    ME,
    ME_NAME,
    Person,
    Story,
    calendar_ics,
)
from coffeechat.integrations.config import Settings
from coffeechat.integrations.render import render
from coffeechat.models.contacts.records import find_contact
from coffeechat.models.contacts.referrals import accept
from coffeechat.models.followups.cadence import next_send_time, thank_you_moments
from coffeechat.models.followups.outreach import OutreachRefused, create_outreach
from coffeechat.models.followups.promises import list_items, mark_done
from coffeechat.models.followups.updates import met_news_at
from coffeechat.models.store.tables import Referral
from coffeechat.models.store.uow import UnitOfWork

if TYPE_CHECKING:
    from coffeechat.deployments.demo.world import World

Act = Callable[["World", datetime], str]

# Jo's answer to "How did it go with Ada?", typed on a phone: a line of prose, a couple of the
# template's headings, a signature; the client quotes the request below it.
ADA_DEBRIEF = """\
It went really well, she was generous with her time.

What I learned: her team ships a release every week and reviews everything in pairs.

Their advice:
- Write a short post each month about the tools I build
- Ask to see the on-call rota before accepting any offer

People to talk to: Charles Babbage <babbage@engines.example>, who built the first engine

What I promised: send Ada my portfolio by Friday

-- \nJo
Sent from my phone
"""
# And about Charles, after his call: his advice, and what Jo learned (which stays Jo's).
CHARLES_DEBRIEF = """\
Short and friendly; he asked what I want to build next.

Their advice:
- Bring a small working demo to every conversation

What I learned: he still reads every design document on his team himself.

-- \nJo
Sent from my phone
"""
CHARLES_REPLY = (
    "Hi Jo,\n\nAny friend of Ada's is welcome. {day} at 15:00 works for me; "
    "I'll send the link.\n\nCharles"
)
PROMISE_NOTE = "I sent you my portfolio, as promised."
ADVICE_NOTE = "I published the first one, on the debugger I am building."


@dataclass(frozen=True)
class Moment:
    """One point of the timeline: a stop (act None) or something the world does."""

    key: str
    at: datetime
    title: str
    act: Act | None = None


def timeline(story: Story, settings: Settings) -> list[Moment]:
    """Every moment of the story, in time order (today's stop first)."""
    ada_end = story.ada_meeting[1]
    charles_end = story.charles_meeting[1]
    grace_at = grace_thanked_at(story, settings)
    grace_hours = round((grace_at - story.grace_meeting[1]) / timedelta(hours=1))
    grace_title = f"about {grace_hours} hours after Grace's call, her debrief unanswered"
    if grace_hours < settings.debrief.thank_you_wait_hours:
        grace_title += " (later, the send window would close before the thank-you's deadline)"
    minute = timedelta(minutes=1)
    moments = [
        Moment("today", story.anchor, "today, the first run"),
        Moment("ada-ended", ada_end + 10 * minute, "Ada's meeting has just ended"),
        Moment("ada-debrief", ada_end + 35 * minute, "you answer the debrief",
               partial(answer_debrief, ADA, ADA_DEBRIEF)),
        Moment("referral", ada_end + 120 * minute, "you accept the referral", accept_referral),
        Moment("ada-thanked", ada_end + 125 * minute, "two hours after Ada's meeting"),
        Moment("charles-books", ada_end + 185 * minute, "Charles answers", charles_answers),
        # Past the wait for a debrief: Grace's thank-you goes in the generic form.
        Moment("grace-wait", grace_at, grace_title),
        Moment("charles-ended", charles_end + 10 * minute, "the call with Charles has just ended"),
        Moment("charles-debrief", charles_end + 35 * minute, "you answer the debrief",
               partial(answer_debrief, CHARLES, CHARLES_DEBRIEF)),
        Moment("charles-thanked", charles_end + 125 * minute, "two hours after the call with him"),
        # After the last stop before Ada's update: no update tells her the kept items alone.
        Moment("kept", charles_end + 180 * minute,
               "you keep your promise to Ada and act on her advice", keep_promise),
        Moment("ada-updated", ada_told_at(story, settings),
               "the call with Charles is settled: Ada may hear of it"),
    ]  # fmt: skip
    return sorted(moments, key=lambda m: m.at)


def _in_window(at: datetime, story: Story, settings: Settings, *, weekdays_only: bool) -> datetime:
    """The first send-window time from ``at``, a minute later when the window allows it."""
    cadence = settings.cadence
    window = partial(
        next_send_time,
        zone=story.zone,
        window_start=cadence.send_window_start,
        window_end=cadence.send_window_end,
        weekdays_only=weekdays_only,
    )
    first = window(at)
    later = first + timedelta(minutes=1)
    return later if window(later) == later else first


def grace_thanked_at(story: Story, settings: Settings) -> datetime:
    """When Grace's thank-you goes without her debrief: its wait over, inside the send window.

    The planner's own rules (cadence.thank_you_moments) place the end of the wait; the stop
    is at the first send-window time from then, a minute later when the window allows it.
    """
    wait = settings.debrief.thank_you_wait_hours if settings.debrief.enabled else 0.0
    ready = thank_you_moments(story.grace_meeting[1], settings.cadence, story.zone, wait)
    return _in_window(ready.ready(None), story, settings, weekdays_only=False)


def ada_told_at(story: Story, settings: Settings) -> datetime:
    """When Ada's update can tell her of the call with Charles: once the call is settled.

    updates.met_news_at places that moment (the thank-you deadline and a margin after the
    call; Charles's thank-you went long before); updates go on weekdays inside the send window.
    """
    settled = met_news_at(story.charles_meeting[1], settings.cadence)
    return _in_window(settled, story, settings, weekdays_only=True)


def _parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    return str(body.get_content()) if body is not None else ""


def _find(world: World, user: str, folder: str, subject: str) -> EmailMessage | None:
    """The newest message in a mailbox folder with exactly this subject."""
    for stored in reversed(world.mail.messages(user, folder)):
        message = _parse(stored.raw)
        if str(message["Subject"]) == subject:
            return message
    return None


def answer_debrief(person: Person, text: str, world: World, at: datetime) -> str:
    """Jo replies to the debrief request about ``person`` from a phone: threaded, from Jo."""
    request = _find(world, ME, "INBOX", f"How did it go with {person.name}?")
    if request is None:
        return (
            f"no debrief request about {person.first} arrived (debriefs turned off?): "
            "nothing to answer"
        )
    parent = str(request["Message-ID"])
    quoted = "\n".join(f"> {line}".rstrip() for line in _text(request).splitlines())
    written = format_datetime(request["Date"].datetime) if request["Date"] else "earlier"
    body = f"{text}\nOn {written}, {ME_NAME} <{ME}> wrote:\n{quoted}\n"
    local = person.address.split("@")[0]
    raw = mail(
        f"{ME_NAME} <{ME}>", f"{ME_NAME} <{ME}>", f"Re: {request['Subject']}", body, when=at,
        message_id=f"<debrief-answer-{local}@seeker.example>",
        headers={"In-Reply-To": parent, "References": parent},
    )  # fmt: skip
    world.mail.append(ME, "INBOX", raw, at)  # delivered to Jo, who wrote to Jo
    world.mail.append(ME, "Sent", raw, at, ("\\Seen",))  # the client keeps its copy
    return f"you answered “How did it go with {person.first}?” from your phone ({_gist(text)})"


def _gist(text: str) -> str:
    """What a debrief answer holds, in a few words (the parser reads the real thing)."""
    headings = (("Their advice:", "advice"), ("People to talk to:", "a person to meet"),
                ("What I promised:", "a promise"))  # fmt: skip
    parts = [what for heading, what in headings if heading in text]
    return ", ".join(parts) or "notes"


def accept_referral(world: World, at: datetime) -> str:
    """`coffeechat referrals accept ID --name "Charles Babbage"`, then outreach --send-now."""
    app, settings = world.app, world.app.settings
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        ada = find_contact(uow.session, app.account_id, ADA.address)
        ref = uow.session.scalars(
            select(Referral).where(
                Referral.account_id == app.account_id,
                Referral.from_contact_id == ada.id,
                Referral.address == CHARLES.address,
            )
        ).first()
        if ref is None:
            return "no referral from Ada to accept"
        ref, charles, _ = accept(uow, ref.id, now=at, name=CHARLES.name)
        try:
            create_outreach(
                uow, charles.id, now=at, cadence=settings.cadence, mode=settings.modes.outreach,
                user_email=ME, render=partial(render, fmt="txt", user_dir=settings.templates_dir),
                send_now=True,
            )  # fmt: skip
        except OutreachRefused as err:  # a run stopped right after this act: done already
            return f"you accepted referral #{ref.id}; {err}"
        uow.commit()
        return (
            f"you accepted referral #{ref.id} (`coffeechat referrals accept {ref.id} --name "
            f'"{charles.name}"`) and asked {charles.name} for a conversation '
            f'(`coffeechat outreach "{charles.name}" --send-now`)'
        )


def charles_answers(world: World, at: datetime) -> str:
    """Charles replies in the outreach's thread and the call goes into Jo's calendar."""
    inbox = world.mail.messages(CHARLES.address, "INBOX")
    if not inbox:
        return "Charles got no outreach: nothing to answer"
    outreach = _parse(inbox[-1].raw)
    parent = str(outreach["Message-ID"])
    day = f"{world.story.charles_meeting[0]:%A}"
    raw = mail(
        f"{CHARLES.name} <{CHARLES.address}>", f"{ME_NAME} <{ME}>", f"Re: {outreach['Subject']}",
        CHARLES_REPLY.format(day=day), when=at, message_id="<c1@engines.example>",
        headers={"In-Reply-To": parent, "References": parent},
    )  # fmt: skip
    world.mail.append(ME, "INBOX", raw, at)
    world.mail.append(CHARLES.address, "Sent", raw, at, ("\\Seen",))
    calendar = world.app.settings.calendars[0]
    assert calendar.url is not None
    world.calendar.put_calendar(calendar.url, calendar_ics(world.story, with_charles=True))
    return f"Charles replied in the thread; the call is in your calendar ({day} 15:00)"


def keep_promise(world: World, at: datetime) -> str:
    """`coffeechat done P<n> NOTE` for Ada's promise and her first advice, when they exist."""
    app = world.app
    done = []
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        ada = find_contact(uow.session, app.account_id, ADA.address)
        items = list_items(uow.session, app.account_id, contact_id=ada.id)
        promise = next((i for i in items if i.kind == "promise"), None)
        advice = next((i for i in items if i.kind == "advice"), None)
        for item, note in ((promise, PROMISE_NOTE), (advice, ADVICE_NOTE)):
            if item is not None:
                mark_done(uow, item.ref, note, now=at)
                done.append(f"`coffeechat done {item.ref}`")
        uow.commit()
    return f"you marked done what you did for Ada: {', '.join(done) or 'nothing open'}"
