"""The outbox's database steps, each its own short transaction, none holding a session over I/O.

pending ─claim─▶ sending ─250─▶ sent;  sending ─4xx─▶ pending (later);  sending ─5xx─▶ failed;
sending ─unknown─▶ (recovery: Sent copy found ▶ sent, else ▶ needs_review);  pending(review) ─▶
draft ─approve─▶ sending. The full table is states.py; every status change goes through
rows.move, a conditional UPDATE on the statuses it expects, so two workers (or a worker and the
inbox sync) never both act on one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.models.followups.cadence import in_window, past_deadline
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.outbox.effects import record_sent
from coffeechat.models.outbox.mailbuild import OutgoingMail
from coffeechat.models.outbox.rows import move
from coffeechat.models.outbox.states import CLAIMED, TO_CONTACT, TO_USER, Kind, Mode, Move, Status
from coffeechat.models.store.events import DomainEvent
from coffeechat.models.store.tables import Account, Contact, ContactEmail, Interview, Outbox
from coffeechat.models.store.uow import UnitOfWork

RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=4)
MAX_ATTEMPTS = 6


class OutboxStateError(RuntimeError):
    """A row is not where the caller expected it (e.g. approving something not a draft)."""


@dataclass(frozen=True)
class InFlight:
    """A row left in 'sending' whose fate must be looked up."""

    row_id: int
    message_id: str
    claimed_at: datetime | None


def _lock_account(session: Session, account_id: int) -> None:
    # A no-op write taken first: it serialises claimers per account (SQLite's write lock, a
    # PostgreSQL row lock), so the daily-cap count cannot be raced past.
    session.execute(update(Account).where(Account.id == account_id).values(id=Account.id))


def _local_day(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def sent_today(session: Session, account_id: int, now: datetime, zone: ZoneInfo) -> int:
    """Automatic emails claimed during the user's local day (sent, or possibly sent)."""
    start, end = _local_day(now, zone)
    count = session.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(
            Outbox.account_id == account_id,
            Outbox.mode == Mode.AUTO,
            # The cap protects the contacts' inboxes: mail to the user's own is not counted.
            Outbox.kind.in_(TO_CONTACT),
            # Counted against the daily cap: whatever was (or may have been) sent.
            Outbox.status.in_(CLAIMED),
            Outbox.claimed_at >= start,
            Outbox.claimed_at < end,
        )
    )
    return int(count or 0)


def refusal(session: Session, row: Outbox, account: Account, now: datetime) -> str | None:
    """Why this row must not be sent now (expired, closed, opted out, bounced...), or None."""
    if row.not_after is not None and past_deadline(row.not_after, now):
        return f"expired: not sent by {row.not_after.isoformat()}"
    address = row.to_addr.strip().lower()
    own = {a.lower() for a in (account.email, *account.other_addresses)}
    if row.interview_id is None:  # the digest: about the account, only ever to the user
        return None if address in own else f"{row.kind} addressed to someone other than the user"
    interview = session.get(Interview, row.interview_id)
    if interview is None or interview.state == State.CLOSED.value:
        return "interview closed"
    if row.kind == Kind.PREP_SHEET:
        return None if address in own else "prep sheet addressed to someone other than the user"
    contact = session.get(Contact, interview.contact_id)
    if contact is None or contact.do_not_contact:
        return "contact is do_not_contact"
    known = session.scalars(
        select(ContactEmail).where(
            ContactEmail.account_id == account.id, func.lower(ContactEmail.address) == address
        )
    ).first()
    if known is None or known.contact_id != contact.id:
        return "address is not one of this contact's addresses"
    if known.status != "ok":
        return f"address {known.status}"
    return None


def _cancel(session: Session, row_id: int, expected: Status, reason: str) -> None:
    move(session, Move.CANCEL, Outbox.id == row_id, frm=expected, last_error=reason)


def _due(
    session: Session,
    account_id: int,
    now: datetime,
    mode: Mode,
    limit: int,
    *,
    kinds: tuple[Kind, ...] | None = None,
) -> list[Outbox]:
    query = select(Outbox).where(
        Outbox.account_id == account_id,
        Outbox.status == Status.PENDING,
        Outbox.mode == mode,
        Outbox.not_before <= now,
    )
    if kinds is not None:
        query = query.where(Outbox.kind.in_(kinds))
    return list(session.scalars(query.order_by(Outbox.not_before, Outbox.id).limit(limit)))


def has_due(factory: sessionmaker[Session], account_id: int, now: datetime) -> bool:
    """Whether any automatic row is due now (a cheap look before taking a sending slot)."""
    with factory() as session:
        return bool(_due(session, account_id, now, Mode.AUTO, 1))


def claim_due(
    factory: sessionmaker[Session],
    account_id: int,
    now: datetime,
    limit: int,
    *,
    daily_cap: int = 20,
    window: tuple[time, time] | None = None,
) -> list[int]:
    """Claim up to limit due automatic rows (committed as 'sending'); cancel disallowed ones.

    ``window``: the user's daily send window. Mail to a contact is only claimed inside it,
    whatever kept it back until now (the daily cap, a service that was off, SMTP down): a row
    due at 19:55 and found at 00:26 waits for the morning, or expires by its deadline.
    """
    with factory() as session:
        _lock_account(session, account_id)
        account = session.get(Account, account_id)
        assert account is not None
        zone = ZoneInfo(account.timezone)
        room = daily_cap - sent_today(session, account_id, now, zone)
        if window is not None and not in_window(now, zone, window):
            room = 0  # outside the window nothing to a contact goes; mail to the user does
        claimed: list[int] = []
        capped = 0  # claimed rows to contacts (mail to the user waits for no cap)
        # Cancelled rows make room for later ones, so look a little further than limit. With
        # no room for contacts, only the user's own mail is read: a queue of held outreach
        # must not hide a prep sheet or a debrief request behind it all day.
        only = None if room > 0 else TO_USER
        for row in _due(session, account_id, now, Mode.AUTO, limit + 50, kinds=only):
            if len(claimed) >= limit:
                break
            counts = row.kind in TO_CONTACT
            if counts and capped >= room:
                continue  # over the cap or outside the window: it waits, untouched
            reason = refusal(session, row, account, now)
            if reason is not None:
                _cancel(session, row.id, Status.PENDING, reason)
                continue
            if move(session, Move.CLAIM, Outbox.id == row.id, frm=Status.PENDING,
                    claimed_at=now, attempts=Outbox.attempts + 1):  # fmt: skip
                claimed.append(row.id)
                capped += int(counts)
        session.commit()
        return claimed


def due_drafts(
    factory: sessionmaker[Session], account_id: int, now: datetime, limit: int
) -> list[int]:
    """Due review-mode rows still allowed (the others are cancelled); they are not claimed."""
    with factory() as session:
        account = session.get(Account, account_id)
        assert account is not None
        ready = []
        for row in _due(session, account_id, now, Mode.REVIEW, limit):
            reason = refusal(session, row, account, now)
            if reason is None:
                ready.append(row.id)
            else:
                _cancel(session, row.id, Status.PENDING, reason)
        session.commit()
        return ready


def _move(
    factory: sessionmaker[Session],
    row_id: int,
    step: Move,
    frm: tuple[Status, ...],
    **values: object,
) -> bool:
    """One row's move in its own transaction; False when the row was not in ``frm``."""
    with factory() as session:
        done = move(session, step, Outbox.id == row_id, frm=frm, **values)
        session.commit()
        return done == 1


def claim_for_draft(factory: sessionmaker[Session], row_id: int, now: datetime) -> bool:
    """pending (review) -> draft, committed before the APPEND; False if someone else has it."""
    return _move(factory, row_id, Move.PLACE_DRAFT, (Status.PENDING,), claimed_at=now)


def draft_placed_at(factory: sessionmaker[Session], row_id: int) -> datetime | None:
    """When the row's draft was placed in Drafts (UTC), or None if it never was."""
    with factory() as session:
        row = session.get(Outbox, row_id)
        return None if row is None else row.claimed_at  # aware UTC (store/types.py)


def release_draft(factory: sessionmaker[Session], row_id: int, reason: str) -> bool:
    """draft -> pending after a failed APPEND, so the next run tries again."""
    return _move(factory, row_id, Move.RELEASE_DRAFT, (Status.DRAFT,), last_error=reason)


def claim_approved(
    factory: sessionmaker[Session], account_id: int, row_id: int, now: datetime
) -> bool:
    """draft -> sending for an approved draft (refused rows are cancelled); False if not a draft."""
    with factory() as session:
        _lock_account(session, account_id)
        row = session.get(Outbox, row_id)
        account = session.get(Account, account_id)
        if row is None or account is None or row.account_id != account_id:
            raise OutboxStateError(f"no outbox row {row_id} for this account")
        if row.status != Status.DRAFT:
            return False
        reason = refusal(session, row, account, now)
        if reason is not None:
            _cancel(session, row.id, Status.DRAFT, reason)
            session.commit()
            raise OutboxStateError(f"row {row_id} can no longer be sent: {reason}")
        done = move(session, Move.APPROVE, Outbox.id == row_id, frm=Status.DRAFT,
                    claimed_at=now, attempts=Outbox.attempts + 1)  # fmt: skip
        session.commit()
        return done == 1


def load_mail(factory: sessionmaker[Session], row_id: int) -> OutgoingMail:
    """Read one row, its contact's name and the sender identity as a frozen value."""
    with factory() as session:
        row = session.get(Outbox, row_id)
        if row is None:
            raise OutboxStateError(f"no outbox row {row_id}")
        account = session.get(Account, row.account_id)
        assert account is not None
        interview = session.get(Interview, row.interview_id) if row.interview_id else None
        contact = session.get(Contact, interview.contact_id) if interview else None
        to_user = row.kind == Kind.PREP_SHEET or row.interview_id is None
        to_name = account.name if to_user else (contact.name if contact else "")
        return OutgoingMail(
            row_id=row.id, kind=row.kind, message_id=row.message_id,
            from_name=account.name, from_addr=account.email,
            to_name=to_name, to_addr=row.to_addr.strip(),
            subject=row.subject, body_text=row.body_text, body_html=row.body_html,
            in_reply_to=row.in_reply_to, references=tuple(row.references or ()),
            timezone=account.timezone,
        )  # fmt: skip


def mark_sent(
    factory: sessionmaker[Session], account_id: int, row_id: int, now: datetime
) -> list[DomainEvent]:
    """Record that row went out: status sent, lifecycle and EmailSent events, one transaction."""
    with UnitOfWork(factory, account_id=account_id) as uow:
        row = uow.session.get(Outbox, row_id)
        if row is None:
            raise OutboxStateError(f"no outbox row {row_id}")
        # The server took it, whatever the row says now: the truth wins over the status (and
        # a row already sent keeps the time it was first known to have gone).
        move(uow.session, Move.CONFIRM_SENT, Outbox.id == row_id, sent_at=now)
        record_sent(uow, row, now=now)
        return uow.commit()


def mark_failed(factory: sessionmaker[Session], row_id: int, reason: str) -> bool:
    """sending (or draft) -> failed, with the reason shown to the user."""
    return _move(factory, row_id, Move.FAIL, (Status.SENDING, Status.DRAFT), last_error=reason)


def needs_review(factory: sessionmaker[Session], row_id: int, reason: str) -> bool:
    """sending -> needs_review: we cannot tell whether it went; a person must look."""
    return _move(factory, row_id, Move.OUTCOME_UNKNOWN, (Status.SENDING,), last_error=reason)


def settle_review(
    factory: sessionmaker[Session], account_id: int, row_id: int, decision: str, now: datetime
) -> list[DomainEvent]:
    """The user's call on a row we could not settle: "sent", "resend" or "drop".

    Only a person can know whether an email whose sending was interrupted arrived (they can
    ask, or look in the recipient's reply); "resend" keeps the Message-ID, so a copy that did
    arrive is recognisably the same message.
    """
    with factory() as session:
        row = session.get(Outbox, row_id)
        if row is None or row.account_id != account_id:
            raise OutboxStateError(f"no outbox row {row_id} for this account")
        status = row.status
    if decision not in _DECISIONS:
        raise OutboxStateError(f"unknown decision {decision!r}: use sent, resend or drop")
    step, leaving = _DECISIONS[decision]
    if status not in leaving:
        raise OutboxStateError(f"row {row_id} is {status}; '{decision}' applies to "
                               f"{' or '.join(leaving)} rows")  # fmt: skip
    if step is Move.CONFIRM_SENT:
        return mark_sent(factory, account_id, row_id, now)
    if step is Move.RESEND:
        _move(factory, row_id, step, leaving, not_before=now,
              last_error="resend approved by the user")  # fmt: skip
    else:
        _move(factory, row_id, step, leaving, last_error="dropped by the user")
    return []


# The user's decisions on a row we could not settle: the move each makes, and from where.
_DECISIONS: dict[str, tuple[Move, tuple[Status, ...]]] = {
    "sent": (Move.CONFIRM_SENT, (Status.NEEDS_REVIEW,)),
    "resend": (Move.RESEND, (Status.NEEDS_REVIEW, Status.FAILED)),
    "drop": (Move.DROP, (Status.NEEDS_REVIEW, Status.FAILED)),
}


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after attempts tries: 5 min, doubling, at most 4 hours."""
    delay: timedelta = RETRY_BASE * (2 ** max(attempts - 1, 0))
    return min(delay, RETRY_CAP)


def back_to_pending(
    factory: sessionmaker[Session],
    row_id: int,
    now: datetime,
    reason: str,
    *,
    delay: timedelta | None = None,
) -> datetime | None:
    """sending -> pending with not_before moved (backoff), or failed after MAX_ATTEMPTS."""
    with factory() as session:
        row = session.get(Outbox, row_id)
        if row is None or row.status != Status.SENDING:
            return None
        if delay is None and row.attempts >= MAX_ATTEMPTS:
            reason = f"gave up after {row.attempts} attempts: {reason}"
            move(session, Move.FAIL, Outbox.id == row_id, frm=Status.SENDING, last_error=reason)
            when = None
        else:
            when = now + (delay if delay is not None else backoff(row.attempts))
            move(session, Move.RETRY, Outbox.id == row_id, frm=Status.SENDING,
                 not_before=when, last_error=reason)  # fmt: skip
        session.commit()
        return when


def in_flight(
    factory: sessionmaker[Session], account_id: int, now: datetime, stale_after: timedelta
) -> list[InFlight]:
    """Rows in 'sending' claimed at least stale_after ago (a live sender may own newer ones)."""
    with factory() as session:
        rows = session.scalars(
            select(Outbox)
            .where(
                Outbox.account_id == account_id,
                Outbox.status == Status.SENDING,
                or_(Outbox.claimed_at.is_(None), Outbox.claimed_at <= now - stale_after),
            )
            .order_by(Outbox.id)
        )
        return [InFlight(r.id, r.message_id, r.claimed_at) for r in rows]
