"""Reading an unreadable message's identity without parsing it (pure functions)."""

from __future__ import annotations

from coffeechat.models.inbox.unreadable import unreadable_fields, unreadable_message_id


def test_fields_are_read_from_the_raw_header() -> None:
    header = (
        b"Received: from x\r\nFrom: =?utf-8?q?Ada?= <Ada@Example.com>\r\n"
        b"Subject: =?utf-8?q?Re=3A_Coffee?=\r\nMessage-ID:  <a-1@example.com> \r\n\r\n"
    )
    fields = unreadable_fields(header)
    assert fields == {
        "message_id": "<a-1@example.com>",
        "from_addr": "ada@example.com",
        "subject": "=?utf-8?q?Re=3A_Coffee?=",  # shown raw: decoding is what may not end
    }
    assert unreadable_message_id(header) == "<a-1@example.com>"


def test_a_header_made_to_be_expensive_is_read_only_so_far() -> None:
    """250,000 addresses in From: only the first 64 kB is looked at; the ID is a stand-in."""
    addresses = b", ".join(b"x%d@spam.example" % n for n in range(250_000))
    header = b"From: " + addresses + b"\r\nMessage-ID: <late@example.com>\r\n\r\n"
    fields = unreadable_fields(header)
    assert fields["from_addr"] == "x0@spam.example" and fields["message_id"] == ""
    mid = unreadable_message_id(header)
    assert mid.endswith("@no-message-id.coffeechat.invalid>")
    assert unreadable_message_id(header) == mid  # stable: a second look finds it known


def test_a_lookalike_sender_is_not_folded_into_an_address() -> None:
    for raw in (
        "<\u212aate@example.com>",
        "kate@example.com\u212a",
        "Kate <k\u0430te@example.com>",
    ):
        header = f"From: {raw}\r\n\r\n".encode()  # KELVIN SIGN, CYRILLIC a
        assert unreadable_fields(header)["from_addr"] == "", raw
    assert (
        unreadable_fields(b"From: Kate <KATE@example.com>\r\n")["from_addr"] == "kate@example.com"
    )
