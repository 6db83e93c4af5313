"""Does coffeechat's event log tell the story the world lived? Read after the month is over.

Per contact: one interview; its StateChanged events form one chain from ``planned`` through
legal transitions to the state it is in, which is the state the oracle expects; and the other
events (replies, bounces, opt-outs, auto-replies, meetings scheduled, rescheduled, cancelled
and ended, emails sent, debrief answers taken, promises and advice marked done) are as many as
the world produced.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from coffeechat.flows.steps.app import App
from coffeechat.models.interviews.lifecycle import TRANSITIONS
from coffeechat.models.store.tables import ContactEmail, EventLog, Interview
from tests.simulation.oracle import Oracle, Violation

_LEGAL = {(old.value, new.value) for (old, _event), new in TRANSITIONS.items()}


def check_event_log(app: App, oracle: Oracle) -> list[Violation]:
    """Every disagreement between the event log and the world."""
    found: list[Violation] = []
    with app.factory() as session:
        contact_of = dict(
            (address, contact_id)
            for address, contact_id in session.execute(
                select(ContactEmail.address, ContactEmail.contact_id)
            )
        )
        for email_, log in oracle.world.logs.items():
            contact_id = contact_of.get(email_)
            if contact_id is None:
                found.append(Violation("event_log", email_, "never became a contact"))
                continue
            interviews = list(
                session.scalars(
                    select(Interview)
                    .where(Interview.contact_id == contact_id)
                    .order_by(Interview.id)
                )
            )
            events = list(
                session.scalars(
                    select(EventLog).where(EventLog.contact_id == contact_id).order_by(EventLog.id)
                )
            )

            check = log.persona.kind if log.persona.thanks_by_hand else "event_log"

            def fail(detail: str, who: str = email_, check: str = check) -> None:
                found.append(Violation(check, who, detail))

            if len(interviews) != 1:
                fail(f"{len(interviews)} interviews, expected 1")
                continue
            interview = interviews[0]
            expected = oracle.expected_state[email_]
            if interview.state != expected:
                fail(f"ended {interview.state!r}, a careful person expects {expected!r}")
            chain = [e.payload for e in events if e.type == "StateChanged"]
            state = "planned"
            for change in chain:
                if change["old"] != state or (change["old"], change["new"]) not in _LEGAL:
                    fail(f"StateChanged {change['old']}->{change['new']} while {state}")
                state = change["new"]
            if state != interview.state:
                fail(f"StateChanged chain ends at {state!r}, interview is {interview.state!r}")
            seen = Counter(e.type for e in events)
            sent = Counter(str(e.payload.get("kind")) for e in events if e.type == "EmailSent")
            for kind, want in _expected_counts(oracle, email_).items():
                got = sent[kind.removeprefix("sent:")] if kind.startswith("sent:") else seen[kind]
                if got != want:
                    fail(f"{got} {kind} events, the world produced {want}")
    return found


def _expected_counts(oracle: Oracle, email_: str) -> dict[str, int]:
    log = oracle.world.logs[email_]
    inbound = Counter(i.kind for i in log.inbound)
    versions = [v for m in log.meetings for v in m.versions]
    ended = sum(
        1
        for m in log.meetings
        if not m.versions[-1].cancelled
        and (step := oracle.first_step(m.versions[-1].end)) is not None
        and step <= oracle.end
    )
    wire = Counter(oracle.kinds[i] for i, w in enumerate(oracle.world.wire) if w.to == email_)
    sheets = len(oracle.sent.get((email_, "prep_sheet"), []))
    return {
        "ReplyReceived": inbound["reply"],
        "BounceReceived": inbound["bounce"],
        "ContactOptedOut": inbound["optout"],
        "AutoReplyReceived": inbound["auto_reply"],
        "MeetingScheduled": len(log.meetings),
        "MeetingRescheduled": sum(
            1 for m in log.meetings for v in m.versions[1:] if not v.cancelled
        ),
        "MeetingCancelled": sum(1 for v in versions if v.cancelled),
        "MeetingEnded": ended,
        "OutreachSent": 1 if log.arrived is not None else 0,
        "DebriefReceived": len(log.debriefs),
        "PromiseKept": len(log.kept),
        "sent:outreach": wire["outreach"],
        "sent:nudge": wire["nudge"],
        "sent:thank_you": wire["thank_you"],
        "sent:update": wire["update"],
        "sent:prep_sheet": sheets,
    }
