"""A kept promise or advice acted on, in words: the advice and the user's note, nothing invented."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coffeechat.models.followups.kept_news import advice_words, news_line, news_lines
from coffeechat.models.followups.promises import Item, ItemKind, ItemRefused, parse_ref

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADVICE, PROMISE = ItemKind.ADVICE, ItemKind.PROMISE


def _item(kind: ItemKind, text: str, note: str = "", item_id: int = 1) -> Item:
    return Item(kind=kind, id=item_id, contact_id=1, contact_name="Ada Lovelace", text=text,
                due=None, status="done", note=note, created_at=AT, done_at=AT,
                reported_at=None)  # fmt: skip


@pytest.mark.parametrize(
    ("advice", "note", "line"),
    [
        ("try the community meetups", "I went to two and met Grace Hopper",
         "You suggested I try the community meetups; I went to two and met Grace Hopper."),
        ("Learn dbt.", "", "You suggested I learn dbt, and I did."),
        ("Get the AWS associate cert; it gets you past the screen", "passed it last week!",
         "You suggested I get the AWS associate cert; passed it last week!"),
        ("don't mention salary in the first call", "",
         "You advised me not to mention salary in the first call, and I didn't."),
        ("Don't undersell the teaching years", "I led with them.",
         "You advised me not to undersell the teaching years; I led with them."),
        # The reviewer's finding 7: reworded, not quoted whole; quotes kept when inside.
        ("Read 'Team Topologies'", "", "You suggested I read 'Team Topologies', and I did."),
        ("You should learn Rust", "", "You suggested I learn Rust, and I did."),
        ("I should polish my CV", "Rewritten.", "You suggested I polish my CV; Rewritten."),
        ("Ada recommended I pin my repos", "Done: the compiler and the tracer.",
         "You suggested I pin my repos; Done: the compiler and the tracer."),
        ("She recommended I pin my two best repos", "",
         "You suggested I pin my two best repos, and I did."),
        ("He advised me to target scale-ups rather than banks", "",
         "You suggested I target scale-ups rather than banks, and I did."),
        ('"Stop calling yourself a career changer; you’re a nurse who writes Python."',
         "I rewrote my profile",
         "You suggested I stop calling myself a career changer; I rewrote my profile."),
        ("“Ship something small”", "", "You suggested I ship something small, and I did."),
        # Not advice that can be said back: the note alone, or nothing.
        ("patience", "", ""),
        ("Im Anschreiben konkrete Zahlen nennen", "ok", "ok."),
        ("SQL window functions", "Two chapters in", "Two chapters in."),
        ("Ada thinks her manager is a nightmare", "", ""),
        ("Why does she stay there?", "", ""),
    ],
)  # fmt: skip
def test_advice_acted_on_reads_as_the_advice_and_the_note(
    advice: str, note: str, line: str
) -> None:
    assert news_line(ADVICE, advice, note, "Ada Lovelace") == line


def test_the_note_is_verbatim_and_a_promise_text_never_appears() -> None:
    note = "Sent the deck (v3) over on Tuesday"
    line = news_line(PROMISE, "send her my deck by friday, she seemed unsure", note)
    assert line == note + "."
    assert "friday" not in line.lower()
    assert news_line(PROMISE, "x", "It is online: https://jo.example.com/work") == (
        "It is online: https://jo.example.com/work"
    )  # no full stop glued to a link
    # Without a note there is nothing to say that is not vague: no line at all.
    assert news_line(PROMISE, "send her my deck", "") == ""
    assert news_line(PROMISE, "send her my deck", "  ") == ""


def test_names_and_acronyms_keep_their_capitals() -> None:
    assert advice_words("AWS first") is None
    assert advice_words("Read Shape Up") == ("You suggested I read Shape Up", ", and I did.")
    assert advice_words("Learn SQL") == ("You suggested I learn SQL", ", and I did.")


def test_each_line_once_and_none_the_contact_already_had() -> None:
    items = [
        _item(PROMISE, "a", item_id=1),  # no note: nothing to tell
        _item(PROMISE, "b", "Sent it.", item_id=2),
        _item(PROMISE, "c", "Sent it.", item_id=3),  # the same words: told once
        _item(ADVICE, "learn dbt", "Two courses in.", item_id=4),
    ]
    assert news_lines(items) == ["Sent it.", "You suggested I learn dbt; Two courses in."]
    earlier = "Hi Ada,\n\nA quick update.\n\nSent it.\n\nBest,\nJo"
    assert news_lines(items, [earlier]) == ["You suggested I learn dbt; Two courses in."]
    # Told as a bullet, in other spacing or case, is still told; words inside a longer line
    # are not the same news.
    bullet = "Since we spoke:\n-  you suggested I learn dbt;  Two courses in.\n"
    assert news_lines(items, [earlier, bullet]) == []
    inside = "Hi Ada, You suggested I learn dbt; Two courses in. More soon. Sent it.!"
    assert len(news_lines(items, [inside])) == 2


def test_advice_naming_the_contact_is_said_to_them() -> None:
    item = _item(ADVICE, "Ada said I should apply before March", "Applied on the 2nd")
    assert news_lines([item]) == ["You suggested I apply before March; Applied on the 2nd."]


@pytest.mark.parametrize(
    ("ref", "kind", "number"),
    [("P12", PROMISE, 12), ("#p12", PROMISE, 12), ("12", PROMISE, 12), (" a3 ", ADVICE, 3),
     ("#A 3", ADVICE, 3), (7, PROMISE, 7)],
)  # fmt: skip
def test_ids_name_a_kind_and_a_row(ref: str | int, kind: ItemKind, number: int) -> None:
    assert parse_ref(ref) == (kind, number)


@pytest.mark.parametrize("ref", ["", "X1", "P", "P-1", "A1.5", "P" + "9" * 20, "promise 3"])
def test_an_id_that_names_nothing_is_refused_clearly(ref: str) -> None:
    with pytest.raises(ItemRefused, match="no promise or advice ID"):
        parse_ref(ref)
