"""Building a PrepContext from records: pure, the clock and every record passed in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coffeechat.models.prep.bank import QuestionBank, fill_company
from coffeechat.models.prep.choose import Chosen, Wants, choose_questions
from coffeechat.models.prep.context import (
    EarlierTalk,
    NoteLine,
    PrepContext,
    Question,
    QuestionGroup,
    Recap,
    ThreadItem,
    When,
    Who,
)
from coffeechat.models.store.tables import (
    Account,
    Contact,
    Interview,
    Meeting,
    Message,
    Note,
    Referral,
)
from coffeechat.models.text import clean_line

THREAD_LIMIT = 6
EXCERPT = 220
# How the user knows someone, in words; an unknown source never shows its internal label.
_SOURCES = {
    "manual": "you added them yourself",
    "linkedin": "a LinkedIn connection",
    "vcard": "from your address book",
    "csv": "imported from your contacts",
    "demo": "imported from your contacts",
    "referral": "suggested by another contact",
}
_PLAIN_NAME = re.compile(r"[\w .'-]+")


@dataclass(frozen=True)
class PrepInputs:
    """The records one sheet is built from (ORM rows, read-only here)."""

    account: Account
    contact: Contact
    now: datetime
    bank: QuestionBank
    meeting: Meeting | None = None
    interview: Interview | None = None
    introducer: Contact | None = None
    messages: Sequence[Message] = ()
    notes: Sequence[Note] = ()
    earlier: Sequence[tuple[Contact, datetime]] = ()
    referrals: Sequence[Referral] = ()
    is_update: bool = False
    # The first mail either way with this person: (direction "in"/"out", its date).
    first_mail: tuple[str, datetime] | None = None
    asked: Sequence[str] = ()  # questions earlier sheets for this person suggested
    last_time: Sequence[Recap] = ()  # models/prep/history.py's section for a later meeting
    thank_you_at: datetime | None = None  # when coffeechat's thank-you will go, when known
    thank_you_review: bool = False  # the thank-you waits in Drafts for approval
    thank_you_wait_hours: float = 0.0  # it waits this long for the debrief answer (0: not)
    thank_you_without_review: bool = False  # no answer by then: to Drafts, not generic


def build_prep_context(inp: PrepInputs) -> PrepContext:
    """The whole sheet for ``inp``; raises ValueError when the user's own zone is unknown."""
    zone = ZoneInfo(inp.account.timezone)
    contact, meeting = inp.contact, inp.meeting
    when = _when(meeting, zone, _zone_or_none(contact.timezone)) if meeting else None
    company = clean_line(contact.company, limit=200)
    goals = (inp.interview.goals if inp.interview else "") or inp.account.goals
    chosen = choose_questions(inp.bank, _wants(inp, when, company, goals))
    return PrepContext(
        user_name=clean_line(inp.account.name, limit=200),
        user_zone=inp.account.timezone,
        generated=_day_time(inp.now.astimezone(zone)),
        day=(_shown_start(meeting, zone) if meeting else inp.now.astimezone(zone)).date(),
        subject=prep_subject(
            contact.name,
            _shown_start(meeting, zone) if meeting else None,
            all_day=bool(meeting and meeting.all_day),
            is_update=inp.is_update,
        ),
        is_update=inp.is_update,
        meeting_id=meeting.id if meeting else None,
        meeting_version=meeting.version if meeting else None,
        who=_who(inp, zone),
        earlier=tuple(
            EarlierTalk(clean_line(c.name, limit=200), clean_line(c.role, limit=200), _day(d, zone))
            for c, d in inp.earlier[:5]
        ),
        when=when,
        goals=goals.strip(),
        contact_goal=(contact.goal or "").strip(),
        pitch=inp.account.elevator_pitch.strip(),
        last_time=tuple(inp.last_time),
        thread=_thread(inp.messages, zone),
        themes=_groups(chosen),
        tiara=(),
        ask=tuple(fill_company(q, company) for q in inp.bank.ask),
        suggested=tuple(_referral(r) for r in inp.referrals),
        news=tuple(_excerpt(n.text) for n in inp.notes if n.for_update and n.reported_at is None),
        reminders=_reminders(inp, when),
    )


def prep_subject(
    name: str, start: datetime | None, *, all_day: bool = False, is_update: bool = False
) -> str:
    """The email subject, one line whatever the contact's name holds; the year is noise here."""
    prefix = "Updated prep" if is_update else "Prep"
    who = clean_line(name, limit=80) or "your contact"
    if start is None:
        return f"{prefix}: coffee with {who}"
    day = f"{start:%a} {start.day} {start:%b}"
    return f"{prefix}: coffee with {who}, {day}" + ("" if all_day else f" {start:%H:%M}")


def http_url(value: str | None) -> str | None:
    """``value`` when it is a plain http(s) URL with a host; anything else is no link."""
    if not value:
        return None
    value = value.strip()
    if any(ch.isspace() or ord(ch) < 32 or ch in "<>\"'`" for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def _zone_or_none(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # an unusable contact zone: show only the user's time, never a guess


def _who(inp: PrepInputs, zone: tzinfo) -> Who:
    c, intro = inp.contact, inp.introducer
    intro_name = clean_line(intro.name, limit=200) if intro else ""
    how = how_known(c.source, intro_name, inp.first_mail, zone)
    notes = [
        NoteLine(_day(n.created_at, zone), _excerpt(n.text))
        for n in sorted(inp.notes, key=lambda n: n.created_at, reverse=True)
        if not n.for_update
    ][:3]
    if c.notes.strip():
        notes.append(NoteLine("", _excerpt(c.notes)))
    return Who(
        name=clean_line(c.name, limit=200),
        role=clean_line(c.role, limit=200),
        company=clean_line(c.company, limit=200),
        emails=tuple(e.address for e in c.emails if e.status == "ok"),
        how_known=clean_line(how, limit=200),
        introducer=intro_name,
        linkedin_url=http_url(c.linkedin_url),
        notes=tuple(notes),
    )


def _shown_start(m: Meeting, zone: tzinfo) -> datetime:
    """The start as shown: an all-day meeting is its own date (at noon) in every zone."""
    if m.all_day and m.start_date is not None:
        return datetime.combine(m.start_date, time(12), tzinfo=zone)
    return m.start_utc.astimezone(zone)


def _when(m: Meeting, zone: tzinfo, contact_zone: tzinfo | None) -> When:
    start, end = _shown_start(m, zone), m.end_utc.astimezone(zone)
    minutes = max(0, int((m.end_utc - m.start_utc).total_seconds() // 60))
    other = ""
    if contact_zone is not None and not m.all_day:
        theirs = m.start_utc.astimezone(contact_zone)
        if theirs.utcoffset() != start.utcoffset():
            other = _day_time(theirs)
    location = clean_line(m.location, limit=300)
    return When(
        title=clean_line(m.summary, limit=200),
        start=_day(start, zone, weekday=True) if m.all_day else _day_time(start),
        end="" if m.all_day else f"{end:%H:%M}",
        zone=str(zone),
        contact_start=other,
        contact_zone=str(contact_zone) if other else "",
        minutes=minutes,
        length="all day" if m.all_day else _length(minutes),
        all_day=m.all_day,
        place=location,
        place_url=http_url(location),
        video_url=http_url(m.video_link),
        start_utc=m.start_utc,
    )


def _thread(messages: Sequence[Message], zone: tzinfo) -> tuple[ThreadItem, ...]:
    dated = sorted(
        (m for m in messages if m.date is not None), key=lambda m: m.date or m.recorded_at
    )
    items = []
    for m in dated[-THREAD_LIMIT:]:
        assert m.date is not None
        sender = "You" if m.direction == "out" else (m.from_name or m.from_addr)
        items.append(
            ThreadItem(
                date=_day(m.date, zone),
                direction="out" if m.direction == "out" else "in",
                sender=clean_line(sender, limit=100),
                subject=clean_line(m.subject, limit=150),
                excerpt=_excerpt(m.excerpt),
            )
        )
    return tuple(items)


def how_known(
    source: str, introducer: str, first_mail: tuple[str, datetime] | None, zone: tzinfo
) -> str:
    """How the user knows someone, in words: who introduced them, where from, who wrote first."""
    parts = [f"introduced by {introducer}" if introducer else _SOURCES.get(source, "")]
    if first_mail is not None:
        direction, at = first_mail
        who = "you wrote to them" if direction == "out" else "they wrote to you"
        parts.append(f"{who} first on {_day(at, zone)}")
    text = "; ".join(p for p in parts if p) or "you added them to coffeechat"
    return text[0].upper() + text[1:]


def _wants(inp: PrepInputs, when: When | None, company: str, goals: str) -> Wants:
    c = inp.contact
    return Wants(
        minutes=keep_minutes(inp.account.meeting_minutes, _calendar_minutes(when)),
        goals=(goals, c.goal or ""),
        title=c.role or "",
        company=company,
        pinned=(*(c.pinned_questions or ()), *(inp.account.pinned_questions or ())),
        asked=tuple(inp.asked),
        thread=tuple(m.excerpt for m in inp.messages if m.direction != "out"),
        answered=(*(n.text for n in inp.notes), c.notes or ""),
    )


def _groups(chosen: Sequence[Chosen]) -> tuple[QuestionGroup, ...]:
    # Consecutive questions of one theme share a heading; the order is the choice's own.
    groups: list[QuestionGroup] = []
    for c in chosen:
        if groups and groups[-1].key == c.theme:
            last = groups[-1]
            groups[-1] = QuestionGroup(
                last.key, last.title, last.hint, (*last.questions, Question(c.text))
            )
        else:
            groups.append(QuestionGroup(c.theme, c.title, "", (Question(c.text),)))
    return tuple(groups)


def keep_minutes(asked: int | None, calendar: int) -> int:
    """The length to prepare for: the one asked for, or the calendar's when it is shorter.

    ``asked``: [account] meeting_minutes, the length the outreach asks for (None: 20).
    ``calendar``: the invitation's length in minutes (0: no timed meeting known).
    """
    asked = asked or 20
    return min(asked, calendar) if calendar else asked


def _calendar_minutes(when: When | None) -> int:
    return when.minutes if when is not None and not when.all_day and when.minutes else 0


def _length_line(inp: PrepInputs, when: When | None) -> str:
    # The outreach asked for one length and the invitation may give another: the sheet says
    # both, and which to keep to, rather than contradict the outreach.
    asked = inp.account.meeting_minutes or 20
    calendar = _calendar_minutes(when)
    if when is None or not calendar or inp.meeting is None:
        return f"Your outreach asks for {_length(asked)}: keep to it."
    if calendar == asked:
        return f"The calendar gives you {when.length}: finish by {when.end}."
    # After "20 minutes", a bare "30" reads best; past the hour every length gets its unit.
    bare = str if max(asked, calendar) < 60 else _length
    said = f"You asked for {_length(asked)}; the invitation is for {bare(calendar)}"
    if calendar < asked:
        return f"{said}: keep to {bare(calendar)} and finish by {when.end}."
    zone = ZoneInfo(inp.account.timezone)
    finish = (inp.meeting.start_utc + timedelta(minutes=asked)).astimezone(zone)
    return f"{said}: keep to {bare(asked)} unless they offer more (finish by {finish:%H:%M})."


def _reminders(inp: PrepInputs, when: When | None) -> tuple[str, ...]:
    extra = [_length_line(inp, when), _thank_you_line(inp)]
    if inp.introducer is not None:
        name = clean_line(inp.introducer.name, limit=200)
        # coffeechat's own update tells the introducer once this meeting has happened.
        extra.append(
            f"Mention {name}, who introduced you; coffeechat's next update to {name} "
            "tells them you met."
        )
    return (*extra, *inp.bank.reminders)


def _thank_you_line(inp: PrepInputs) -> str:
    # coffeechat writes the thank-you itself: the user's part is what it is made from.
    c = inp.contact
    who = c.name if _PLAIN_NAME.fullmatch(c.name or "") else f"#{c.id}"
    who = clean_line(who, limit=80)
    if inp.thank_you_wait_hours > 0:
        return _debrief_line(inp, who)
    command = f'coffeechat debrief "{who}"'
    zone = ZoneInfo(inp.account.timezone)
    when = (
        f"at about {_day_time(inp.thank_you_at.astimezone(zone))}"
        if inp.thank_you_at is not None
        else "a few hours after the meeting"
    )
    if inp.thank_you_review:
        does = f"drafts the thank-you itself and leaves it in Drafts for you to approve {when}"
    else:
        does = f"sends the thank-you itself, {when}"
    return (
        f"coffeechat {does}: tell it how it went before then ({command}) and it will quote "
        "their advice."
    )


def _debrief_line(inp: PrepInputs, who: str) -> str:
    # The thank-you waits for the debrief answer (cadence.py's wait): it quotes the advice
    # and thanks for a suggested person, and goes soon after the answer, or when the wait ends.
    hours = f"{inp.thank_you_wait_hours:g}"
    does = (
        "drafts the thank-you for you to approve"
        if inp.thank_you_review
        else "sends the thank-you itself"
    )
    without = (
        "waits in Drafts for you" if inp.thank_you_without_review else "goes in a general form"
    )
    return (
        f"After the meeting coffeechat emails you a debrief (or run coffeechat debrief "
        f'"{who}"): answer it and it {does}, quoting their advice and thanking them for '
        f"anyone they suggested. Without an answer within about {hours} hours of the "
        f"meeting, the thank-you {without}."
    )


def _referral(r: Referral) -> str:
    name = clean_line(r.name, limit=200)
    return f"{name} ({r.address})" if name and r.address else name or r.address or ""


def _excerpt(text: str) -> str:
    line = clean_line(text, limit=EXCERPT + 1)
    return line if len(line) <= EXCERPT else line[:EXCERPT].rstrip() + "…"


def _length(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} minutes"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _day(value: datetime, zone: tzinfo, *, weekday: bool = False) -> str:
    d = value.astimezone(zone)
    text = f"{d.day} {d:%b} {d.year}"
    return f"{d:%a} {text}" if weekday else text


def _day_time(d: datetime) -> str:
    return f"{d:%a} {d.day} {d:%b} {d.year}, {d:%H:%M}"
