"""Prep sheets: which meetings need one now, and making one (rendered, saved, queued to send).

Plain functions; the Prefect flow wraps them. Exactly one sheet per meeting version is kept
by the database (unique meeting + version), not by Prefect: running this twice does nothing
the second time. Sending is not done here: one ``outbox`` row is queued for the sender.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.artifacts import publish_artifact
from coffeechat.integrations.prep_files import save_prep_html
from coffeechat.integrations.render import FORMATS, Format, render, template_text
from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.prep import PrepContext, QuestionBank, load_prep_context, parse_question_bank
from coffeechat.models.store.tables import Account, Interview, Meeting, Outbox, PrepSheet
from coffeechat.models.store.uow import UnitOfWork

log = logging.getLogger(__name__)
DEFAULT_LEAD = timedelta(hours=24)
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")


def due_prep_sheets(
    session: Session, account_id: int, now: datetime, lead: timedelta = DEFAULT_LEAD
) -> list[int]:
    """Meetings starting within ``lead`` (at once when booked later) whose version has no sheet."""
    has_sheet = exists().where(
        PrepSheet.meeting_id == Meeting.id, PrepSheet.meeting_version == Meeting.version
    )
    return list(
        session.scalars(
            select(Meeting.id)
            .join(Interview, Interview.id == Meeting.interview_id)
            .where(
                Meeting.account_id == account_id,
                Meeting.status != "CANCELLED",
                Meeting.contact_id.is_not(None),
                Meeting.start_utc > now,
                Meeting.start_utc <= now + lead,
                Interview.state != State.CLOSED.value,
                ~has_sheet,
            )
            .order_by(Meeting.start_utc, Meeting.id)
        )
    )


def question_bank(user_dir: Path | None) -> QuestionBank:
    """The user's question bank if they have one, else the package's."""
    text, origin = template_text("prep/questions.toml", user_dir)
    return parse_question_bank(text, origin=origin)


def render_sheet(ctx: PrepContext, user_dir: Path | None = None) -> dict[Format, str]:
    """The sheet in every format."""
    return {
        fmt: render("prep/sheet", {"sheet": ctx}, fmt=fmt, user_dir=user_dir) for fmt in FORMATS
    }


def make_prep_sheet(app: App, meeting_id: int, now: datetime) -> int | None:
    """Make the sheet for the meeting's current version; its id, or None when not wanted."""
    user_dir = app.settings.templates_dir
    bank = question_bank(user_dir)
    with app.factory() as session:
        done = _current_sheet(session, meeting_id)
        if done is not None:
            return done
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or meeting.status == "CANCELLED" or meeting.interview_id is None:
            return None
        ctx = load_prep_context(session, meeting_id, now, bank=bank)
        account = session.get(Account, meeting.account_id)
        assert account is not None  # the meeting's foreign key guarantees it
        to_addr = account.email
    # No session is held while rendering and writing the file.
    rendered = render_sheet(ctx, user_dir)
    path = save_prep_html(app.settings.data_dir, ctx.day, ctx.who.name, rendered["html"])
    try:
        with UnitOfWork(app.factory, account_id=app.account_id) as uow:
            sheet_id = _record(uow, app, ctx, rendered, path, to_addr, now)
            uow.commit()
    except IntegrityError:
        # Another run recorded the same version first: theirs stands, ours is dropped.
        with app.factory() as session:
            return _current_sheet(session, meeting_id)
    if sheet_id is not None:
        publish_artifact(rendered["md"], key=f"prep-sheet-{meeting_id}")
    return sheet_id


def _current_sheet(session: Session, meeting_id: int) -> int | None:
    return session.scalar(
        select(PrepSheet.id)
        .join(Meeting, Meeting.id == PrepSheet.meeting_id)
        .where(PrepSheet.meeting_id == meeting_id, PrepSheet.meeting_version == Meeting.version)
    )


def _record(
    uow: UnitOfWork,
    app: App,
    ctx: PrepContext,
    rendered: dict[Format, str],
    path: Path,
    to_addr: str,
    now: datetime,
) -> int | None:
    meeting = uow.session.get(Meeting, ctx.meeting_id)
    if (
        meeting is None
        or meeting.interview_id is None
        or meeting.status == "CANCELLED"
        or meeting.version != ctx.meeting_version
    ):
        return None  # changed while we rendered: the next run makes the sheet for the new version
    _supersede(uow, meeting)
    outbox = Outbox(
        account_id=uow.account_id,
        interview_id=meeting.interview_id,
        kind="prep_sheet",
        occurrence=f"meeting:{meeting.id}:v{meeting.version}",
        message_id=message_id(to_addr),
        status="pending",
        mode=app.settings.modes.prep_sheet,
        to_addr=to_addr,
        subject=ctx.subject,
        body_text=rendered["txt"],
        body_html=rendered["html"],
        references=[],
        not_before=now,
        attempts=0,
        last_error="",
        created_at=now,
    )
    uow.session.add(outbox)
    uow.session.flush()
    sheet = PrepSheet(
        account_id=uow.account_id,
        meeting_id=meeting.id,
        meeting_version=meeting.version,
        interview_id=meeting.interview_id,
        is_update=ctx.is_update,
        path=str(path),
        outbox_id=outbox.id,
        created_at=now,
    )
    uow.session.add(sheet)
    uow.session.flush()
    return sheet.id


def _supersede(uow: UnitOfWork, meeting: Meeting) -> None:
    # An older version's sheet that has not gone out yet would only confuse: this one replaces it.
    uow.session.execute(
        update(Outbox)
        .where(
            Outbox.interview_id == meeting.interview_id,
            Outbox.kind == "prep_sheet",
            Outbox.occurrence.like(f"meeting:{meeting.id}:v%"),
            Outbox.status.in_(("pending", "draft")),
        )
        .values(status="cancelled", last_error=f"superseded by version {meeting.version}")
    )


def message_id(user_address: str) -> str:
    """A fresh Message-ID on the user's own mail domain (a placeholder domain when unusable)."""
    domain = user_address.rpartition("@")[2].strip().lower()
    if not _DOMAIN.match(domain):
        domain = "coffeechat.invalid"
    return f"<{uuid4().hex}@{domain}>"
