"""Building the prep context from records: pure, fixed clock, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from coffeechat.models.prep import build_prep_context, http_url, prep_subject
from coffeechat.models.prep.bank import fill_company
from tests.unit.prep.sample import NOW, START, contact, inputs, meeting, message, note, typical


def test_typical_sheet_who_when_why() -> None:
    s = typical()
    assert (s.who.name, s.who.role, s.who.company) == (
        "Ada Lovelace",
        "Head of Data",
        "Analytical Engines Ltd",
    )
    assert s.who.how_known == "Introduced by Grace Hopper" and s.who.introducer == "Grace Hopper"
    assert s.who.linkedin_url == "https://www.linkedin.com/in/ada-lovelace"
    assert [(e.name, e.date) for e in s.earlier] == [("Charles Babbage", "10 Feb 2026")]
    assert s.when is not None
    assert (s.when.start, s.when.end, s.when.zone) == (
        "Tue 3 Mar 2026, 10:00",
        "10:30",
        "Europe/Berlin",
    )
    assert (s.when.contact_start, s.when.contact_zone) == (
        "Tue 3 Mar 2026, 09:00",
        "Europe/London",
    )
    assert (s.when.minutes, s.when.length) == (30, "30 minutes")
    assert s.when.video_url == "https://meet.google.com/abc-defg-hij" and s.when.place_url is None
    assert s.goals.startswith("Learn how") and s.pitch.startswith("Five years")
    assert s.subject == "Prep: coffee with Ada Lovelace, Tue 3 Mar 10:00"
    assert s.day.isoformat() == "2026-03-03" and s.generated == "Mon 2 Mar 2026, 09:00"
    assert s.suggested == ("Mary Somerville (mary@example.org)",)
    assert s.news == ("Finished the forecasting course Ada recommended.",)
    assert s.reminders[0] == "The calendar gives you 30 minutes: finish by 10:30."
    assert s.reminders[1].startswith("coffeechat sends the thank-you itself, a few hours after")
    assert 'coffeechat debrief "Ada Lovelace"' in s.reminders[1]  # notes stay private
    assert not any("within 24 hours" in r for r in s.reminders)


def test_six_questions_chosen_for_this_senior_person_company_filled_note_answered() -> None:
    s = typical()
    texts = s.question_texts
    assert len(texts) == 6 and s.tiara == ()
    assert s.themes[0].key == "leading"  # Head of Data: senior, and the goal is about teams
    assert "How is your team organised, and where is it heading this year?" in texts
    # a note quotes "What is it like to work at Analytical Engines Ltd?": not asked again
    assert "What is it like to work at Analytical Engines Ltd?" not in texts
    assert "How does Analytical Engines Ltd differ from its competitors?" in texts
    assert not any("{company}" in q for q in texts)


def test_contact_notes_also_answer_and_unknown_company_reads_well() -> None:
    c = contact(company="", notes="Asked: What does a typical week look like for you? Meetings.")
    s = build_prep_context(inputs(contact=c, notes=(), earlier=()))
    assert "What does a typical week look like for you?" not in s.question_texts
    assert any("your organisation" in q for q in s.question_texts)
    assert s.earlier == ()


def test_questions_for_the_length_asked_for_or_the_calendars_when_shorter() -> None:
    from tests.unit.prep.sample import account

    hour = meeting(end_utc=START + timedelta(minutes=60))
    short = build_prep_context(inputs(meeting=meeting(end_utc=START + timedelta(minutes=15))))
    long = build_prep_context(inputs(meeting=hour))  # the outreach asked for 30
    asked = build_prep_context(inputs(meeting=hour, account=account(meeting_minutes=60)))
    counts = [len(s.question_texts) for s in (short, long, asked)]
    assert counts == [3, 6, 10]
    assert long.reminders[0] == (
        "You asked for 30 minutes; the invitation is for 1 h: keep to 30 minutes unless "
        "they offer more (finish by 10:30)."
    )
    assert asked.reminders[0] == "The calendar gives you 1 h: finish by 11:00."

    bare = build_prep_context(inputs(meeting=None, account=account(meeting_minutes=20)))
    assert len(bare.question_texts) == 4
    assert bare.reminders[0] == "Your outreach asks for 20 minutes: keep to it."


def test_pinned_questions_of_the_contact_then_the_account_come_first() -> None:
    from tests.unit.prep.sample import account

    c = contact(pinned_questions=["Can I see the stack?"], goal="Whether they sponsor visas")
    s = build_prep_context(inputs(contact=c, account=account(pinned_questions=["Mine?"])))
    assert s.question_texts[:2] == ("Can I see the stack?", "Mine?")
    assert len(s.question_texts) == 6 and s.themes[0].title == "Your own questions"
    assert s.contact_goal == "Whether they sponsor visas"


@pytest.mark.parametrize(
    ("source", "intro", "first", "words"),
    [
        ("linkedin", "", None, "A LinkedIn connection"),
        ("csv", "", None, "Imported from your contacts"),
        ("vcard", "", ("in", NOW), "From your address book; they wrote to you first on 2 Mar 2026"),
        (
            "linkedin",
            "Ada",
            ("out", NOW),
            "Introduced by Ada; you wrote to them first on 2 Mar 2026",
        ),
        ("weird-internal-label", "", None, "You added them to coffeechat"),
        ("weird-internal-label", "", ("out", NOW), "You wrote to them first on 2 Mar 2026"),
    ],
)
def test_how_you_know_them_is_in_words(
    source: str, intro: str, first: tuple[str, datetime] | None, words: str
) -> None:
    from zoneinfo import ZoneInfo

    from coffeechat.models.prep.build import how_known

    assert how_known(source, intro, first, ZoneInfo("Europe/Berlin")) == words


def test_company_name_with_braces_is_text_not_a_format_string() -> None:
    assert fill_company("At {company}?", "{0.__class__} {company}") == (
        "At {0.__class__} {company}?"
    )


def test_same_offset_zone_unknown_zone_and_no_zone_show_only_the_users_time() -> None:
    for zone in ("Europe/Paris", "Not/AZone", None, "../../etc/passwd"):
        s = build_prep_context(inputs(contact=contact(timezone=zone)))
        assert s.when is not None and (s.when.contact_start, s.when.contact_zone) == ("", "")


def test_no_meeting_means_no_when_and_a_subject_without_time() -> None:
    s = build_prep_context(inputs(meeting=None))
    assert s.when is None and s.meeting_id is None
    assert s.subject == "Prep: coffee with Ada Lovelace"
    assert s.day.isoformat() == "2026-03-02"
    assert not any(r.startswith("You agreed") for r in s.reminders)


def test_update_all_day_and_long_meetings() -> None:
    s = build_prep_context(inputs(is_update=True))
    assert s.subject.startswith("Updated prep: coffee with Ada Lovelace")
    day = meeting(all_day=True, start_utc=START, end_utc=START + timedelta(days=1))
    s = build_prep_context(inputs(meeting=day))
    assert s.when is not None and (s.when.start, s.when.length, s.when.end) == (
        "Tue 3 Mar 2026",
        "all day",
        "",
    )
    assert s.subject == "Prep: coffee with Ada Lovelace, Tue 3 Mar"
    long = meeting(end_utc=START + timedelta(minutes=90))
    when = build_prep_context(inputs(meeting=long)).when
    assert when is not None and when.length == "1 h 30 min"


def test_thread_keeps_the_latest_six_in_order_and_shortens_excerpts() -> None:
    msgs = tuple(message(d, "in" if d % 2 else "out", "x" * 400) for d in range(1, 10))
    s = build_prep_context(inputs(messages=msgs))
    assert [t.date for t in s.thread] == [f"{d} Feb 2026" for d in range(4, 10)]
    assert s.thread[0].sender == "You" and s.thread[1].sender == "Ada Lovelace"
    assert len(s.thread[0].excerpt) == 221 and s.thread[0].excerpt.endswith("…")


def test_goals_of_the_interview_win_over_the_accounts() -> None:
    from coffeechat.models.store.tables import Interview

    interview = Interview(goals="Ask about the graduate scheme.")
    assert build_prep_context(inputs(interview=interview)).goals == "Ask about the graduate scheme."


def test_hostile_values_become_one_line_and_no_link() -> None:
    c = contact(name="Ada\r\nBcc: x@evil.test", linkedin_url="javascript:alert(1)")
    m = meeting(location="javascript:alert(1)", video_link="javascript:alert(1)")
    s = build_prep_context(inputs(contact=c, meeting=m))
    assert "\r" not in s.subject and "\n" not in s.subject
    assert s.who.name == "Ada Bcc: x@evil.test"
    assert s.who.linkedin_url is None
    assert s.when is not None and s.when.place_url is None and s.when.video_url is None
    assert s.when.place == "javascript:alert(1)"  # shown as text, never as a link


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://zoom.us/j/1", True),
        ("http://example.com", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("data:text/html,hi", False),
        ("https://", False),
        ("https://x.test/a b", False),
        ('https://x.test/"onmouseover=1', False),
        ("mailto:a@b.test", False),
        ("", False),
        (None, False),
    ],
)
def test_http_url(url: str | None, ok: bool) -> None:
    assert (http_url(url) is not None) is ok


def test_subject_for_a_nameless_contact() -> None:
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert prep_subject("\r\n", start) == "Prep: coffee with your contact, Tue 3 Mar 10:00"


def test_notes_on_the_sheet_are_newest_first_and_exclude_news() -> None:
    notes = (note("old one", 1), note("new one", 20), note("tell her", 21, for_update=True))
    s = build_prep_context(replace(inputs(), notes=notes, now=NOW))
    assert [n.text for n in s.who.notes] == ["new one", "old one"]


@pytest.mark.parametrize("minutes", [15, 20, 45])
def test_outreach_nudge_and_sheet_take_the_length_from_one_setting(minutes: int) -> None:
    from coffeechat.integrations.render import render
    from coffeechat.models.followups.mail import people
    from coffeechat.models.followups.outreach import outreach_context
    from tests.unit.prep.sample import account

    acc = account(meeting_minutes=minutes)
    for template, mail in (
        ("mail/outreach", outreach_context(acc, contact(), None)),
        ("mail/nudge", people(acc, contact(), None)),
    ):
        assert f"a {minutes}-minute conversation" in render(template, mail, fmt="txt")
    sheet = build_prep_context(inputs(meeting=None, account=acc))
    assert sheet.reminders[0] == f"Your outreach asks for {minutes} minutes: keep to it."
