"""Building the EmailMessage for one outbox row: headers made safe, threading kept, nothing else.

``Auto-Submitted`` is set only on prep sheets (machine-made mail to the user). Thank-yous,
updates, outreach and nudges are personal mail the user would otherwise have typed; RFC 3834's
``auto-generated`` would make the recipient's systems file or flag them as robot mail, and would
also suppress the out-of-office answers whose return dates the cadence relies on.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from coffeechat.models.outbox.states import Kind
from coffeechat.models.text import clean_line

# A plain ASCII addr-spec: dot-atom local part and dot-atom domain (no quoting, no literals).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MSG_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>")
# Body text keeps tabs and line breaks; other control characters never belong in a letter.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_REFERENCES = 20
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
PLACEHOLDER_DOMAIN = "coffeechat.invalid"
OUR_MESSAGE_ID = re.compile(r"<cc\.[0-9a-f]{32}@[^<>\s]+>")


class MailBuildError(ValueError):
    """The row cannot become a safe email (bad recipient, bad Message-ID): never retried."""


@dataclass(frozen=True)
class OutgoingMail:
    """Everything needed to build one email, read from an outbox row in one transaction."""

    row_id: int
    kind: str
    message_id: str
    from_name: str
    from_addr: str
    to_name: str
    to_addr: str
    subject: str
    body_text: str
    body_html: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    timezone: str


def plain_address(value: str) -> str:
    """Return value if it is a plain ASCII addr-spec (no display name, no list), else raise."""
    if not _ADDR_SPEC.fullmatch(value) or len(value) > 254:
        raise MailBuildError(f"not a plain email address: {clean_line(value, limit=80)!r}")
    return value


def new_message_id(sender: str) -> str:
    """A fresh ``<cc.<32 hex>@domain>`` in the sender's domain (no host name leaked, as
    make_msgid would); a placeholder domain when the address has none usable.

    The only generator of our Message-IDs: classify/rules.py recognises this shape as ours.
    """
    domain = sender.strip().rpartition("@")[2].lower()
    if not _DOMAIN.fullmatch(domain) or len(domain) > 253:
        # The row is still made; building its email refuses the bad sender with a clear error.
        domain = PLACEHOLDER_DOMAIN
    return f"<cc.{secrets.token_hex(16)}@{domain}>"


def is_our_message_id(value: str) -> bool:
    """Whether ``value`` has the shape :func:`new_message_id` gives."""
    return bool(OUR_MESSAGE_ID.fullmatch(value))


def message_id_token(value: str) -> str:
    """Return value as a valid ``<left@right>`` msg-id, or raise MailBuildError."""
    token = value.strip()
    if not token.startswith("<"):
        token = f"<{token}>"
    if not _MSG_ID.fullmatch(token):
        raise MailBuildError(f"not a valid Message-ID: {clean_line(value, limit=80)!r}")
    return token


def _thread_ids(
    in_reply_to: str | None, references: tuple[str, ...]
) -> tuple[str | None, list[str]]:
    # Ids taken from inbound mail may be malformed: keep the valid ones, drop the rest.
    refs: list[str] = []
    for ref in (*references, *([in_reply_to] if in_reply_to else [])):
        try:
            token = message_id_token(ref)
        except MailBuildError:
            continue
        if token in refs:
            refs.remove(token)
        refs.append(token)
    parent = None
    if in_reply_to:
        try:
            parent = message_id_token(in_reply_to)
        except MailBuildError:
            parent = None
    if len(refs) > _MAX_REFERENCES:  # RFC 5322: keep the thread's root and the newest ones
        refs = [refs[0], *refs[-(_MAX_REFERENCES - 1) :]]
    return parent, refs


def _body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_CONTROL.sub("", text)


def build_message(mail: OutgoingMail, *, date: datetime) -> EmailMessage:
    """Build the message for mail, dated date (aware), using the row's own Message-ID."""
    to_addr = plain_address(mail.to_addr)
    from_addr = plain_address(mail.from_addr)
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(
        display_name=clean_line(mail.from_name, limit=200), addr_spec=from_addr
    )
    message["To"] = Address(display_name=clean_line(mail.to_name, limit=200), addr_spec=to_addr)
    message["Subject"] = clean_line(mail.subject)
    message["Date"] = format_datetime(date.astimezone(ZoneInfo(mail.timezone)))
    message["Message-ID"] = message_id_token(mail.message_id)
    parent, refs = _thread_ids(mail.in_reply_to, mail.references)
    if parent is not None:
        message["In-Reply-To"] = parent
    if refs:
        message["References"] = " ".join(refs)
    if mail.kind in (Kind.PREP_SHEET, Kind.DEBRIEF_REQUEST):
        # RFC 3834: no vacation responder answers it (the user's own would, to a debrief).
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(_body(mail.body_text), charset="utf-8", cte="quoted-printable")
    if mail.body_html:
        message.add_alternative(
            _body(mail.body_html), subtype="html", charset="utf-8", cte="quoted-printable"
        )
    return message
