"""What the assistant may write: outbox rows in review mode, through the planner's own paths.

A row made here is a proposal: the next cycle places it in the user's Drafts and only
``coffeechat approve ID`` sends it. The recipient is always a contact already in the database,
at the address the planner would use (``recipient``), and every row passes the sender's own
``refusal`` before it is kept, so a bounced, complained or do-not-contact address gets nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select

from coffeechat.models.contacts.records import find_contact
from coffeechat.models.followups.cadence import CadenceRules
from coffeechat.models.followups.mail import (
    PlanContext,
    Planned,
    Renderer,
    recipient,
    thread_of,
)
from coffeechat.models.followups.outreach import OutreachRefused, create_outreach
from coffeechat.models.followups.updates import (
    HELPED,
    News,
    gather_news,
    last_touch,
    mark_told,
    update_context,
)
from coffeechat.models.outbox.states import Kind
from coffeechat.models.outbox.steps import refusal
from coffeechat.models.store.tables import Account, Contact, Interview, Outbox
from coffeechat.models.store.uow import UnitOfWork

REVIEW = "review"
# A body the assistant writes is an email, not a document: longer is refused, not cut.
MAX_BODY_CHARS = 20_000


def draft_outreach(
    uow: UnitOfWork,
    ref: str,
    *,
    now: datetime,
    cadence: CadenceRules,
    user_email: str,
    render: Renderer,
    body: str | None = None,
) -> Outbox:
    """The first ask to a contact, for review; ``body`` replaces the template's text."""
    contact = _mailable(uow, ref)
    row = create_outreach(
        uow,
        contact.id,
        now=now,
        cadence=cadence,
        mode=REVIEW,
        user_email=user_email,
        render=_with_body(render, "mail/outreach", body),
    )
    if row.mode != REVIEW:
        raise OutreachRefused(
            f"an outreach to #{contact.id} {contact.name} is already queued to go out "
            f"(outbox #{row.id}); see `coffeechat queue`"
        )
    return _checked(uow, row, now)


def draft_update(ctx: PlanContext, ref: str, *, body: str | None = None) -> Outbox:
    """An update to someone who helped: their news (or ``body``), in their thread, for review."""
    contact = _mailable(ctx.uow, ref)
    interview = _newest_interview(ctx.uow, contact)
    if interview is None or interview.state not in HELPED:
        raise OutreachRefused(
            f"#{contact.id} {contact.name} has not been met and thanked yet: an update is for "
            "people who helped"
        )
    news = gather_news(ctx, contact, since=last_touch(ctx, contact.id) or interview.created_at)
    if body is None and not news:
        raise OutreachRefused(
            f"no news for #{contact.id} {contact.name} since the last email: write the body, "
            "or add a note with `coffeechat note --for-update`"
        )
    context = update_context(ctx, contact, news)
    planned = Planned(
        interview_id=interview.id,
        kind="update",
        occurrence=f"update:{ctx.local(ctx.now).date().isoformat()}",
        to_addr=_address(contact),
        subject="A quick update",
        body=_body(body) if body is not None else ctx.text("update", context),
        mode=REVIEW,
        not_before=ctx.now,
        thread=thread_of(ctx.uow, interview),
    )
    row = _add(ctx, planned, f"an update to #{contact.id} {contact.name} is already planned today")
    if body is None:
        # In the text now: the planner's next update must not repeat them.
        mark_told(ctx, News(notes=news.notes, kept=news.kept), row)
    return row


def draft_reply(ctx: PlanContext, ref: str, *, body: str) -> Outbox:
    """A plain reply in the contact's thread (the last message as parent), for review."""
    contact = _mailable(ctx.uow, ref)
    interview = _newest_interview(ctx.uow, contact)
    thread = thread_of(ctx.uow, interview) if interview is not None else None
    if interview is None or thread is None:
        raise OutreachRefused(
            f"no conversation with #{contact.id} {contact.name} yet: draft an outreach instead"
        )
    earlier = ctx.uow.session.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(Outbox.interview_id == interview.id, Outbox.kind == Kind.REPLY)
    )
    planned = Planned(
        interview_id=interview.id,
        kind="reply",
        occurrence=f"reply:{int(earlier or 0) + 1}",
        to_addr=_address(contact),
        subject=thread.subject,
        body=_body(body),
        mode=REVIEW,
        not_before=ctx.now,
        thread=thread,
    )
    return _add(ctx, planned, f"a reply to #{contact.id} {contact.name} is being drafted already")


def _mailable(uow: UnitOfWork, ref: str) -> Contact:
    """The contact ``ref`` names, if coffeechat may write to them at all."""
    contact = find_contact(uow.session, uow.account_id, ref)
    if contact.do_not_contact:
        raise OutreachRefused(f"#{contact.id} {contact.name} asked not to be contacted")
    _address(contact)
    return contact


def _address(contact: Contact) -> str:
    to = recipient(contact)
    if to is None:
        statuses = ", ".join(sorted({e.status for e in contact.emails})) or "none"
        raise OutreachRefused(
            f"#{contact.id} {contact.name} has no working address (addresses: {statuses})"
        )
    return to


def _newest_interview(uow: UnitOfWork, contact: Contact) -> Interview | None:
    return uow.session.scalars(
        select(Interview)
        .where(Interview.account_id == uow.account_id, Interview.contact_id == contact.id)
        .order_by(Interview.id.desc())
    ).first()


def _add(ctx: PlanContext, planned: Planned, taken: str) -> Outbox:
    row = ctx.add(planned)
    if row is None:
        raise OutreachRefused(f"{taken}; see `coffeechat queue`")
    return _checked(ctx.uow, row, ctx.now)


def _checked(uow: UnitOfWork, row: Outbox, now: datetime) -> Outbox:
    """The sender's own refusal rules, applied before the row is kept (the caller rolls back)."""
    account = uow.session.get(Account, uow.account_id)
    assert account is not None
    why = refusal(uow.session, row, account, now)
    if why is not None:
        raise OutreachRefused(f"refused: {why}")
    return row


def _body(text: str) -> str:
    body = text.replace("\r\n", "\n").strip()
    if not body:
        raise OutreachRefused("the body is empty")
    if len(body) > MAX_BODY_CHARS:
        raise OutreachRefused(f"the body is longer than {MAX_BODY_CHARS} characters")
    return body + "\n"


def _with_body(render: Renderer, name: str, body: str | None) -> Renderer:
    """``render``, except that template ``name`` yields the assistant's own text."""
    if body is None:
        return render
    text = _body(body)

    def rendered(template: str, context: Mapping[str, object]) -> str:
        return text if template == name else render(template, context)

    return rendered
