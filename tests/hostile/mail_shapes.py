"""Hostile mail, generated rather than stored: shapes whose *cost* an attacker controls.

``shapes()`` yields (name, raw message bytes). Each shape is built to hit one place where work
could grow faster than the input (unclosed HTML tags, encoded-words, exotic charsets, address
lists, nesting, long lines...). The benchmark runs each one under a resource limit; the tests
classify each one and expect a Kind, whatever it is.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

_HEAD = (
    "From: Jane Doe <jane@example.com>\r\nTo: jo@example.net\r\nSubject: Re: Coffee?\r\n"
    "Date: Mon, 16 Nov 2026 10:00:00 +0000\r\nMessage-ID: <hostile@example.com>\r\n"
    "In-Reply-To: <outreach.20261110.4f2a@coffeechat.example.net>\r\nMIME-Version: 1.0\r\n"
)


def _mail(body: bytes, ctype: str = "text/plain; charset=utf-8", head: str = _HEAD) -> bytes:
    return f"{head}Content-Type: {ctype}\r\n\r\n".encode() + body


def _html(body: str) -> bytes:
    return _mail(body.encode(), "text/html; charset=utf-8")


def _with_header(name: str, value: str, *, drop: str | None = None) -> bytes:
    lines = [ln for ln in _HEAD.split("\r\n") if ln and not (drop and ln.startswith(drop + ":"))]
    head = "\r\n".join(lines) + f"\r\n{name}: {value}\r\n"
    return _mail(b"Sure, happy to chat.\r\n", head=head)


def _multipart(parts: list[bytes], boundary: str = "b0", subtype: str = "mixed") -> bytes:
    body = b"".join(f"--{boundary}\r\n".encode() + p + b"\r\n" for p in parts)
    body += f"--{boundary}--\r\n".encode()
    return _mail(body, f'multipart/{subtype}; boundary="{boundary}"')


def _part(ctype: str, body: bytes, extra: str = "") -> bytes:
    return f"Content-Type: {ctype}\r\n{extra}\r\n".encode() + body


def _nested(depth: int) -> bytes:
    body = b"innermost text\r\n"
    for level in range(depth):
        b = f"n{level}"
        body = (
            f'Content-Type: multipart/mixed; boundary="{b}"\r\n\r\n--{b}\r\n'.encode()
            + body
            + f"\r\n--{b}--\r\n".encode()
        )
    return f"{_HEAD}".encode() + body


def _nested_rfc822(depth: int) -> bytes:
    body = b"Subject: inner\r\n\r\ntext\r\n"
    for _ in range(depth):
        body = b"Content-Type: message/rfc822\r\n\r\n" + body
    return _HEAD.encode() + body


def _ew(word: str, count: int, charset: str = "utf-8") -> str:
    encoded = base64.b64encode(word.encode(charset)).decode()
    return " ".join(f"=?{charset}?b?{encoded}?=" for _ in range(count))


def _addresses(count: int) -> str:
    return ", ".join(f"Person {i} <p{i}@example.org>" for i in range(count))


def _dsn(blocks: int) -> bytes:
    status = "".join(
        f"Final-Recipient: rfc822; r{i}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        for i in range(blocks)
    )
    parts = [
        _part("text/plain", b"Delivery failed.\r\n"),
        _part(
            "message/delivery-status", b"Reporting-MTA: dns; mx.example\r\n\r\n" + status.encode()
        ),
    ]
    return _multipart(parts, subtype='report; report-type="delivery-status"')


_SHAPES: dict[str, Callable[[], bytes]] = {
    # HTML-only bodies with tags that never close: each would make a lazy regex scan to the end
    "html_unclosed_script": lambda: _html("<script>x" * 30_000),
    "html_unclosed_style": lambda: _html("<style>p{}" * 30_000),
    "html_unclosed_div_no_gt": lambda: _html('<div class="x" ' * 40_000),
    "html_unclosed_mailto_5k": lambda: _html('<a href="mailto:bob@example.com">Bob ' * 5_000),
    "html_unclosed_mailto_30k": lambda: _html('<a href="mailto:bob@example.com">Bob ' * 30_000),
    "html_mailto_no_gt": lambda: _html('<a href="mailto:bob@example.com" ' * 30_000),
    "html_unclosed_comment": lambda: _html("<!-- hi " * 50_000),
    "html_unclosed_quote_div": lambda: _html('<div class="gmail_quo' * 30_000),
    "html_quote_marker_no_gt": lambda: _html("<div id=divRplyFwdMs" * 30_000),
    "html_lt_only": lambda: _html("<" * 500_000),
    "html_deep_divs": lambda: _html("<div>" * 100_000 + "hello" + "</div>" * 100_000),
    "html_entities": lambda: _html("&#x" * 200_000 + "&amp;" * 50_000),
    "html_many_breaks": lambda: _html("<br>" * 200_000),
    "html_unclosed_title_head": lambda: _html("<head><title>" * 40_000),
    # encoded-words: counts, sizes and charsets an attacker picks
    "subject_200k_encoded_words": lambda: _with_header(
        "Subject", _ew("caf\u00e9", 200_000), drop="Subject"
    ),
    "subject_encoded_words_no_spaces": lambda: _with_header(
        "Subject", "=?utf-8?q?a?=" * 200_000, drop="Subject"
    ),
    "subject_punycode_1mb": lambda: _with_header(
        "Subject", "=?punycode?q?" + "a" * 1_000_000 + "-" + "\u00e9" * 0 + "?=", drop="Subject"
    ),
    "subject_punycode_dense": lambda: _with_header(
        "Subject", "=?punycode?q?-" + "9a" * 400_000 + "?=", drop="Subject"
    ),
    "subject_idna_and_escape_charsets": lambda: _with_header(
        "Subject",
        " ".join(
            f"=?{cs}?q?{'a' * 20_000}?="
            for cs in ("idna", "raw_unicode_escape", "unicode_escape", "utf-7", "bz2", "rot13")
        ),
        drop="Subject",
    ),
    "from_name_200k_encoded_words": lambda: _with_header(
        "From", _ew("Jane", 100_000) + " <jane@example.com>", drop="From"
    ),
    "subject_1mb_plain": lambda: _with_header("Subject", "x" * 1_000_000, drop="Subject"),
    "subject_folded_100k": lambda: _with_header(
        "Subject", "\r\n ".join(["word"] * 100_000), drop="Subject"
    ),
    # text parts declared in charsets whose decoders are slow or not text codecs at all
    "parts_punycode_3x512k": lambda: _multipart(
        [_part("text/plain; charset=punycode", b"-" + b"9a" * 262_144) for _ in range(3)]
    ),
    "part_idna_512k": lambda: _mail(b"a." * 262_144, "text/plain; charset=idna"),
    "part_unicode_escape": lambda: _mail(
        b"\\u00e9" * 100_000, "text/plain; charset=unicode_escape"
    ),
    "part_bz2_charset": lambda: _mail(b"BZh9" + b"\x00" * 10_000, "text/plain; charset=bz2_codec"),
    "html_part_punycode": lambda: _mail(b"-" + b"9a" * 262_144, "text/html; charset=punycode"),
    # address headers: size, count, odd syntax
    "from_6mb_250k_addresses": lambda: _with_header("From", _addresses(250_000), drop="From"),
    "cc_1_5mb": lambda: _with_header("Cc", _addresses(60_000)),
    # just under the header cap: the per-field caps must hold on their own
    "cc_900k_under_cap": lambda: _with_header("Cc", _addresses(27_000)),
    "from_900k_under_cap": lambda: _with_header("From", _addresses(27_000), drop="From"),
    "subject_encoded_words_under_cap": lambda: _with_header(
        "Subject", _ew("caf\u00e9", 40_000), drop="Subject"
    ),
    "subject_punycode_under_cap": lambda: _with_header(
        "Subject", "=?punycode?q?-" + "9a" * 450_000 + "?=", drop="Subject"
    ),
    "from_name_encoded_words_under_cap": lambda: _with_header(
        "From", _ew("Jane", 40_000) + " <jane@example.com>", drop="From"
    ),
    "from_8bit_utf8_under_cap": lambda: _with_header(
        "From",
        ", ".join(f"J\u00fcrgen {i} <j{i}@b\u00fccher.example>" for i in range(25_000)),
        drop="From",
    ),
    "subject_8bit_mixed_encoded_words": lambda: _with_header(
        "Subject", "\u00e9 =?utf-8?q?a?= " * 50_000, drop="Subject"
    ),
    "references_under_cap": lambda: _with_header(
        "References", " ".join(f"<m{i}@x>" for i in range(90_000))
    ),
    "from_kelvin_sign_lookalike": lambda: _with_header(
        "From", "Kate <\u212aate@example.com>", drop="From"
    ),
    "from_display_name_holds_address": lambda: _with_header(
        "From", '"jane@example.com" <mallory@evil.example>', drop="From"
    ),
    "to_many_group_syntax": lambda: _with_header("To", "g: " + _addresses(50_000) + ";", drop="To"),
    "from_unbalanced_quotes": lambda: _with_header("From", '"a' * 200_000 + " <x@y>", drop="From"),
    "from_unbalanced_comments": lambda: _with_header(
        "From", "(a" * 200_000 + " <x@y>", drop="From"
    ),
    "from_many_at_signs": lambda: _with_header("From", "a@" * 300_000, drop="From"),
    "from_angle_soup": lambda: _with_header(
        "From", "<" * 200_000 + "a@b" + ">" * 200_000, drop="From"
    ),
    "references_1m_ids": lambda: _with_header(
        "References", " ".join(f"<m{i}@x>" for i in range(100_000))
    ),
    "many_header_lines": lambda: _mail(
        b"ok\r\n", head=_HEAD + "".join(f"X-H{i}: v\r\n" for i in range(100_000))
    ),
    "header_lines_without_colon": lambda: _mail(
        b"ok\r\n", head=_HEAD + "garbage line\r\n" * 50_000
    ),
    # parameters: compat32 re-slices a Content-Type or -Disposition field at every ';'
    "content_type_900k_semicolons": lambda: _mail(b"x", "text/plain" + ";" * 900_000),
    "parts_with_parameter_heavy_types": lambda: _multipart(
        [_part("text/plain; " + ";".join(["a=" + "x" * 78] * 99), b"x") for _ in range(240)]
    ),
    "parts_with_long_dispositions": lambda: _multipart(
        [
            _part(
                "application/octet-stream",
                b"x",
                "Content-Disposition: attachment; "
                + ";".join(['f="' + "y" * 70 + '"'] * 99)
                + "\r\n",
            )
            for _ in range(240)
        ]
    ),
    # MIME structure
    "nesting_1200": lambda: _nested(1_200),
    "nested_rfc822_2000": lambda: _nested_rfc822(2_000),
    "parts_20000": lambda: _multipart([_part("text/plain", b"x") for _ in range(20_000)]),
    "unclosed_boundary": lambda: _mail(
        b"--b0\r\nContent-Type: text/plain\r\n\r\n" + b"text\r\n" * 200_000,
        'multipart/mixed; boundary="b0"',
    ),
    "dsn_20k_blocks": lambda: _dsn(20_000),
    "dsn_part_of_newlines": lambda: _mail(b"\n" * 500_000, "message/delivery-status"),
    "dsn_part_of_carriage_returns": lambda: _mail(b"\r" * 500_000, "message/delivery-status"),
    "rfc822_part_of_blank_continuations": lambda: _mail(b" \n" * 1_000_000, "message/rfc822"),
    "feedback_report_of_tab_lines": lambda: _mail(b"\t\n" * 1_000_000, "message/feedback-report"),
    "rfc822_headers_blank_lines": lambda: _multipart(
        [
            _part("text/plain", b"Delivery failed.\r\n"),
            _part("text/rfc822-headers", b"\n" * 300_000 + b"Message-ID: <x@y>\n"),
        ],
        subtype='report; report-type="delivery-status"',
    ),
    "calendar_huge_folded": lambda: _mail(
        b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n"
        + b"X:"
        + b"\r\n a" * 300_000
        + b"\r\nEND:VCALENDAR\r\n",
        "text/calendar; method=REQUEST",
    ),
    # bodies: lines, bytes and text that stress the text rules
    "long_line_10mb": lambda: _mail(b"a" * 10_000_000),
    "short_lines_20mb": lambda: _mail(b"a\r\n" * 7_000_000),
    "short_lines_just_under_2mb": lambda: _mail(b"a\n" * 990_000),
    "html_break_lines_2mb": lambda: _mail(b"<br>\n" * 390_000, "text/html"),
    "nul_bytes": lambda: _mail(b"\x00" * 2_000_000),
    "eight_bit_garbage": lambda: _mail(bytes(range(128, 256)) * 8_000, "text/plain"),
    "base64_one_huge_line": lambda: _mail(
        base64.b64encode(b"hello " * 1_000_000), "text/plain; charset=utf-8"
    ).replace(b"\r\n\r\n", b"\r\nContent-Transfer-Encoding: base64\r\n\r\n", 1),
    "base64_invalid": lambda: _mail(b"!@#$" * 500_000).replace(
        b"\r\n\r\n", b"\r\nContent-Transfer-Encoding: base64\r\n\r\n", 1
    ),
    "qp_soft_breaks": lambda: _mail(b"=\r\n" * 500_000).replace(
        b"\r\n\r\n", b"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", 1
    ),
    "blank_lines": lambda: _mail(b"\r\n" * 1_000_000 + b"x"),
    "whitespace_lines": lambda: _mail(b" \t \r\n" * 300_000 + b"x"),
    "unicode_space_lines": lambda: _mail("\u3000\u00a0\x85\n".encode() * 200_000 + b"x"),
    "unicode_space_lines_crlf": lambda: _mail("\u2003\r\n".encode() * 200_000 + b"x"),
    "wrote_then_spaces": lambda: _mail(b"On Monday Jane\r\nwrote" + b" " * 500_000 + b"x\r\n"),
    "attribution_lines": lambda: _mail(b"On Mon Jane Doe said something\r\n" * 100_000),
    "quote_lines": lambda: _mail(b"> quoted\r\n" * 300_000),
    "many_addresses_in_body": lambda: _mail(b"a.a.a.a.a.a.a@b.b.b.b.b.b " * 40_000),
    "many_dates_out_of_office": lambda: _mail(
        b"I am out of the office until " + b"12/11 1 Jan 2027-01-01 " * 50_000,
        head=_HEAD.replace("Re: Coffee?", "Automatic reply: Coffee?"),
    ),
    "message_id_lines": lambda: _mail(b"Message-ID: \r\n" * 200_000),
    "dashes_and_underscores": lambda: _mail(b"-" * 1_000_000 + b"\r\n" + b"_" * 1_000_000),
    "opt_out_words": lambda: _mail(b"do not " * 200_000 + b"contact me"),
}


def shapes() -> Iterator[tuple[str, bytes]]:
    """Every hostile shape as (name, raw bytes), built on demand."""
    for name, build in _SHAPES.items():
        yield name, build()


def names() -> list[str]:
    """The shapes' names, without building them."""
    return list(_SHAPES)


def shape(name: str) -> bytes:
    """One shape's bytes by name."""
    return _SHAPES[name]()
