"""The whole parser: sections, prose cues (conservative for public fields), HTML, budgets."""

from __future__ import annotations

from datetime import date

from coffeechat.models.debrief.fields import DebriefFields, PersonMention, PromiseMention
from coffeechat.models.debrief.parse import MAX_ITEMS, MAX_TEXT, parse_debrief

TODAY = date(2026, 12, 5)


def parse(text: str, **kwargs: object) -> DebriefFields:
    return parse_debrief(text, today=TODAY, **kwargs)  # type: ignore[arg-type]


def test_template_answers_in_any_order() -> None:
    found = parse("Next step: apply\nAdvice: learn dbt\nWhat I learned: they use Snowflake\n")
    assert found.next_step == ("apply",)
    assert found.advice == ("learn dbt",)
    assert found.learned == ("they use Snowflake",)


def test_template_left_in_unanswered_is_empty() -> None:
    template = (
        "How did it go with Ada?\n(Answer whatever you like.)\n\nWhat I learned:\nTheir advice:\n"
        "People to talk to:\nWhat I promised:\nWhat they offered:\nNext step:\n"
    )
    assert parse(template).empty
    assert parse("").empty
    assert parse("Advice: n/a\nPeople: -\n").empty


def test_promise_due_date_or_default() -> None:
    found = parse("Promised:\n- slides by Friday\n- my notes\n", promise_days=3)
    assert found.promises == (
        PromiseMention("slides by Friday", date(2026, 12, 11)),
        PromiseMention("my notes", date(2026, 12, 8)),
    )


def test_prose_cues_place_sentences() -> None:
    found = parse(
        "Great chat. She suggested I look at the Rust community. She offered to introduce me to "
        "her colleague Grace Hopper. I said I'd send her my portfolio next week. "
        "Turns out they are hiring in Q1."
    )
    assert found.advice == ("She suggested I look at the Rust community.",)
    assert found.people == (PersonMention("Grace Hopper"),)
    assert found.offers == ("She offered to introduce me to her colleague Grace Hopper.",)
    assert found.promises == (
        PromiseMention("I said I'd send her my portfolio next week.", date(2026, 12, 7)),
    )
    assert found.learned == ("Turns out they are hiring in Q1.",)
    assert found.unplaced == ("Great chat.",)


def test_prose_without_cues_stays_private() -> None:
    found = parse("You should see their office. Ada mentioned Charles Babbage twice. ada@x.org")
    assert found.advice == () and found.people == ()
    assert found.unplaced[0] == "You should see their office."


def test_a_people_entry_without_a_name_becomes_a_private_note() -> None:
    found = parse("People: someone in sales, she forgot who\n")
    assert found.people == ()
    assert found.unplaced == ("someone in sales, she forgot who",)


def test_wrapped_lines_join_their_item() -> None:
    found = parse(
        "Advice:\n- pick a real weakness and say what\n  you're doing about it\n- no salary talk\n"
    )
    assert found.advice == (
        "pick a real weakness and say what you're doing about it",
        "no salary talk",
    )


def test_a_closing_remark_after_a_list_is_not_an_item() -> None:
    found = parse("Advice:\n- go deep on one cloud\n\nOverall a kind person.\n")
    assert found.advice == ("go deep on one cloud",)
    assert found.unplaced == ("Overall a kind person.",)


def test_html_only_reply_uses_the_html() -> None:
    markup = (
        "<div><b>Advice:</b> get a warm intro</div><div><b>People:</b> "
        '<a href="mailto:f@l.com">Fiona Osei</a></div>'
        '<div class="gmail_quote">On Fri wrote:<blockquote>Advice: old</blockquote></div>'
    )
    found = parse("", html=markup)
    assert found.advice == ("get a warm intro",)
    assert found.people == (PersonMention("Fiona Osei", "f@l.com"),)
    assert parse("Advice: plain wins", html=markup).advice == ("plain wins",)


def test_budget_caps_items_and_text() -> None:
    many = parse("Advice:\n" + "- tip\n" * 500 + "People:\n" + "- Ann Lee\n- Bo Ek\n" * 10)
    assert len(many.advice) == MAX_ITEMS
    assert len(many.people) == 2  # repeated people once each
    late = parse("x" * MAX_TEXT + "\nAdvice: too late\n")
    assert late.advice == ()


def test_people_are_deduplicated_and_gain_an_address() -> None:
    found = parse("People: Grace Hopper\nShe said to talk to Grace Hopper <g@n.mil>.\n")
    assert found.people == (PersonMention("Grace Hopper", "g@n.mil"),)


def test_semicolons_split_a_list_not_a_clause() -> None:
    assert parse("Advice: network; learn SQL; apply early\n").advice == (
        "network",
        "learn SQL",
        "apply early",
    )
    clause = "Get the AWS cert; it gets you past the screen"
    assert parse(f"Advice: {clause}\n").advice == (clause,)


def test_a_postscript_after_the_sign_off_is_kept() -> None:
    found = parse("Learned: x\n\nThanks,\nJo\n\nP.S. She offered to send me her slides.\n")
    assert found.offers == ("She offered to send me her slides.",)
    assert found.unplaced == ()


def test_lower_case_names_only_under_a_people_heading() -> None:
    assert parse("People: priya from the data team\n").people == (
        PersonMention("priya", None, "from the data team"),
    )
    assert parse("talk to priya about it").people == ()
    assert parse("People: anyone in finance\n").people == ()


def test_none_but_keeps_what_follows() -> None:
    assert parse("People to talk to: none yet, she'll ask around\n").offers == (
        "she'll ask around",
    )


def test_the_users_own_plans_and_suggestions_are_not_public() -> None:
    found = parse(
        "I suggested we meet again in March. I'll talk to Ada again after the interview. "
        "The advice from the careers office was useless. She recommended me to the hiring manager."
    )
    assert found.advice == () and found.people == ()
    assert found.offers == ("She recommended me to the hiring manager.",)
    assert parse("She said I should talk to Charles Babbage.").people == (
        PersonMention("Charles Babbage"),
    )


def test_lower_case_sentences_split_but_not_after_abbreviations() -> None:
    from coffeechat.models.debrief.prose import sentences

    assert sentences("ok walking home. she offered help. e.g. Rust is hot. Dr. Okafor left.") == [
        "ok walking home.",
        "she offered help.",
        "e.g. Rust is hot.",
        "Dr. Okafor left.",
    ]


def test_question_headings_with_their_answer() -> None:
    found = parse("Any advice? Practise SQL.\nWho should I contact? Maya Brooks\n")
    assert found.advice == ("Practise SQL.",)
    assert found.people == (PersonMention("Maya Brooks"),)


def test_a_new_sentence_after_an_inline_public_heading_is_placed_by_its_cues() -> None:
    found = parse("Advice: aim at small firms.\nElle m'a proposé de transmettre mon CV.\n")
    assert found.advice == ("aim at small firms.",)
    assert found.offers == ("Elle m'a proposé de transmettre mon CV.",)
    names = parse("People to talk to: Charles Babbage\nGrace Hopper <g@n.mil>\n").people
    assert [p.name for p in names] == ["Charles Babbage", "Grace Hopper"]


def test_a_sentence_ends_after_a_closing_quote() -> None:
    found = parse('Her words: "nobody reads cover letters." She recommended I pin two repos.')
    assert found.advice == ("She recommended I pin two repos.",)


def test_an_offered_introduction_names_the_person_once() -> None:
    found = parse("People: Tom Reyes <tom@l.io>\nOffered: an intro to Tom\n")
    assert found.people == (PersonMention("Tom Reyes", "tom@l.io"),)
    assert found.offers == ("an intro to Tom",)
    assert parse("Offered: an intro to Charles\n").people == (PersonMention("Charles"),)
    found = parse("She offered an intro to Tom.\nPeople: Tom Reyes\n")
    assert [p.name for p in found.people] == ["Tom Reyes"]


def test_advice_was_to_is_quoted_without_its_lead_in() -> None:
    parsed = parse_debrief("Advice was to drop the objective statement.", today=date(2026, 12, 5))
    assert parsed.advice == ("drop the objective statement.",)


def test_an_unpunctuated_run_is_read_clause_by_clause() -> None:
    text = (
        "it went really well she said i should talk to hiring managers directly instead of "
        "recruiters i promised to send her my github by monday and she offered to introduce me "
        "to her manager"
    )
    parsed = parse_debrief(text, today=date(2026, 12, 5))
    assert parsed.advice == (
        "she said i should talk to hiring managers directly instead of recruiters",
    )
    assert parsed.promises == (
        PromiseMention("i promised to send her my github by monday", date(2026, 12, 7)),
    )
    assert parsed.offers == ("she offered to introduce me to her manager",)


def test_a_short_unpunctuated_line_stays_one_sentence() -> None:
    text = "she said i should apply and i promised to"
    parsed = parse_debrief(text, today=date(2026, 12, 5))
    assert [p.text for p in parsed.promises] == [text]  # one sentence, its first cue places it
    assert parsed.advice == ()
