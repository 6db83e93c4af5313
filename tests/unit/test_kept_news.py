"""A kept promise or advice acted on, in words: the advice and the user's note, nothing invented."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coffeechat.models.followups.kept_news import (
    KEPT_WITHOUT_NOTE,
    advice_words,
    news_line,
    news_lines,
)
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
        ("She recommended I pin my two best repos", "Done: the compiler and the tracer.",
         "You recommended I pin my two best repos; Done: the compiler and the tracer."),
        ("He advised me to target scale-ups rather than banks", "",
         "You advised me to target scale-ups rather than banks, and I took your advice."),
        ("patience", "", "You suggested “patience”, and I took your advice."),
        ('"Stop calling yourself a career changer; you’re a nurse who writes Python."',
         "I rewrote my profile",
         "You told me “Stop calling yourself a career changer; you’re a nurse who writes "
         "Python.”; I rewrote my profile."),
        ("“Ship something small”", "",
         "You told me “Ship something small”, and I took it to heart."),
        ("Im Anschreiben konkrete Zahlen nennen", "ok",
         "You suggested “Im Anschreiben konkrete Zahlen nennen”; ok."),
        ("SQL window functions", "",
         "You suggested “SQL window functions”, and I took your advice."),
    ],
)  # fmt: skip
def test_advice_acted_on_reads_as_the_advice_and_the_note(
    advice: str, note: str, line: str
) -> None:
    assert news_line(ADVICE, advice, note) == line


def test_the_note_is_verbatim_and_a_promise_text_never_appears() -> None:
    note = "Sent the deck (v3) over on Tuesday"
    line = news_line(PROMISE, "send her my deck by friday, she seemed unsure", note)
    assert line == note + "."
    assert "friday" not in line.lower()
    assert news_line(PROMISE, "x", "It is online: https://jo.example.com/work") == (
        "It is online: https://jo.example.com/work"
    )  # no full stop glued to a link
    assert news_line(PROMISE, "send her my deck", "") == KEPT_WITHOUT_NOTE
    assert "deck" not in news_line(PROMISE, "send her my deck", "  ")


def test_names_and_acronyms_keep_their_capitals() -> None:
    assert advice_words("AWS first")[0] == "You suggested “AWS first”"
    assert advice_words("Read Shape Up")[0] == "You suggested I read Shape Up"


def test_each_line_once_and_none_the_contact_already_had() -> None:
    items = [
        _item(PROMISE, "a", item_id=1),
        _item(PROMISE, "b", item_id=2),  # a second noteless promise: the same words
        _item(ADVICE, "learn dbt", "Two courses in.", item_id=3),
    ]
    assert news_lines(items) == [KEPT_WITHOUT_NOTE, "You suggested I learn dbt; Two courses in."]
    earlier = f"Hi Ada,\n\nA quick update.\n\n{KEPT_WITHOUT_NOTE}\n\nBest,\nJo"
    assert news_lines(items, [earlier]) == ["You suggested I learn dbt; Two courses in."]
    # Told as a bullet, in other spacing or case, is still told; words inside a longer line
    # are not the same news.
    bullet = "Since we spoke:\n-  you suggested I learn dbt;  Two courses in.\n"
    assert news_lines(items, [earlier, bullet]) == []
    inside = f"Hi Ada, You suggested I learn dbt; Two courses in. More soon. {KEPT_WITHOUT_NOTE}!"
    assert len(news_lines(items, [inside])) == 2


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
