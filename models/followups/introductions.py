"""The introduction request: asking a contact to introduce the user to someone they suggested.

For a referral made by name only (nobody knows the address), the polite way in is through the
introducer. The request is an outbox row of its own kind (``intro_request``, occurrence
``intro:<referral id>``, so one per referral), threaded under the introducer's conversation and
in review mode unless the user's [modes] say otherwise. The introducer's answer, when it gives
the person's address, completes that referral (``answered_introduction``) rather than making a
second one for the address alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.contacts.referrals import ReferralRefused, complete_address, get_referral
from coffeechat.models.followups.cadence import CadenceRules, next_send_time
from coffeechat.models.followups.mail import (
    Planned,
    Renderer,
    first_name,
    insert_once,
    people,
    recipient,
    thread_of,
)
from coffeechat.models.outbox.states import Kind
from coffeechat.models.store.tables import Account, Contact, Interview, Outbox, Referral
from coffeechat.models.store.uow import UnitOfWork
from coffeechat.models.text import clean_line

_INTRO = "intro:"  # the request's occurrence: intro:<referral id>


def ask_introduction(
    uow: UnitOfWork,
    referral_id: int,
    *,
    now: datetime,
    cadence: CadenceRules,
    mode: str,
    user_email: str,
    render: Renderer,
) -> Outbox:
    """Queue the request to the introducer of ``referral_id`` (or return the one queued)."""
    s = uow.session
    ref, introducer, to, interview = _who_to_ask(uow, referral_id)
    account = s.get(Account, uow.account_id)
    assert account is not None
    occurrence = f"{_INTRO}{ref.id}"
    queued = s.scalars(
        select(Outbox).where(
            Outbox.interview_id == interview.id,
            Outbox.kind == Kind.INTRO_REQUEST,
            Outbox.occurrence == occurrence,
        )
    ).first()
    if queued is not None:
        return queued
    name = clean_line(ref.name)
    context = {
        **people(account, introducer, None),
        "referred": {
            "name": name,
            "first_name": first_name(name) or name,
            "company": clean_line(ref.company),
        },
    }
    planned = Planned(
        interview_id=interview.id,
        kind=Kind.INTRO_REQUEST,
        occurrence=occurrence,
        to_addr=to,
        subject=f"An introduction to {name}?",
        body=render("mail/intro_request", context),
        mode=mode,
        not_before=next_send_time(
            now,
            zone=ZoneInfo(account.timezone),
            window_start=cadence.send_window_start,
            window_end=cadence.send_window_end,
            weekdays_only=True,
        ),
        thread=thread_of(uow, interview),
        reason=f"referral #{ref.id}",
    )
    row = insert_once(uow, planned, now=now, user_email=user_email)
    assert row is not None  # checked above, in this transaction
    return row


def _who_to_ask(uow: UnitOfWork, referral_id: int) -> tuple[Referral, Contact, str, Interview]:
    """The referral, its introducer, their address and the conversation to ask in; or why not."""
    s = uow.session
    ref = get_referral(s, uow.account_id, referral_id)
    if ref.status == "dismissed":
        raise ReferralRefused(
            f"referral #{ref.id} was declined: `coffeechat referrals accept {ref.id}` first"
        )
    if ref.address:
        raise ReferralRefused(
            f"referral #{ref.id} has an address ({ref.address}): write to them directly with "
            f"`coffeechat referrals accept {ref.id}`, then `coffeechat outreach`"
        )
    introducer = s.get(Contact, ref.from_contact_id)
    assert introducer is not None
    to = recipient(introducer)
    if to is None:
        raise ReferralRefused(f"#{introducer.id} {introducer.name} cannot be written to")
    interview = s.scalars(
        select(Interview).where(Interview.contact_id == introducer.id).order_by(Interview.id.desc())
    ).first()
    if interview is None:
        raise ReferralRefused(
            f"there is no conversation with {introducer.name} to ask in: "
            f"`coffeechat outreach #{introducer.id}` first"
        )
    return ref, introducer, to, interview


def answered_introduction(
    session: Session,
    account_id: int,
    contact_id: int,
    thread: Iterable[str | None],
    addresses: Sequence[str],
) -> Referral | None:
    """The name-only referral that mail from ``contact_id`` answers, completed with its address.

    The mail answers an introduction request when its In-Reply-To or References name the
    request's Message-ID; the request names its referral. ``addresses`` are the ones the
    mail suggests (already without the introducer's and the user's own). Exactly one of them
    completes the referral; with several, which is the person is not ours to guess, and
    None leaves each to become a referral of its own.
    """
    ids = {t for t in thread if t}
    wanted = sorted({normalise_address(a) for a in addresses if a.strip()})
    if not ids or len(wanted) != 1:
        return None
    asked = session.scalars(
        select(Outbox.occurrence)
        .join(Interview, Interview.id == Outbox.interview_id)
        .where(
            Outbox.account_id == account_id,
            Outbox.kind == Kind.INTRO_REQUEST,
            Outbox.message_id.in_(ids),
            Interview.contact_id == contact_id,
        )
        .order_by(Outbox.id.desc())
    ).all()
    for occurrence in asked:
        ref_id = occurrence.removeprefix(_INTRO)
        if not ref_id.isdigit():
            continue
        ref = session.get(Referral, int(ref_id))
        if ref is None or ref.account_id != account_id or ref.from_contact_id != contact_id:
            continue
        if ref.address == wanted[0]:
            return ref  # read again: already complete
        if ref.address is not None or _has_address(session, ref, wanted[0]):
            return None  # the address is another referral's already: nothing to merge here
        complete_address(session, ref, wanted[0])
        session.flush()
        return ref
    return None


def _has_address(session: Session, ref: Referral, address: str) -> bool:
    return (
        session.scalar(
            select(Referral.id).where(
                Referral.account_id == ref.account_id,
                Referral.from_contact_id == ref.from_contact_id,
                Referral.address == address,
            )
        )
        is not None
    )
