"""Introductions: outreach naming the introducer, the request for an introduction (golden
files), and the introducer thanked once for a referred person met.

To regenerate the golden mail after a deliberate change of a template, run
    COFFEECHAT_GOLDEN_UPDATE=1 python -m pytest tests/integration/followups/test_introductions.py
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from coffeechat.models.contacts.referrals import propose
from coffeechat.models.followups.introductions import ask_introduction
from coffeechat.models.store.tables import Contact, Outbox, Referral
from tests.integration.followups.conftest import T0, USER, World, txt

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("COFFEECHAT_GOLDEN_UPDATE") == "1"
LATER = T0 + timedelta(days=28)  # a Monday, past the update interval


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: regenerate (see this module's docstring)"
    assert text == path.read_text(encoding="utf-8")


def _mail(row: Outbox) -> str:
    return f"To: {row.to_addr}\nSubject: {row.subject}\n\n{row.body_text}"


@pytest.mark.parametrize("introduced", [True, False], ids=["introduced", "plain"])
def test_outreach_golden(world: World, introduced: bool) -> None:
    ada = world.contact("Ada Lovelace", "ada@example.com")
    fields = {"company": "Analytical Engines", "role": "Engineer"}
    if introduced:
        fields["introduced_by_id"] = ada  # type: ignore[assignment]
    charles = world.contact("Charles Babbage", "charles@example.org", **fields)
    row = world.outreach(charles, T0)
    text = _mail(row)
    _golden(f"outreach-{'introduced' if introduced else 'plain'}.txt", text)
    first = row.body_text.split("\n\n")[1]
    if introduced:
        assert row.subject == "Ada Lovelace suggested I get in touch"
        assert first.startswith("Ada Lovelace suggested I get in touch with you")
    else:
        assert "Ada" not in text and first.startswith("I came across your work")


def _thanked(world: World, name: str, email: str) -> tuple[int, int]:
    cid = world.contact(name, email)
    iid = world.interview(cid, "thanked", thread_subject="A quick question")
    world.add(
        Outbox(
            account_id=world.account_id, interview_id=iid, kind="thank_you",
            occurrence="meeting:1:thanks", message_id="<thanks1@example.com>", status="sent",
            to_addr=email, subject="Re: A quick question", body_text="Thank you",
            not_before=T0, created_at=T0, sent_at=T0,
        )
    )  # fmt: skip
    return cid, iid


def _referred(world: World, introducer: int, name: str, email: str) -> int:
    cid = world.contact(name, email)
    world.add(
        Referral(
            account_id=world.account_id, from_contact_id=introducer, to_contact_id=cid,
            address=email, name=name, status="approved", created_at=T0,
        )
    )  # fmt: skip
    return cid


def test_the_introducer_is_thanked_once_for_a_referred_person_met(world: World) -> None:
    ada, _ = _thanked(world, "Ada Lovelace", "ada@example.com")
    charles = _referred(world, ada, "Charles Babbage", "charles@example.org")
    world.meeting(world.interview(charles, "held"), charles, T0 + timedelta(days=20))
    assert world.plan(LATER) == ["update"]
    [row] = world.rows("update")
    assert row.to_addr == "ada@example.com"
    assert "Thanks to you, I got to speak with Charles Babbage." in row.body_text
    assert world.get(Contact, charles).introduction_reported_at == LATER
    # The next update (a note gives it news) does not thank Ada for Charles again.
    world.note(ada, "I applied to the team you mentioned", LATER + timedelta(days=1), True)
    assert world.plan(LATER + timedelta(days=56)) == ["update"]
    later = world.rows("update")[-1]
    assert "I applied" in later.body_text and "Charles" not in later.body_text


def test_a_meeting_learned_after_the_last_update_is_still_news(world: World) -> None:
    # The meeting ended before Ada's last email but was only recorded after it went out:
    # what she hears depends on what happened, not on when coffeechat learned it.
    ada, _ = _thanked(world, "Ada Lovelace", "ada@example.com")
    world.note(ada, "I applied to the team you mentioned", T0 + timedelta(days=1), True)
    assert world.plan(LATER) == ["update"]
    charles = _referred(world, ada, "Charles Babbage", "charles@example.org")
    world.meeting(world.interview(charles, "held"), charles, LATER - timedelta(days=2))
    assert world.plan(LATER + timedelta(days=56)) == ["update"]
    assert "I got to speak with Charles Babbage" in world.rows("update")[-1].body_text


def test_a_declined_referral_met_anyway_by_another_way_is_not_credited(world: World) -> None:
    ada, _ = _thanked(world, "Ada Lovelace", "ada@example.com")
    charles = _referred(world, ada, "Charles Babbage", "charles@example.org")
    world.set(Referral, 1, status="dismissed")
    world.meeting(world.interview(charles, "held"), charles, T0 + timedelta(days=20))
    assert world.plan(LATER) == []


def test_the_introduction_request_golden_threaded_under_the_introducers_conversation(
    world: World,
) -> None:
    ada, iid = _thanked(world, "Ada Lovelace", "ada@example.com")
    with world.uow() as uow:
        ref = propose(uow, ada, "Grace Hopper", company="Navy", now=T0)
        row = ask_introduction(
            uow, ref.id, now=T0, cadence=world.cadence, mode=world.modes.intro_request,
            user_email=USER, render=txt,
        )  # fmt: skip
        uow.commit()
        row_id = row.id
    [row] = world.rows("intro_request")
    assert (row.id, row.interview_id, row.mode, row.occurrence) == (
        row_id, iid, "review", "intro:1",
    )  # fmt: skip
    assert row.in_reply_to == "<thanks1@example.com>"
    assert "<thanks1@example.com>" in row.references
    _golden("intro-request.txt", _mail(row))
    assert "Would you be willing to introduce me to Grace?" in row.body_text
