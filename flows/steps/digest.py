"""The digest step: at the user's hour, today's digest goes into the outbox if there is news.

It runs before the send step, so the digest leaves in the same cycle. What it says is decided
in models/reports/digest.py; this step only checks the configuration and the hour, renders the
template and queues the row (once per local day: the natural key keeps a restart from making a
second one).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from coffeechat.flows.steps.app import App
from coffeechat.flows.steps.step import CycleReport, Step
from coffeechat.integrations.render import render
from coffeechat.models.followups.mail import first_name
from coffeechat.models.reports.digest import (
    Digest,
    digest_content,
    is_due,
    made_today,
    queue_digest,
    subject,
)
from coffeechat.models.store.tables import Account
from coffeechat.models.store.uow import UnitOfWork

_WHEN = "%a %d %b %H:%M"


def queue_due_digest(app: App, now: datetime, report: CycleReport) -> None:
    """Queue today's digest when enabled, in its hour, not made yet, and there is news."""
    cfg = app.settings.digest
    if not cfg.enabled or app.settings.smtp is None:
        return
    with UnitOfWork(app.factory, account_id=app.account_id) as uow:
        account = uow.session.get(Account, app.account_id)
        assert account is not None
        zone = ZoneInfo(account.timezone)
        if not is_due(now, zone, cfg.hour) or made_today(uow.session, account.id, now, zone):
            return
        digest = digest_content(uow.session, account.id, now)
        if not digest.has_news:
            return
        body = render(
            "mail/digest",
            context(digest, account, now, zone),
            fmt="txt",
            user_dir=app.settings.templates_dir,
        )
        row = queue_digest(
            uow, now=now, zone=zone, to_addr=account.email,
            subject=subject(digest, now, zone), body=body,
        )  # fmt: skip
        report.events += uow.commit()
    if row is not None:
        report.labels.append("digest")


# After planning (so today's news is in it) and before sending (so it leaves in this cycle).
STEP = Step("digest", queue_due_digest)


def context(digest: Digest, account: Account, now: datetime, zone: ZoneInfo) -> dict[str, object]:
    """The template's context: every time on the user's clock."""
    return {
        "me": {"name": account.name, "first_name": first_name(account.name) or account.name},
        "day": now.astimezone(zone).strftime("%A %d %B"),
        "since": digest.since.astimezone(zone).strftime(_WHEN) if digest.since else "yesterday",
        "happened": [(at.astimezone(zone).strftime(_WHEN), text) for at, text in digest.happened],
        "more_happened": digest.more_happened,
        "needs_you": list(digest.needs_you),
        "more_needs": digest.more_needs,
        "meetings": [
            {
                "when": m.start.astimezone(zone).strftime(_WHEN),
                "contact": m.contact,
                "summary": m.summary,
                "prep_sheet": m.prep_sheet,
            }
            for m in digest.meetings
        ],
    }
