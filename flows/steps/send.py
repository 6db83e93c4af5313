"""Sending the outbox: claim, build, submit, mark; start-up recovery; drafts for review mode.

Order per email: claim (committed) -> SMTP -> mark sent (committed) -> Sent copy. Marking comes
before the Sent copy because the window between the server's 250 and our first durable record
is the only place a crash leaves "did it go?" open, and a local commit is faster than an IMAP
login. A crash after the mark can only cost the Sent copy, never a second email.
"""

from __future__ import annotations

import email.policy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP as SMTP_POLICY

from coffeechat.flows.steps.app import App, imap_credential, imap_endpoint
from coffeechat.flows.steps.smtp_slot import HostSlot, SlotUnavailable
from coffeechat.flows.steps.step import CycleReport, Step
from coffeechat.integrations.imap import Credential, FolderNotFound, Mailbox, MailboxError, connect
from coffeechat.integrations.smtp import (
    SmtpAuthFailed,
    SmtpEndpoint,
    SmtpOutcomeUnknown,
    SmtpRejected,
    SmtpTlsFailure,
    SmtpTransient,
    SmtpUnreachable,
    send,
    should_append_sent_copy,
    smtp_credential,
    smtp_endpoint,
)
from coffeechat.models.inbox.draft_match import CLOCK_SLACK, is_sent_draft
from coffeechat.models.outbox.mailbuild import MailBuildError, build_message
from coffeechat.models.outbox.steps import (
    OutboxStateError,
    back_to_pending,
    claim_approved,
    claim_due,
    claim_for_draft,
    draft_placed_at,
    due_drafts,
    has_due,
    in_flight,
    load_mail,
    mark_failed,
    mark_sent,
    needs_review,
    release_draft,
)
from coffeechat.models.store.events import DomainEvent
from coffeechat.models.store.tables import Account

log = logging.getLogger(__name__)


def _no_step(step: str, row_id: int) -> None:
    """Default step hook: nothing."""


# Called at each step boundary ("claimed", "accepted", "marked", "appending"); the crash test
# replaces it to pause or die there. Production code never sets it.
step_hook: Callable[[str, int], None] = _no_step


@dataclass
class SendReport:
    """What one run did, by outbox row id; ``stopped`` says why sending stopped early."""

    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    drafts: list[int] = field(default_factory=list)
    needs_review: list[int] = field(default_factory=list)
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)


@dataclass(frozen=True)
class _Smtp:
    endpoint: SmtpEndpoint
    credential: Callable[[], Credential] | None
    append_copy: bool


def _smtp(app: App) -> _Smtp:
    cfg = app.settings.smtp
    if cfg is None:
        raise OutboxStateError("no [smtp] section in the configuration: nothing can be sent")
    append = app.settings.imap is not None and should_append_sent_copy(cfg.save_to_sent, cfg.host)
    return _Smtp(smtp_endpoint(cfg), smtp_credential(cfg), append)


def send_due(app: App, now: datetime, *, limit: int = 20) -> SendReport:
    """Send due automatic emails one claim at a time, then place due review-mode drafts."""
    report = SendReport()
    paused = sending_paused(app)
    if paused:
        report.stopped = f"sending paused: {paused} (run `coffeechat resume-sending` once fixed)"
        return report
    try:
        smtp = _smtp(app)
    except OutboxStateError as err:
        report.stopped = str(err)
        return report
    cap = app.settings.cadence.daily_cap
    window = (app.settings.cadence.send_window_start, app.settings.cadence.send_window_end)
    slot = HostSlot(smtp.endpoint.host)
    for _ in range(limit if has_due(app.factory, app.account_id, now) else 0):
        try:
            # The host's slot is taken before the claim, so waiting for it never leaves a
            # row in 'sending'; it is held per email so accounts sharing a host interleave.
            with slot.held():
                # One row per claim: a crash leaves at most one email in doubt, not a batch.
                claimed = claim_due(app.factory, app.account_id, now, 1, daily_cap=cap,
                                    window=window)  # fmt: skip
                if not claimed or not _send_claimed(app, smtp, claimed[0], now, report):
                    break
        except SlotUnavailable as err:
            report.stopped = f"waiting to send: {err}"
            log.warning("outbox: %s", report.stopped)
            break
    if report.stopped is None and app.settings.imap is not None:
        for row_id in due_drafts(app.factory, app.account_id, now, limit):
            try:
                if place_draft(app, row_id, now):
                    report.drafts.append(row_id)
            except (MailboxError, MailBuildError) as err:
                report.errors.append(f"draft for row {row_id}: {err}")
    return report


def _send_claimed(app: App, smtp: _Smtp, row_id: int, now: datetime, report: SendReport) -> bool:
    """The step hook, then delivery; False when all sending must stop."""
    step_hook("claimed", row_id)
    return _deliver(app, smtp, row_id, now, report)


def _deliver(app: App, smtp: _Smtp, row_id: int, now: datetime, report: SendReport) -> bool:
    """Send one claimed row and record the outcome; False when all sending must stop."""
    mail = load_mail(app.factory, row_id)
    try:
        message = build_message(mail, date=now)
    except MailBuildError as err:
        mark_failed(app.factory, row_id, str(err))
        report.failed.append(row_id)
        return True
    try:
        send(smtp.endpoint, smtp.credential, message,
             envelope_from=mail.from_addr, recipients=[mail.to_addr])  # fmt: skip
    except SmtpOutcomeUnknown as err:
        # Left in 'sending' on purpose: only the Sent folder may decide, never a retry.
        log.warning("outbox row %s: outcome unknown: %s", row_id, err)
        report.unknown.append(row_id)
        return True
    except SmtpRejected as err:
        mark_failed(app.factory, row_id, str(err))
        report.failed.append(row_id)
        return True
    except SmtpTransient as err:
        back_to_pending(app.factory, row_id, now, str(err))
        report.retry.append(row_id)
        return True
    except (SmtpAuthFailed, SmtpTlsFailure, SmtpUnreachable) as err:
        # Nothing reached the server; the problem is the account or the network, not this row.
        back_to_pending(app.factory, row_id, now, str(err))
        report.retry.append(row_id)
        report.stopped = f"sending stopped: {err}"
        log.error("outbox: %s", report.stopped)
        if isinstance(err, SmtpAuthFailed | SmtpTlsFailure):
            pause_sending(app, str(err))  # these do not fix themselves: stop retrying logins
        return False
    step_hook("accepted", row_id)
    report.events += mark_sent(app.factory, app.account_id, row_id, now)
    report.sent.append(row_id)
    step_hook("marked", row_id)
    if smtp.append_copy:
        step_hook("appending", row_id)
        try:
            append_sent_copy(app, message, now)
        except MailboxError as err:
            report.errors.append(f"Sent copy of row {row_id} not saved: {err}")
            log.warning("outbox row %s sent, but no copy saved in Sent: %s", row_id, err)
    return True


def sending_paused(app: App) -> str:
    """Why sending is paused for the account, or "" when it is not."""
    with app.factory() as session:
        account = session.get(Account, app.account_id)
        return account.sending_paused if account is not None else ""


def pause_sending(app: App, reason: str) -> None:
    """Stop all sending for the account until the user resumes it."""
    with app.factory() as session:
        account = session.get(Account, app.account_id)
        if account is not None:
            account.sending_paused = reason[:2000]
            session.commit()


def resume_sending(app: App) -> str:
    """Clear a pause; return the reason it had."""
    with app.factory() as session:
        account = session.get(Account, app.account_id)
        if account is None:
            return ""
        reason, account.sending_paused = account.sending_paused, ""
        session.commit()
        return reason


def _open_mailbox(app: App) -> Mailbox:
    cfg = app.settings.imap
    if cfg is None:
        raise FolderNotFound("no [imap] section in the configuration")
    return connect(imap_endpoint(cfg), imap_credential(cfg))


def _folder(app: App, box: Mailbox, role: str) -> str:
    cfg = app.settings.imap
    configured = None if cfg is None else (cfg.sent_folder if role == "sent" else cfg.drafts_folder)
    name = box.folder_for(role, configured)  # a configured name only while it exists
    if name is None:
        raise FolderNotFound(f"no {role} folder found; set imap.{role}_folder")
    return name


def append_sent_copy(app: App, message: EmailMessage, now: datetime) -> None:
    """APPEND a sent message to the Sent folder, marked read (raises MailboxError)."""
    with _open_mailbox(app) as box:
        box.append(_folder(app, box, "sent"), message.as_bytes(policy=SMTP_POLICY),
                   flags=("\\Seen",), when=now)  # fmt: skip


@dataclass
class RecoveryReport:
    """Rows found in 'sending' and what became of them."""

    sent: list[int] = field(default_factory=list)
    needs_review: list[int] = field(default_factory=list)
    error: str | None = None
    events: list[DomainEvent] = field(default_factory=list)


def recover_in_flight(
    app: App, now: datetime, *, stale_after: timedelta = timedelta(minutes=10)
) -> RecoveryReport:
    """Settle rows left in 'sending': in Sent -> sent, else needs_review; never resent."""
    report = RecoveryReport()
    rows = in_flight(app.factory, app.account_id, now, stale_after)
    if not rows:
        return report
    if app.settings.imap is None:
        for row in rows:
            _review(app, row.row_id, "interrupted while sending; no IMAP to check Sent", report)
        return report
    try:
        with _open_mailbox(app) as box:
            sent_folder = _folder(app, box, "sent")
            for row in rows:
                if box.search_message_id(sent_folder, row.message_id):
                    report.events += mark_sent(app.factory, app.account_id, row.row_id, now)
                    report.sent.append(row.row_id)
                else:
                    reason = "interrupted while sending and not in Sent: check before resending"
                    _review(app, row.row_id, reason, report)
    except MailboxError as err:
        # Rows stay in 'sending' (never claimable): the next recovery looks again.
        report.error = f"cannot check the Sent folder: {err}"
    return report


def _review(app: App, row_id: int, reason: str, report: RecoveryReport) -> None:
    if needs_review(app.factory, row_id, reason):
        report.needs_review.append(row_id)


def place_draft(app: App, row_id: int, now: datetime) -> bool:
    """Put a review-mode row in Drafts (\\Draft) and mark it 'draft'; False if not pending."""
    if not claim_for_draft(app.factory, row_id, now):
        return False
    try:
        message = build_message(load_mail(app.factory, row_id), date=now)
    except MailBuildError as err:
        mark_failed(app.factory, row_id, str(err))
        raise
    try:
        with _open_mailbox(app) as box:
            drafts = _folder(app, box, "drafts")
            # Re-running after a crash must not leave two drafts the user could both send.
            if not box.search_message_id(drafts, message["Message-ID"]):
                box.append(drafts, message.as_bytes(policy=SMTP_POLICY),
                           flags=("\\Draft", "\\Seen"), when=now)  # fmt: skip
    except MailboxError as err:
        release_draft(app.factory, row_id, f"could not place the draft: {err}")
        raise
    return True


def _sent_by_hand(
    box: Mailbox, folder: str, to_addr: str, subject: str, placed_at: datetime | None
) -> bool:
    """Whether Sent holds this draft under another Message-ID (see models/inbox/draft_match.py)."""
    if placed_at is None:
        return False
    since = (placed_at - CLOCK_SLACK).date()
    for item in box.fetch_headers(folder, box.uids_to_since(folder, to_addr, since)):
        head = BytesHeaderParser(policy=email.policy.default).parsebytes(item.header)
        try:
            sent_to = [a.addr_spec for h in ("to", "cc") for a in getattr(head[h], "addresses", ())]
            dated = head["date"].datetime if head["date"] is not None else None
        except (TypeError, ValueError, AttributeError):
            continue  # an unreadable header is no evidence either way
        if is_sent_draft(
            draft_to=to_addr,
            draft_subject=subject,
            placed_at=placed_at,
            sent_to=sent_to,
            sent_subject=str(head["subject"] or ""),
            sent_at=dated or item.internaldate,
        ):
            return True
    return False


def approve(app: App, row_id: int, now: datetime) -> SendReport:
    """Send an approved draft once; a copy the user already sent (found in Sent) is not resent.

    After sending, the Drafts copy is removed (UID EXPUNGE of that message only).
    """
    report = SendReport()
    smtp = _smtp(app)
    mail = load_mail(app.factory, row_id)
    if app.settings.imap is not None:
        placed_at = draft_placed_at(app.factory, row_id)
        with _open_mailbox(app) as box:
            sent = _folder(app, box, "sent")
            # Sent from a mail client already: found by our Message-ID, or (clients that give
            # a draft a new one) by recipient, subject and time.
            if box.search_message_id(sent, mail.message_id) or _sent_by_hand(
                box, sent, mail.to_addr, mail.subject, placed_at
            ):
                report.events += mark_sent(app.factory, app.account_id, row_id, now)
                report.sent.append(row_id)
                return report
    if not claim_approved(app.factory, app.account_id, row_id, now):
        raise OutboxStateError(f"outbox row {row_id} is not a draft awaiting approval")
    _deliver(app, smtp, row_id, now, report)
    if row_id in report.sent and app.settings.imap is not None:
        # The Drafts copy must go: sent again from a mail client it would be a duplicate.
        with _open_mailbox(app) as box:
            drafts = _folder(app, box, "drafts")
            if not box.delete_uids(drafts, box.search_message_id(drafts, mail.message_id)):
                report.errors.append("the Drafts copy is flagged deleted but still there")
    return report


def deliver(app: App, now: datetime, report: CycleReport) -> None:
    """Settle anything left mid-send, then deliver what is due."""
    if app.settings.smtp is None:
        return
    recovered = recover_in_flight(app, now)
    report.events += recovered.events
    if recovered.error:
        report.problems.append(recovered.error)
    sent = send_due(app, now)
    report.sent += sent.sent
    report.events += sent.events
    if sent.stopped:
        report.problems.append(f"sending stopped: {sent.stopped}")


# Sending does not wait for a mail read: before the first plan the outbox holds only prep
# sheets and what the user queued by hand, so a failing mailbox never holds a prep sheet.
STEP = Step("send", deliver)
