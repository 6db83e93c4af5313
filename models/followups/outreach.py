"""The first request for a conversation (``coffeechat outreach CONTACT``), queued in the outbox.

One outreach per attempt: ``outreach:1``, and ``outreach:2`` only after the first bounced and
the address was fixed (the lifecycle allows outreach from ``planned`` and ``undeliverable``).
Asking again while one is still waiting returns the waiting one instead of queueing another.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from coffeechat.models.followups.cadence import CadenceRules, next_send_time
from coffeechat.models.followups.mail import (
    Planned,
    Renderer,
    insert_once,
    introducer,
    people,
    recipient,
)
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.interviews.moves import open_interview
from coffeechat.models.outbox.states import WAITING, Kind, Mode
from coffeechat.models.store.tables import Account, Contact, Outbox
from coffeechat.models.store.uow import UnitOfWork
from coffeechat.models.text import clean_line

# The tag that opts a contact in to the one polite follow-up.
NUDGE_TAG = "nudge"
_ASKABLE = (State.PLANNED.value, State.UNDELIVERABLE.value)
# A pitch that opens with the writer as its subject is a sentence already.
_FIRST_PERSON = re.compile(r"(I|I['’](m|ve|d|ll)|I am|My|Me|We|We['’](re|ve))\b")


class OutreachRefused(ValueError):
    """The outreach cannot be queued; the message says why and what to do."""


def create_outreach(
    uow: UnitOfWork,
    contact_id: int,
    *,
    now: datetime,
    cadence: CadenceRules,
    mode: str,
    user_email: str,
    render: Renderer,
    send_now: bool = False,
    nudge: bool = False,
) -> Outbox:
    """Queue the request to ``contact_id`` (or return the one still waiting); raise if refused."""
    contact, account, to = _mailable(uow, contact_id)
    interview = open_interview(uow, contact, now=now)
    waiting = uow.session.scalars(
        select(Outbox).where(
            Outbox.interview_id == interview.id,
            Outbox.kind == Kind.OUTREACH,
            Outbox.status.in_(WAITING),
        )
    ).first()
    if waiting is not None:
        return waiting
    if interview.state not in _ASKABLE:
        raise OutreachRefused(
            f"#{contact.id} {contact.name}: already {interview.state}; outreach is the first ask"
        )
    if nudge and NUDGE_TAG not in contact.tags:
        contact.tags = [*contact.tags, NUDGE_TAG]
    intro = introducer(uow, contact)
    planned = Planned(
        interview_id=interview.id,
        kind=Kind.OUTREACH,
        occurrence=f"outreach:{_attempts(uow, interview.id) + 1}",
        to_addr=to,
        subject=_subject(contact, intro),
        body=render("mail/outreach", outreach_context(account, contact, intro)),
        mode=Mode.AUTO if send_now else mode,
        not_before=now if send_now else _first_ask_time(account, cadence, now),
    )
    row = insert_once(uow, planned, now=now, user_email=user_email)
    assert row is not None  # the occurrence counts every earlier attempt, so it is new
    return row


def outreach_context(
    account: Account, contact: Contact, intro: Contact | None
) -> dict[str, object]:
    """The outreach template's context: the shared one, and the pitch as a sentence."""
    return {**people(account, contact, intro), "pitch": pitch_sentence(account.elevator_pitch)}


def pitch_sentence(pitch: str) -> str:
    """The user's elevator pitch as a sentence that can follow the first one.

    A pitch written as a sentence about oneself ("I'm a backend developer...") stays as
    written; a fragment ("Backend developer moving into developer tools.") is introduced
    ("A little about me: ...") rather than left standing alone. Its words are the user's:
    never reworded, its first letter never changed (it may be a name: "Python developer").
    """
    text = " ".join(pitch.split()).rstrip(",;:-–— ")
    if not text:
        return ""
    if text[-1] not in ".!?…\"'”’)":
        text += "."
    return text if _FIRST_PERSON.match(text) else f"A little about me: {text}"


def _mailable(uow: UnitOfWork, contact_id: int) -> tuple[Contact, Account, str]:
    contact = uow.session.get(Contact, contact_id)
    account = uow.session.get(Account, uow.account_id)
    if contact is None or account is None or contact.account_id != uow.account_id:
        raise OutreachRefused(f"no contact #{contact_id}")
    to = recipient(contact)
    if to is None:
        why = "is marked do-not-contact" if contact.do_not_contact else "has no working address"
        raise OutreachRefused(f"#{contact.id} {contact.name} {why}")
    return contact, account, to


def _attempts(uow: UnitOfWork, interview_id: int) -> int:
    count = uow.session.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(Outbox.interview_id == interview_id, Outbox.kind == Kind.OUTREACH)
    )
    return int(count or 0)


def _first_ask_time(account: Account, cadence: CadenceRules, now: datetime) -> datetime:
    # A first ask to a stranger reads best on a weekday in working hours; --send-now is the
    # user overriding that (and review) for this one email.
    return next_send_time(
        now,
        zone=ZoneInfo(account.timezone),
        window_start=cadence.send_window_start,
        window_end=cadence.send_window_end,
        weekdays_only=True,
    )


def _subject(contact: Contact, intro: Contact | None) -> str:
    if intro is not None:
        # The full name: a stranger may know several people called Ada.
        return f"{clean_line(intro.name)} suggested I get in touch"
    company = contact.company.strip()
    return f"A quick question about your work at {company}" if company else "A quick question"
