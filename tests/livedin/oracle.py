"""What the first run may send, from the generator's facts alone (never from the product's code).

The rules, as the README states them for a first run over an account with history:

- A thank-you is owed to a contact for their most recent meeting (not cancelled) when it ended
  inside the first-run horizon before the connection, at least the thank-you delay ago, and the
  user has not written to them since it ended. If the contact wrote to the user since (a person,
  not an auto-reply), it waits in Drafts for review instead of going out.
- A meeting that ended before the horizon gets nothing, whatever else is true; it is listed
  for the user, unless it had ended more than two days before the calendar was first read
  (then it is history, not recorded at all).
- A meeting that starts within the prep lead time gets its prep sheet, mailed to the user.
- Every meeting (not cancelled) that ended inside the horizon gets a debrief request, mailed
  to the user: how did it go?
- Nothing else goes anywhere: no mail to people outside the address book, none about
  newsletters, bounces or auto-replies, and nothing to contacts without a recent meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.livedin.generator import USER, Facts, MeetingFact


@dataclass(frozen=True)
class Verdict:
    """Who gets what on the first run."""

    sent_to: frozenset[str]  # thank-yous over SMTP, by recipient address
    drafts_to: frozenset[str]  # thank-yous put in Drafts for review
    prep_sheets: int  # emails to the user (prep sheets)
    not_thanked: frozenset[str]  # contacts met before the horizon, still owed nothing by us
    debriefs: int = 0  # emails to the user asking how a meeting went


def first_run(
    facts: Facts,
    connected: datetime,
    *,
    horizon: timedelta = timedelta(hours=24),
    delay: timedelta = timedelta(hours=2),
    prep_lead: timedelta = timedelta(hours=24),
    history: timedelta = timedelta(days=2),
    mail_back: timedelta = timedelta(days=30),
) -> Verdict:
    """The oracle: what the first run, connected at ``connected``, must and may send."""
    contacts = {p.address: p for p in facts.contacts()}
    sent: set[str] = set()
    drafts: set[str] = set()
    old: set[str] = set()
    for address in contacts:
        seen = [
            m
            for m in facts.meetings
            if m.attendee == address and not m.cancelled and m.end >= connected - history
        ]
        ended = [m for m in seen if m.end <= facts.now]
        if not ended:
            continue
        last = max(ended, key=lambda m: m.end)
        if _wrote(facts, USER, address, last, mail_back):
            continue
        if last.end <= connected - horizon:
            old.add(contacts[address].name)
        elif last.end <= facts.now - delay:
            (drafts if _wrote(facts, address, USER, last, mail_back) else sent).add(address)
    prep = sum(
        1
        for m in facts.meetings
        if m.attendee in contacts
        and not m.cancelled
        and facts.now < m.start <= facts.now + prep_lead
    )
    debriefs = sum(
        1
        for m in facts.meetings
        if m.attendee in contacts and not m.cancelled and connected - horizon < m.end <= facts.now
    )
    return Verdict(frozenset(sent), frozenset(drafts), prep, frozenset(old), debriefs)


def _wrote(facts: Facts, sender: str, to: str, meeting: MeetingFact, back: timedelta) -> bool:
    """A person's own mail (not automatic) from sender to to after the meeting ended."""
    return any(
        m.sender == sender
        and m.to == to
        and m.kind == "human"
        and m.date > meeting.end
        and m.date >= facts.now - back
        for m in facts.mail
    )
