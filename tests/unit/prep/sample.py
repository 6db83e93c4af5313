"""A typical prep sheet's records, fixed in time, built without a database (transient rows)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from coffeechat.integrations.render import template_text
from coffeechat.models.prep import PrepContext, PrepInputs, QuestionBank, build_prep_context
from coffeechat.models.prep.bank import parse_question_bank
from coffeechat.models.store.tables import (
    Account,
    Contact,
    ContactEmail,
    Meeting,
    Message,
    Note,
    Referral,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, 09:00 in London


def bank() -> QuestionBank:
    """The package's default question bank."""
    text, origin = template_text("prep/questions.toml")
    return parse_question_bank(text, origin=origin)


def account(**kw: Any) -> Account:
    values: dict[str, Any] = dict(
        id=1,
        slug="jo",
        name="Jo Seeker",
        email="jo@example.net",
        timezone="Europe/Berlin",
        goals="Learn how data teams hire, and whether my analytics background fits.",
        elevator_pitch="Five years of supply-chain analytics at a logistics firm; moving into "
        "data science, with two shipped forecasting projects.",
        created_at=NOW,
        other_addresses=[],
        signature="",
        meeting_minutes=30,  # the outreach in messages() asks for "a 30-minute coffee"
    )
    values.update(kw)
    return Account(**values)


def contact(**kw: Any) -> Contact:
    values: dict[str, Any] = dict(
        id=7,
        account_id=1,
        name="Ada Lovelace",
        company="Analytical Engines Ltd",
        role="Head of Data",
        linkedin_url="https://www.linkedin.com/in/ada-lovelace",
        source="linkedin",
        timezone="Europe/London",
        notes="",
        tags=[],
        do_not_contact=False,
        created_at=NOW,
        updated_at=NOW,
    )
    values.update(kw)
    c = Contact(**values)
    c.emails = [ContactEmail(address="ada@example.com", status="ok", is_primary=True)]
    return c


def meeting(**kw: Any) -> Meeting:
    values: dict[str, Any] = dict(
        id=11,
        account_id=1,
        interview_id=3,
        contact_id=7,
        uid="m1",
        recurrence_id="",
        start_utc=START,
        end_utc=START + timedelta(minutes=30),
        timezone="Europe/Berlin",
        all_day=False,
        summary="Coffee with Ada",
        location="Café Central, Herrengasse 14",
        video_link="https://meet.google.com/abc-defg-hij",
        status="CONFIRMED",
        version=1,
    )
    values.update(kw)
    return Meeting(**values)


def message(day: int, direction: str, excerpt: str, **kw: Any) -> Message:
    values: dict[str, Any] = dict(
        account_id=1,
        contact_id=7,
        message_id=f"<m{day}@x>",
        direction=direction,
        date=datetime(2026, 2, day, 9, 0, tzinfo=UTC),
        from_name="Ada Lovelace" if direction == "in" else "Jo Seeker",
        from_addr="ada@example.com",
        subject="Coffee?",
        excerpt=excerpt,
        kind="human",
        rule="t",
        recorded_at=NOW,
    )
    values.update(kw)
    return Message(**values)


def note(text: str, day: int, *, for_update: bool = False) -> Note:
    return Note(
        account_id=1,
        contact_id=7,
        text=text,
        for_update=for_update,
        reported_at=None,
        created_at=datetime(2026, 2, day, 18, 0, tzinfo=UTC),
    )


def inputs(**kw: Any) -> PrepInputs:
    """Everything a typical sheet is built from; override any field."""
    grace = Contact(id=2, account_id=1, name="Grace Hopper", company="", role="", source="manual")
    babbage = Contact(
        id=5,
        account_id=1,
        name="Charles Babbage",
        role="Founder",
        company="Analytical Engines Ltd",
        source="manual",
    )
    base = PrepInputs(
        account=account(),
        contact=contact(),
        now=NOW,
        bank=bank(),
        meeting=meeting(),
        introducer=grace,
        messages=(
            message(
                10,
                "out",
                "Hi Ada, Grace Hopper suggested I write to you. Could I ask you "
                "about how your team works over a 30-minute coffee?",
            ),
            message(
                12,
                "in",
                "Happy to. I can also introduce you to our recruiter if useful. "
                "Does Tuesday 3 March at 10 work?",
            ),
            message(13, "out", "Tuesday at 10 is perfect, thank you!"),
        ),
        notes=(
            note(
                "From Babbage: what is it like to work at Analytical Engines Ltd? Small, "
                "research-led, slow to hire.",
                10,
            ),
            note("Finished the forecasting course Ada recommended.", 20, for_update=True),
        ),
        earlier=((babbage, datetime(2026, 2, 10, 16, 0, tzinfo=UTC)),),
        referrals=(Referral(name="Mary Somerville", address="mary@example.org"),),
    )
    return replace(base, **kw)


def typical() -> PrepContext:
    """The typical sheet."""
    return build_prep_context(inputs())
