"""Prep sheets: making one (rendered, saved, published, queued to send) for a meeting that is due.

Plain functions; the Prefect flow wraps them. Which meetings are due, and the recording of a
sheet with its ``outbox`` row, are the domain's (models/prep/due.py, models/prep/queue.py).
Exactly one sheet per meeting version is kept by the database (unique meeting + version), not
by Prefect: running this twice does nothing the second time. Sending is not done here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.artifacts import publish_artifact
from coffeechat.flows.steps.step import CycleReport, Step
from coffeechat.integrations.prep_files import save_prep_html
from coffeechat.integrations.render import FORMATS, Format, render, template_text
from coffeechat.models.prep import PrepContext, QuestionBank, parse_question_bank
from coffeechat.models.prep.due import DEFAULT_LEAD, current_sheet, due_prep_sheets, sheet_wanted
from coffeechat.models.prep.load import ThankYouRules
from coffeechat.models.prep.queue import queue_sheet
from coffeechat.models.store.uow import UnitOfWork

__all__ = [
    "DEFAULT_LEAD",
    "due_prep_sheets",
    "make_prep_sheet",
    "publish_artifact",
    "question_bank",
    "render_sheet",
]

log = logging.getLogger(__name__)


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
        done = current_sheet(session, meeting_id)
        if done is not None:
            return done
        rules = ThankYouRules.of(
            app.settings.cadence, app.settings.modes.thank_you, app.settings.debrief
        )
        wanted = sheet_wanted(session, meeting_id, now, bank=bank, thank_you=rules)
    if wanted is None:
        return None
    # No session is held while rendering and writing the file.
    ctx = wanted.ctx
    rendered = render_sheet(ctx, user_dir)
    path = save_prep_html(app.settings.data_dir, ctx.day, ctx.who.name, rendered["html"])
    try:
        with UnitOfWork(app.factory, account_id=app.account_id) as uow:
            sheet_id = queue_sheet(
                uow, ctx, text=rendered["txt"], html=rendered["html"], path=path,
                to_addr=wanted.to_addr, mode=app.settings.modes.prep_sheet, now=now,
            )  # fmt: skip
            uow.commit()
    except IntegrityError:
        # Another run recorded the same version first: theirs stands, ours is dropped.
        with app.factory() as session:
            return current_sheet(session, meeting_id)
    if sheet_id is not None:
        publish_artifact(rendered["md"], key=f"prep-sheet-{meeting_id}")
    return sheet_id


def prepare_sheets(app: App, now: datetime, report: CycleReport) -> None:
    """Make the prep sheet of every meeting inside the lead time that has none for its version."""
    lead = timedelta(hours=app.settings.cadence.prep_lead_hours)
    with app.factory() as session:
        due = due_prep_sheets(session, app.account_id, now, lead)
    for meeting_id in due:
        if make_prep_sheet(app, meeting_id, now) is not None:
            report.labels.append("prep-sheet")


STEP = Step("prepare-sheets", prepare_sheets)
