"""Golden sheets for the people and meetings a sheet must fit (UPDATE_GOLDEN=1 rewrites them).

First and second meeting, a senior and a junior person, 15 and 60 minutes, pinned questions, an
invitation longer than the length asked for: each in the three renderings. Read the diff of the
files before committing a rewrite.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from coffeechat.integrations.render import render
from coffeechat.models.prep import PrepContext, build_prep_context
from coffeechat.models.prep.last_time import (
    Happened,
    Introduced,
    LastTime,
    OpenPromise,
    describe_last_time,
)
from tests.unit.prep.sample import START, account, contact, inputs, meeting, message

GOLDEN = Path(__file__).parents[2] / "fixtures" / "prep" / "sheets"
BERLIN = ZoneInfo("Europe/Berlin")
LAST = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)


def first() -> PrepContext:
    return build_prep_context(inputs())


def second() -> PrepContext:
    facts = LastTime(
        met=LAST,
        title="Coffee with Ada",
        debriefed=True,
        learned=("The team hires twice a year, in spring and autumn.",),
        advice=("Try the community meetups.", "Apply in spring, not now."),
        promises=(
            OpenPromise(4, "Send Ada my forecasting write-up", date(2026, 2, 1)),
            OpenPromise(5, "Read the team's blog post on hiring"),
        ),
        kept=("Send my CV",),
        introduced=(Introduced("Mary Somerville", "met", LAST + timedelta(days=25), told=True),),
        happened=(
            Happened(LAST + timedelta(hours=20), "thank_you"),
            Happened(LAST + timedelta(days=3), "reply"),
            Happened(LAST + timedelta(days=30), "update"),
        ),
        who="Ada Lovelace",
    )
    lines = describe_last_time(facts, BERLIN, date(2026, 3, 2))
    return build_prep_context(inputs(last_time=lines, asked=first().question_texts))


def senior() -> PrepContext:
    who = contact(name="Marta Ruiz", role="VP Engineering", company="Dataflow", source="csv")
    first_mail = ("out", datetime(2025, 12, 2, 9, 0, tzinfo=UTC))
    return build_prep_context(inputs(contact=who, introducer=None, first_mail=first_mail))


def junior() -> PrepContext:
    who = contact(name="Sam Lee", role="Junior Data Analyst", company="Shipit", source="vcard")
    return build_prep_context(
        inputs(
            contact=who,
            introducer=None,
            account=account(goals="Find out how to get a first analyst job."),
            messages=(message(12, "in", "Sure, happy to chat!"),),
            notes=(),
            earlier=(),
            referrals=(),
        )
    )


def fifteen() -> PrepContext:
    return build_prep_context(inputs(meeting=meeting(end_utc=START + timedelta(minutes=15))))


def sixty_pinned() -> PrepContext:
    who = contact(pinned_questions=["Could I shadow a sprint planning?"], goal="Visa sponsorship")
    return build_prep_context(
        inputs(
            contact=who,
            account=account(
                pinned_questions=["What would you ask in my place?"], meeting_minutes=60
            ),
            meeting=meeting(end_utc=START + timedelta(minutes=60)),
        )
    )


def asked_twenty() -> PrepContext:
    """The outreach asked for 20 minutes, the invitation is for 30: prepare for 20."""
    return build_prep_context(inputs(account=account(meeting_minutes=20)))


CASES: dict[str, Callable[[], PrepContext]] = {
    "first-meeting": first,
    "second-meeting": second,
    "senior": senior,
    "junior": junior,
    "15-minutes": fifteen,
    "60-minutes-pinned": sixty_pinned,
    "30-minutes-asked-20": asked_twenty,
}


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
@pytest.mark.parametrize("case", list(CASES))
def test_golden_sheet(case: str, fmt: str) -> None:
    out = render("prep/sheet", {"sheet": CASES[case]()}, fmt=fmt)  # type: ignore[arg-type]
    path = GOLDEN / f"{case}.{fmt}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")


def test_what_the_goldens_show() -> None:
    one, two = first(), second()
    assert len(one.question_texts) == 6 and len(two.question_texts) == 6
    assert not set(one.question_texts) & set(two.question_texts)  # nothing asked twice
    assert two.last_time[0].lines == ("You last met on Tue 20 Jan 2026 (Coffee with Ada).",)
    assert [p.title for p in two.last_time[1:]] == [
        "What you learned",
        "Their advice",
        "Your open promises to them",
        "Since then",
    ]
    assert senior().themes[0].key == "leading" and junior().themes[0].key == "starting"
    assert (
        senior().who.how_known
        == "Imported from your contacts; you wrote to them first on 2 Dec 2025"
    )
    assert (len(fifteen().question_texts), len(sixty_pinned().question_texts)) == (3, 10)
    # The length asked for, not the invitation's, sets the count; the sheet says both.
    assert len(asked_twenty().question_texts) == 4
    assert asked_twenty().reminders[0] == (
        "You asked for 20 minutes; the invitation is for 30: keep to 20 unless they offer "
        "more (finish by 10:20)."
    )
    assert fifteen().reminders[0] == (
        "You asked for 30 minutes; the invitation is for 15: keep to 15 and finish by 10:15."
    )
    assert sixty_pinned().question_texts[:2] == (
        "Could I shadow a sprint planning?",
        "What would you ask in my place?",
    )
