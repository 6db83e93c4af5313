"""Moving interviews through the lifecycle inside a unit of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coffeechat.models.interviews.lifecycle import Event, State, allowed, transition
from coffeechat.models.store.events import StateChanged
from coffeechat.models.store.tables import Contact, Interview
from coffeechat.models.store.uow import UnitOfWork


def apply_event(
    uow: UnitOfWork, interview: Interview, event: Event, *, now: datetime, cause: str = ""
) -> StateChanged:
    """Apply a lifecycle event, record the state change, and return it (raises if illegal)."""
    old = State(interview.state)
    new = transition(old, event)
    interview.state = new.value
    interview.state_changed_at = now
    change = StateChanged(
        occurred_at=now,
        interview_id=interview.id,
        contact_id=interview.contact_id,
        old=old.value,
        new=new.value,
        cause=cause or event.value,
    )
    uow.record(change)
    return change


def try_apply(
    uow: UnitOfWork, interview: Interview, event: Event, *, now: datetime, cause: str = ""
) -> StateChanged | None:
    """Apply ``event`` when the lifecycle allows it; otherwise leave the interview as it is."""
    if not allowed(State(interview.state), event):
        return None
    return apply_event(uow, interview, event, now=now, cause=cause)


def open_interview(uow: UnitOfWork, contact: Contact, *, now: datetime) -> Interview:
    """The contact's current interview (the newest that is not closed), created when none."""
    found = uow.session.scalars(
        select(Interview)
        .where(Interview.contact_id == contact.id, Interview.state != State.CLOSED.value)
        .order_by(Interview.id.desc())
        .limit(1)
    ).first()
    if found is not None:
        return found
    interview = Interview(
        account_id=contact.account_id,
        contact_id=contact.id,
        state=State.PLANNED.value,
        state_changed_at=now,
        created_at=now,
    )
    uow.session.add(interview)
    uow.session.flush()
    return interview
