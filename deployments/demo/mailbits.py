"""Building the demo's raw messages: ordinary mail and a standard delivery-status report."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from uuid import uuid4


def mail(
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    when: datetime,
    message_id: str,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One plain-text message, as a mail client would write it."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def bounce_report(sender: str, failed: list[str], original: bytes, when: datetime) -> bytes:
    """An RFC 3464 delivery-status notification for failed recipients, as Postfix writes one."""
    boundary = f"dsn-{uuid4().hex}"
    headers = original.partition(b"\r\n\r\n")[0].decode("ascii", "replace")
    explained = "".join(
        f"<{a}>: host mx.demo.localhost said: 550 5.1.1 User unknown\r\n" for a in failed
    )
    per_rcpt = "".join(
        f"\r\nFinal-Recipient: rfc822; {a}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{a}>: User unknown\r\n"
        for a in failed
    )
    text = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.demo.localhost>\r\n"
        f"To: {sender}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: {make_msgid(domain='mx.demo.localhost')}\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.demo.localhost.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered to one or\r\n"
        f"more recipients.\r\n\r\n{explained}"
        f"\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.demo.localhost\r\n{per_rcpt}"
        f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n"
        f"\r\n--{boundary}--\r\n"
    )
    return text.encode("ascii", "replace")
