"""The ordered chain of small named rules that decides what an inbound message is.

Order matters (docs/classification.md says why): calendar messages first (Google invitations carry
Auto-Submitted), then delivery reports, then other reports, then automatic replies, and only
what is left is human. The first rule that returns a Verdict decides, and its name is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import date

from coffeechat.models.classify import autoreply, bounce
from coffeechat.models.classify.auth import AuthVerdict, judge_mail
from coffeechat.models.classify.calendar_part import calendar_kind
from coffeechat.models.classify.model import Kind, ParsedMail, Verdict
from coffeechat.models.classify.optout import is_opt_out
from coffeechat.models.classify.referrals import suggested_addresses
from coffeechat.models.classify.returndate import extract_return_date
from coffeechat.models.outbox.mailbuild import is_our_message_id

Rule = Callable[[ParsedMail, "date | None"], "Verdict | None"]


def _original_id(mail: ParsedMail) -> str | None:
    return mail.embedded_message_ids[0] if mail.embedded_message_ids else None


def unreadable(mail: ParsedMail, today: date | None) -> Verdict | None:
    """Nothing that looks like a mail header could be read."""
    if mail.from_addrs or mail.message_id or mail.subject or mail.date or mail.to_addrs:
        return None
    return Verdict(Kind.UNREADABLE, "unreadable", mail, notes=mail.parse_defects[:5])


def calendar(mail: ParsedMail, today: date | None) -> Verdict | None:
    """A text/calendar part: METHOD from its body says invitation, cancellation or answer."""
    if mail.calendar is None:
        return None
    kind, method = calendar_kind(mail.calendar, mail.calendar_method_param)
    if kind is None:
        return None
    return Verdict(kind, "calendar", mail, calendar_method=method)


def dsn_report(mail: ParsedMail, today: date | None) -> Verdict | None:
    """An RFC 3464 delivery-status report, read per recipient Action."""
    if "delivery-status" not in mail.report_type and not mail.report_text.strip():
        return None
    if mail.report_type and "delivery-status" not in mail.report_type:
        return None
    report = bounce.parse_dsn(mail.report_text)
    failed = tuple(a for a in report.failed if a)
    original = _original_id(mail)
    if report.failed:
        notes = ("partial",) if report.delayed or report.delivered else ()
        failed = failed or bounce.text_failed_recipients(mail)
        return Verdict(
            Kind.BOUNCE,
            "dsn_failed",
            mail,
            failed_recipients=failed,
            original_message_id=original,
            notes=notes,
        )
    if report.delayed:
        return Verdict(Kind.DELAY_NOTICE, "dsn_delayed", mail, original_message_id=original)
    if report.delivered:
        # a success DSN changes nothing, like a delay; it is recorded, never treated as a reply
        return Verdict(
            Kind.DELAY_NOTICE,
            "dsn_delivered",
            mail,
            original_message_id=original,
            notes=("delivery confirmed",),
        )
    return None


def arf_report(mail: ParsedMail, today: date | None) -> Verdict | None:
    """An abuse complaint (ARF, report-type=feedback-report): stop mailing that person."""
    if mail.report_type != "feedback-report" and not (
        not mail.report_type and "feedback-type:" in mail.report_text.lower()
    ):
        return None
    complainants = tuple(
        bounce.addr_after_type(line.split(":", 1)[1])
        for line in mail.report_text.splitlines()
        if line.lower().startswith(("original-rcpt-to:", "removal-recipient:"))
    )
    return Verdict(
        Kind.COMPLAINT,
        "arf_report",
        mail,
        original_message_id=_original_id(mail),
        complainants=tuple(a for a in complainants if a),
    )


def mdn_report(mail: ParsedMail, today: date | None) -> Verdict | None:
    """A read receipt (MDN, report-type=disposition-notification): nothing to do."""
    if "disposition-notification" in mail.report_type or (
        not mail.report_type and "disposition:" in mail.report_text.lower()
    ):
        return Verdict(
            Kind.READ_RECEIPT, "mdn_report", mail, original_message_id=_original_id(mail)
        )
    return None


_TEXT_RECEIPT_SUBJECT = re.compile(r"^\s*(?:read|return receipt|gelesen|lu|leído|letto)\b", re.I)
_TEXT_RECEIPT_BODY = re.compile(
    r"\bwas read on\b|\bwas\b.{0,80}\breceived\s+by\s*:|\bwurde am .{0,120} gelesen", re.I | re.S
)


def text_receipt(mail: ParsedMail, today: date | None) -> Verdict | None:
    """A read receipt written as plain text (Lotus Notes "Return Receipt", old clients)."""
    if not _TEXT_RECEIPT_SUBJECT.match(mail.subject):
        return None
    if not _TEXT_RECEIPT_BODY.search(mail.text_body[:3000]):
        return None
    return Verdict(Kind.READ_RECEIPT, "text_receipt", mail, original_message_id=_original_id(mail))


def text_bounce(mail: ParsedMail, today: date | None) -> Verdict | None:
    """A text/plain bounce or delay warning (Gmail, Exim, qmail, Yahoo, Domino, old Exchange)."""
    signals = bounce.text_bounce_signals(mail)
    delay = bounce.text_delay_signals(mail)
    from_system = any(s in bounce.SENDER_SIGNALS for s in signals)
    if delay and from_system and ("bounce-subject" not in signals or "delay-subject" in delay):
        return Verdict(
            Kind.DELAY_NOTICE,
            "text_delay",
            mail,
            original_message_id=_original_id(mail),
            notes=delay,
        )
    if not bounce.looks_like_bounce(signals):
        return None
    return Verdict(
        Kind.BOUNCE,
        "text_bounce",
        mail,
        failed_recipients=bounce.text_failed_recipients(mail),
        original_message_id=_original_id(mail),
        notes=signals,
    )


def _auto(mail: ParsedMail, rule: str, today: date | None, *notes: str) -> Verdict:
    # "Back on Monday" counts from the notice's own date, not from the day we read it.
    written = mail.date.date() if mail.date else None
    reference = min(written, today) if written and today else (today or written)
    text = f"{mail.subject}\n{mail.text_new or mail.text_body}"
    if rule == "list_headers" or "list" in notes:
        # list mail is not written to us: no return date to look for (and it costs time)
        return Verdict(Kind.AUTO_REPLY, rule, mail, notes=notes)
    found = extract_return_date(text, reference)
    if found and mail.date and found < mail.date.date():
        found = None  # "I left on 30 October": a date before the notice itself is no return date
    return Verdict(Kind.AUTO_REPLY, rule, mail, return_date=found, notes=notes)


def auto_submitted(mail: ParsedMail, today: date | None) -> Verdict | None:
    """Auto-Submitted with any keyword but 'no' (RFC 3834)."""
    keyword = autoreply.auto_submitted(mail)
    return _auto(mail, "auto_submitted", today, keyword) if keyword else None


def autoreply_header(mail: ParsedMail, today: date | None) -> Verdict | None:
    """X-Autoreply, X-Autorespond and similar vendor headers."""
    name = autoreply.autoreply_flag(mail)
    return _auto(mail, "autoreply_header", today, name) if name else None


def apple_vacation(mail: ParsedMail, today: date | None) -> Verdict | None:
    """iCloud vacation replies (X-Apple-Action: VACATION)."""
    return _auto(mail, "apple_vacation", today) if autoreply.apple_vacation(mail) else None


def exchange_rules_loop(mail: ParsedMail, today: date | None) -> Verdict | None:
    """Exchange mailbox-rule or out-of-office mail (X-MS-Exchange-Inbox-Rules-Loop)."""
    found = autoreply.exchange_rules_loop(mail)
    return _auto(mail, "exchange_rules_loop", today) if found else None


def precedence(mail: ParsedMail, today: date | None) -> Verdict | None:
    """Precedence: bulk, junk, list or auto_reply."""
    value = autoreply.bulk_precedence(mail)
    if value == "list" and mail.in_reply_to:
        return None  # a person answering through a list or group address (Google Groups)
    return _auto(mail, "precedence", today, value) if value else None


def list_headers(mail: ParsedMail, today: date | None) -> Verdict | None:
    """Mailing-list mail (List-Id, List-Unsubscribe...): written to many, not to us."""
    name = autoreply.list_header(mail)
    if name and mail.in_reply_to:
        # A reply in a thread, delivered through a list or group address: human, and counted
        # as a contact's reply only when it answers our own thread (see match_reply).
        return None
    return _auto(mail, "list_headers", today, name) if name else None


def autoreply_subject(mail: ParsedMail, today: date | None) -> Verdict | None:
    """An out-of-office subject ("Automatic reply:"): Exchange OOO often has no header."""
    strength = autoreply.autoreply_subject(mail)
    return _auto(mail, "autoreply_subject", today, strength) if strength else None


def autoreply_body(mail: ParsedMail, today: date | None) -> Verdict | None:
    """No header says so, but the text does: "This is an automated response." (client rules)."""
    return _auto(mail, "autoreply_body", today) if autoreply.self_declared_automatic(mail) else None


def out_of_office_body(mail: ParsedMail, today: date | None) -> Verdict | None:
    """The text is an out-of-office notice, whatever the subject ("Re:", "Auto: Re:") or headers."""
    return _auto(mail, "out_of_office_body", today) if autoreply.out_of_office_body(mail) else None


def sent_by_coffeechat(mail: ParsedMail) -> bool:
    """True for a Message-ID shaped like ours (outbox/mailbuild.py: new_message_id)."""
    return bool(mail.message_id and is_our_message_id(mail.message_id))


def coffeechat_own(mail: ParsedMail, today: date | None) -> Verdict | None:
    """Machine-made mail coffeechat sent the user (prep sheets): our Message-ID, Auto-Submitted."""
    if sent_by_coffeechat(mail) and autoreply.auto_submitted(mail):
        return Verdict(Kind.AUTO_REPLY, "coffeechat_own", mail, notes=("sent by coffeechat",))
    return None


def null_sender(mail: ParsedMail, today: date | None) -> Verdict | None:
    """An empty envelope sender (Return-Path: <>) that was not a bounce: machine-generated."""
    return _auto(mail, "null_sender", today) if bounce.null_return_path(mail) else None


def human(mail: ParsedMail, today: date | None) -> Verdict:
    """Whatever is left was written by a person; note opt-outs and suggested addresses."""
    notes = ("several From addresses",) if len(mail.from_addrs) > 1 else ()
    return Verdict(
        Kind.HUMAN,
        "human",
        mail,
        opt_out=is_opt_out(mail),
        suggested_addresses=suggested_addresses(mail),
        notes=notes,
    )


RULES: tuple[tuple[str, Rule], ...] = (
    ("unreadable", unreadable),
    ("calendar", calendar),
    ("dsn_report", dsn_report),
    ("arf_report", arf_report),
    ("mdn_report", mdn_report),
    ("text_receipt", text_receipt),
    ("text_bounce", text_bounce),
    ("coffeechat_own", coffeechat_own),
    ("auto_submitted", auto_submitted),
    ("autoreply_header", autoreply_header),
    ("apple_vacation", apple_vacation),
    ("exchange_rules_loop", exchange_rules_loop),
    ("precedence", precedence),
    ("list_headers", list_headers),
    ("autoreply_subject", autoreply_subject),
    ("null_sender", null_sender),
    ("autoreply_body", autoreply_body),
    ("out_of_office_body", out_of_office_body),
)
# Rules that say "mailing list": not for a person we track, whose post is human (see reply.py).
_LIST_RULES = frozenset({"list_headers", "precedence"})


def _list_post_by(mail: ParsedMail, verdict: Verdict, known_senders: Collection[str]) -> bool:
    """A list or group post whose From is a person we track: human, not list noise."""
    if verdict.rule not in _LIST_RULES or verdict.notes[:1] in (("bulk",), ("junk",)):
        return False
    return bool(mail.from_addrs) and mail.from_addrs[0] in known_senders


def _first_verdict(
    mail: ParsedMail, today: date | None, known_senders: Collection[str], failures: list[str]
) -> Verdict:
    for name, rule in RULES:
        try:
            verdict = rule(mail, today)
        except Exception as err:  # one buggy rule must not stop a batch; the failure is recorded
            failures.append(f"rule {name} failed: {type(err).__name__}")
            continue
        if verdict is not None and not _list_post_by(mail, verdict, known_senders):
            return verdict
    try:
        return human(mail, today)
    except Exception as err:
        failures.append(f"rule human failed: {type(err).__name__}")
        return Verdict(Kind.HUMAN, "human", mail)


def _suspicious(verdict: Verdict, auth: AuthVerdict) -> Verdict:
    """A message the user's provider says is forged: kept for the user, never acted on."""
    return Verdict(
        Kind.SUSPICIOUS,
        "authentication_failed",
        verdict.mail,
        notes=(auth.reason, f"would otherwise be {verdict.kind.value} ({verdict.rule})"),
    )


def run_chain(
    mail: ParsedMail,
    today: date | None = None,
    *,
    trusted_authserv: frozenset[str] | None = frozenset(),
    known_senders: Collection[str] = (),
) -> Verdict:
    """The first rule's Verdict, or human; a rule that fails is skipped and noted.

    ``trusted_authserv`` are the authserv-ids of the user's provider (None: trust the topmost
    header, for ``inspect`` without an account); a failing verdict from them makes the message
    SUSPICIOUS. ``known_senders`` are contacts' addresses: their list posts are human.
    """
    failures: list[str] = []
    verdict = _first_verdict(mail, today, known_senders, failures)
    try:
        auth = judge_mail(mail, trusted_authserv)
    except Exception as err:  # the verdict stands; authentication is simply unknown
        failures.append(f"authentication failed: {type(err).__name__}")
        auth = AuthVerdict("unknown", "could not read Authentication-Results")
    if auth.failed:
        verdict = _suspicious(verdict, auth)
    verdict = replace(verdict, auth=auth.status, auth_reason=auth.reason, auth_by=auth.authserv_id)
    return replace(verdict, notes=(*verdict.notes, *failures)) if failures else verdict
