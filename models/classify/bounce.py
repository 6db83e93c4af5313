"""Delivery reports: RFC 3464 DSNs read per recipient, and the text/plain bounces most MTAs send."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.classify.model import ParsedMail

# \w is Unicode-aware: SMTPUTF8 bounces (RFC 6533) carry non-ASCII addresses
_ADDR = re.compile(r"[\w.!#$%&'*+/=?^`{|}~\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63})+")
_FIELD = re.compile(r"^([A-Za-z\-]+):[ \t]*(.*)$", re.M)
_DAEMON = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|maildaemon|mail\.?delivery|bounces?|"
    r"mailerdaemon|microsoftexchange[0-9a-f]*|nobody)@",
    re.I,
)
_DAEMON_NAME = re.compile(r"mail delivery (?:subsystem|system)|mailer-daemon|postmaster", re.I)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered mail|delivery status notification \(failure\)|delivery failure"
    r"|failure notice|mail delivery failed|returned mail|delivery has failed|could not be delivered"
    r"|message not delivered|delivery notification: delivery has failed|rejected:|nondeliverable"
    r"|unzustellbar|non remis|no se puede entregar|olevererbart|onbestelbaar|non recapitabile",
    re.I,
)
DELAY_SUBJECT = re.compile(
    r"delivery status notification \(delay\)|delivery delayed|delayed mail|warning: could not send"
    r"|still being retried|message delayed|delivery delay notification|zustellung verzögert"
    r"|warning: message \S+ delayed",
    re.I,
)
_BODY_FAIL = re.compile(
    r"permanent(?:ly)? (?:error|fatal|failure|failed)|could not be delivered|wasn't delivered"
    r"|was not delivered|couldn't be delivered|unable to deliver"
    r"|delivery to the following recipient"
    r"|following address(?:es)? failed|user unknown|no such user|mailbox unavailable"
    r"|does not exist|address rejected|recipient address rejected|550[ \-]5\.\d\.\d|5\.1\.1",
    re.I,
)
_BODY_DELAY = re.compile(
    r"has not yet been delivered|will (?:continue to )?(?:retry|try)|still trying"
    r"|delivery is delayed"
    r"|not been able to deliver.{0,80}(?:hours|minutes)|temporarily deferred|will be retried",
    re.I | re.S,
)
# Lines after which failed recipients are listed (Exim, Exchange, Yahoo, Domino, Gmail).
_LIST_INTRO = re.compile(
    r"following (?:address|recipient)|could not be delivered to|failed to the following"
    r"|delivery (?:to the following|has failed to these)|unable to deliver your message to"
    r"|wasn't delivered to|couldn't be delivered to|was not delivered to|permanent fatal errors",
    re.I,
)
_ORIGINAL_COPY = re.compile(
    r"^\s*(?:-+ ?(?:This is a copy|Original message|Below this line|Original message headers)"
    r"|--- Below this line is a copy|Content-Type: message/rfc822)",
    re.I | re.M,
)
_ANGLE_LINE = re.compile(r"^\s*<([^<>\s]+@[^<>\s]+)>:?", re.M)


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery report says: recipient addresses per action, and whether it is final."""

    failed: tuple[str, ...]
    delayed: tuple[str, ...]
    delivered: tuple[str, ...]


def addr_after_type(value: str) -> str:
    """The address in a DSN recipient field such as "rfc822; jane@example.com"."""
    value = value.split(";", 1)[-1]
    found = _ADDR.search(value)
    return normalise_address(found.group(0)) if found else ""


_RECIPIENT_FIELDS = ("final-recipient", "original-recipient")


def _recipient_records(report_text: str) -> list[dict[str, str]]:
    """Per-recipient field sets; a new one starts at each recipient field after an Action.

    RFC 3464 separates recipients by blank lines, but some MTAs (and a CRLF mangled in
    transit) run them together: reading a block as one dict would keep only the last Action.
    """
    records: list[dict[str, str]] = []
    for block in re.split(r"\n\s*\n", report_text):
        record: dict[str, str] = {}
        for key, value in _FIELD.findall(block):
            key = key.lower()
            if key in _RECIPIENT_FIELDS and ("action" in record or key in record):
                records.append(record)
                record = {}
            record.setdefault(key, value.strip())
        records.append(record)
    return records


def _action(record: dict[str, str]) -> str:
    action = record.get("action", "").lower().split(" ", 1)[0]
    status = record.get("status", "").strip()
    if not action and status[:2] in ("5.", "4.", "2."):
        # no Action but a Status class (some Exchange reports): 5 failed, 4 delayed, 2 delivered
        action = {"5.": "failed", "4.": "delayed", "2.": "delivered"}[status[:2]]
    return action


def parse_dsn(report_text: str) -> DeliveryReport:
    """Per-recipient actions from the text of a message/delivery-status part."""
    failed: list[str] = []
    delayed: list[str] = []
    delivered: list[str] = []
    for record in _recipient_records(report_text):
        action = _action(record)
        if not action:
            continue
        recipient = record.get("final-recipient") or record.get("original-recipient") or ""
        addr = addr_after_type(recipient)
        target = {"failed": failed, "delayed": delayed}.get(action, delivered)
        if addr and addr not in target:
            target.append(addr)
        elif not addr:
            target.append("")
    return DeliveryReport(tuple(failed), tuple(delayed), tuple(delivered))


def from_daemon(mail: ParsedMail) -> bool:
    """True when the sender is a mail system rather than a person."""
    return any(_DAEMON.match(a) for a in mail.from_addrs) or bool(
        _DAEMON_NAME.search(mail.from_name)
    )


def null_return_path(mail: ParsedMail) -> bool:
    """True when the envelope sender was empty (<>), as for bounces and RFC 3834 auto-replies."""
    value = mail.header("return-path")
    return value is not None and value.replace(" ", "") in ("<>", "")


def _before_original(text: str) -> str:
    found = _ORIGINAL_COPY.search(text)
    return text[: found.start()] if found else text


def text_failed_recipients(mail: ParsedMail) -> tuple[str, ...]:
    """Failed recipients read from X-Failed-Recipients or the human-readable bounce text."""
    found: dict[str, None] = {}
    for value in (v for k, v in mail.headers if k == "x-failed-recipients"):
        found.update(dict.fromkeys(normalise_address(a) for a in _ADDR.findall(value)))
    if found:
        return tuple(found)
    text = _before_original(mail.text_body[:50_000])
    found.update(dict.fromkeys(normalise_address(a) for a in _ANGLE_LINE.findall(text)))
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if _LIST_INTRO.search(line):
            window = " ".join(lines[index : index + 6])
            found.update(dict.fromkeys(normalise_address(a) for a in _ADDR.findall(window)))
    own = set(mail.from_addrs) | set(mail.to_addrs)
    return tuple(a for a in found if a not in own)[:50]


SENDER_SIGNALS = frozenset({"x-failed-recipients", "daemon-sender", "null-return-path"})


def looks_like_bounce(signals: tuple[str, ...]) -> bool:
    """Mail-system sender plus bounce content, X-Failed-Recipients, or three content signs."""
    if "x-failed-recipients" in signals:
        return True
    sender = sum(1 for s in signals if s in SENDER_SIGNALS)
    content = len(signals) - sender
    if signals == ("null-return-path", "failure-text"):
        return False  # RFC 3834 auto-replies use <> too; "does not exist" in one proves little
    return (sender >= 1 and content >= 1) or content >= 3


_REPLY_OR_FORWARD = re.compile(
    r"^\s*(?:re|fwd?|fw|aw|wg|tr|rv|sv|vs|odp|antw)\s*(?:\[\d+\])?\s*:", re.IGNORECASE
)


def text_bounce_signals(mail: ParsedMail) -> tuple[str, ...]:
    """Names of the text/plain bounce signals present (see looks_like_bounce)."""
    body = _before_original(mail.text_body[:50_000])
    # "Fwd: Delivery Status Notification": a person passing a bounce on, not the bounce itself
    forwarded = bool(_REPLY_OR_FORWARD.match(mail.subject))
    signals = {
        "x-failed-recipients": mail.has_header("x-failed-recipients"),
        "daemon-sender": from_daemon(mail),
        "null-return-path": null_return_path(mail),
        "bounce-subject": bool(BOUNCE_SUBJECT.search(mail.subject)) and not forwarded,
        "failure-text": bool(_BODY_FAIL.search(body)),
        "original-enclosed": bool(mail.embedded_message_ids),
    }
    return tuple(name for name, present in signals.items() if present)


def text_delay_signals(mail: ParsedMail) -> tuple[str, ...]:
    """Names of the signals that a text/plain report is only a delay warning."""
    body = _before_original(mail.text_body[:50_000])
    signals = {
        "delay-subject": bool(DELAY_SUBJECT.search(mail.subject)),
        "delay-text": bool(_BODY_DELAY.search(body)),
    }
    return tuple(name for name, present in signals.items() if present)
