"""What the contacts' side of the world sends: replies, auto-replies, bounces, invitations, events.

Plain text builders with the headers real clients and servers write (In-Reply-To/References,
Auto-Submitted, multipart/report DSNs, iTIP with METHOD in the body and the MIME parameter).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from email.utils import format_datetime

from tests.simulation.debriefs import DebriefPlan
from tests.simulation.scenario import BERLIN, USER, USER_NAME, Person

VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
    "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(name: str, when: datetime, utc: bool) -> str:
    if utc:
        return f"{name}:{_stamp(when)}"
    return f"{name};TZID=Europe/Berlin:{when.astimezone(BERLIN):%Y%m%dT%H%M%S}"


def vevent(
    *,
    uid: str,
    sequence: int,
    stamp: datetime,
    start: datetime,
    end: datetime,
    summary: str,
    organizer: str,
    attendees: Sequence[str],
    cancelled: bool = False,
    utc: bool = False,
) -> str:
    """One VEVENT."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_stamp(stamp)}",
        _when("DTSTART", start, utc),
        _when("DTEND", end, utc),
        f"SUMMARY:{summary}",
        "LOCATION:https://meet.example.com/coffee",
        f"ORGANIZER:mailto:{organizer}",
        *(f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{a}" for a in attendees),
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
    ]
    return "\r\n".join(lines) + "\r\n"


def vcalendar(events: Sequence[str], method: str | None = None) -> str:
    """A VCALENDAR holding the events (and the Berlin VTIMEZONE they may refer to)."""
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//coffeechat simulation//EN\r\n"
    if method:
        head += f"METHOD:{method}\r\n"
    return head + VTIMEZONE + "".join(events) + "END:VCALENDAR\r\n"


def _headers(
    sender: str,
    subject: str,
    when: datetime,
    message_id: str,
    *,
    to: str = f"{USER_NAME} <{USER}>",
    extra: Sequence[str] = (),
) -> str:
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {format_datetime(when.astimezone(BERLIN))}",
        f"Message-ID: {message_id}",
        *extra,
        "MIME-Version: 1.0",
    ]
    return "\r\n".join(lines) + "\r\n"


def _thread(parent: str | None, references: Sequence[str]) -> list[str]:
    if parent is None:
        return []
    return [f"In-Reply-To: {parent}", f"References: {' '.join(references)}"]


def text_mail(
    person: Person,
    subject: str,
    body: str,
    when: datetime,
    message_id: str,
    *,
    parent: str | None,
    references: Sequence[str],
    extra: Sequence[str] = (),
) -> bytes:
    """A plain-text message from a contact to the user."""
    head = _headers(
        f"{person.name} <{person.email}>",
        subject,
        when,
        message_id,
        extra=[*_thread(parent, references), *extra],
    )
    head += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    return (head + body.replace("\n", "\r\n") + "\r\n").encode()


def quoted(text: str, when: datetime) -> str:
    """The original quoted below a reply, as mail clients do."""
    lines = "\n".join(f"> {line}" for line in text.strip().splitlines())
    return f"\n\nOn {when.astimezone(BERLIN):%a, %d %b %Y at %H:%M}, {USER_NAME} wrote:\n{lines}\n"


def reply_body(person: Person, reply: str, channel: str | None, refers: Person | None) -> str:
    """What a contact writes back."""
    first = person.name.split()[0]
    if reply == "optout":
        return f"Hi,\n\nPlease don't contact me again.\n\n{first}"
    if reply == "busy":
        return (
            "Hi Sam,\n\nThanks for writing. This month is hectic for me, so I can't promise a "
            f"call, but good luck with the search!\n\n{first}"
        )
    how = {
        "invite": "I'll send you an invitation for a slot that works.",
        None: "I'll find a slot and send it over.",
    }.get(channel, "Put 30 minutes in your calendar for next week and I'll be there.")
    body = f"Hi Sam,\n\nHappy to talk! {how}"
    if refers is not None:
        body += (
            f"\n\nYou should also talk to {refers.name} ({refers.email}), who knows this "
            "space far better than I do."
        )
    return f"{body}\n\nBest,\n{first}"


def auto_reply(
    person: Person, subject: str, back: date, when: datetime, message_id: str, parent: str
) -> bytes:
    """An out-of-office answer naming the return date."""
    body = (
        f"Thank you for your message. I am out of the office and back on "
        f"{back:%A} {back.day} {back:%B %Y}, with limited access to email until then."
    )
    return text_mail(
        person,
        f"Automatic reply: {subject}",
        body,
        when,
        message_id,
        parent=parent,
        references=[parent],
        extra=["Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"],
    )


def bounce(address: str, original_id: str, subject: str, when: datetime, message_id: str) -> bytes:
    """An RFC 3464 DSN from our own mail server's MAILER-DAEMON."""
    head = _headers(
        "Mail Delivery System <MAILER-DAEMON@mx.seeker.example>",
        "Undelivered Mail Returned to Sender",
        when,
        message_id,
        to=USER,
        extra=["Auto-Submitted: auto-replied"],
    )
    head += 'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-b"\r\n\r\n'
    parts = [
        "--dsn-b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.seeker.example.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        f"<{address}>: host mx.{address.split('@')[1]} said: 550 5.1.1 User unknown\r\n",
        "--dsn-b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.seeker.example\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nOriginal-Recipient: rfc822;{address}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{address}>: Recipient address rejected\r\n",
        "--dsn-b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {USER_NAME} <{USER}>\r\nTo: {address}\r\nSubject: {subject}\r\n"
        f"Message-ID: {original_id}\r\n",
        "--dsn-b--\r\n",
    ]
    return (head + "\r\n".join(parts)).encode()


def invitation(person: Person, ics: str, method: str, when: datetime, message_id: str) -> bytes:
    """An emailed iTIP REQUEST or CANCEL from the contact (the organiser)."""
    label = "Invitation" if method == "REQUEST" else "Cancelled"
    head = _headers(
        f"{person.name} <{person.email}>",
        f"{label}: Coffee chat with {USER_NAME}",
        when,
        message_id,
    )
    head += 'Content-Type: multipart/alternative; boundary="inv-b"\r\n\r\n'
    body = (
        "--inv-b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{person.name} has {'invited you to' if method == 'REQUEST' else 'cancelled'} "
        "a coffee chat.\r\n"
        f"--inv-b\r\nContent-Type: text/calendar; charset=utf-8; method={method}\r\n\r\n"
        f"{ics}--inv-b--\r\n"
    )
    return (head + body).encode()


def hand_outreach(person: Person, subject: str, when: datetime, message_id: str) -> bytes:
    """Outreach the user typed in their own mail client, as found in the Sent folder."""
    first = person.name.split()[0]
    body = (
        f"Hi {first},\n\nI came across your work at {person.company} and wondered whether you "
        "would have 20 minutes for a chat in the next couple of weeks.\n\nThanks,\nSam"
    )
    head = _headers(
        f"{USER_NAME} <{USER}>", subject, when, message_id, to=f"{person.name} <{person.email}>"
    )
    head += "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    return (head + body.replace("\n", "\r\n") + "\r\n").encode()


def hand_thanks(
    person: Person,
    subject: str,
    when: datetime,
    message_id: str,
    parent: str,
    references: Sequence[str],
) -> bytes:
    """A thank-you the user typed on their phone right after the meeting, found in Sent."""
    first = person.name.split()[0]
    head = _headers(
        f"{USER_NAME} <{USER}>",
        subject,
        when,
        message_id,
        to=f"{person.name} <{person.email}>",
        extra=_thread(parent, references),
    )
    head += "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    body = f"Hi {first},\r\n\r\nThanks so much for the chat today, it really helped!\r\n\r\nSam"
    return (head + body + "\r\n").encode()


_LABELS = {
    "headings": ("What I learned", "Their advice", "People to talk to", "What I promised",
                 "What they offered", "Next step"),
    "phone": ("Learned", "Advice", "People", "Promised", "Offered", "Next"),
}  # fmt: skip


def _sections(plan: DebriefPlan) -> list[tuple[int, list[str]]]:
    people = [f"{name} <{address}>" if address else name for name, address in plan.people]
    fields = [[plan.learned], list(plan.advice), people, [plan.promise], [plan.offers],
              [plan.next_step]]  # fmt: skip
    return [(i, [t for t in texts if t]) for i, texts in enumerate(fields) if any(texts)]


def debrief_answer(
    plan: DebriefPlan, request_id: str, subject: str, request_text: str, when: datetime, mid: str
) -> bytes:
    """The user's answer to a debrief request, as the plan's mail client writes it."""
    quote = "\n".join(f"> {line}".rstrip() for line in request_text.strip().splitlines())
    attribution = f"On {when.astimezone(BERLIN):%a, %d %b %Y at %H:%M}, {USER_NAME} <{USER}> wrote:"
    labels = _LABELS["phone" if plan.style == "phone" else "headings"]
    if plan.style == "html":
        divs = "".join(
            f"<div><b>{labels[i]}:</b> {_html(t)}</div>"
            for i, texts in _sections(plan)
            for t in texts
        )
        body = (f'<html><body><div dir="ltr">{divs}</div><br><div class="gmail_quote">'
                f'<div class="gmail_attr">{_html(attribution)}<br></div><blockquote>'
                f"{_html(request_text)}</blockquote></div>"
                "</body></html>")  # fmt: skip
        content = "text/html"
    else:
        if plan.style == "bullets":
            parts = [f"{attribution}\n{quote}\n"]
            parts += [f"{labels[i]}:\n" + "".join(f"- {t}\n" for t in texts)
                      for i, texts in _sections(plan)]  # fmt: skip
            parts.append("-- \nSam Seeker\nBackend developer, Berlin\n")
        else:
            lines = [f"{labels[i]}: {t}" for i, texts in _sections(plan) for t in texts]
            tail = "Sent from my iPhone\n\n" if plan.style == "phone" else "Thanks,\nSam\n\n"
            parts = ["\n".join(lines) + "\n", tail + f"{attribution}\n{quote}\n"]
        body = "\n".join(parts)
        content = "text/plain"
    head = _headers(f"{USER_NAME} <{USER}>", subject, when, mid, to=USER,
                    extra=_thread(request_id, [request_id]))  # fmt: skip
    head += f"Content-Type: {content}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    return (head + body.replace("\n", "\r\n") + "\r\n").encode()


def _html(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br>")
