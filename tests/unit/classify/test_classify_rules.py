"""Each named rule on small synthetic messages, the chain's order, and the parsing caps."""

from __future__ import annotations

from datetime import date

import pytest

from coffeechat.models.classify import RULES, Kind, classify, classify_parsed, parse_mail
from coffeechat.models.classify.calendar_part import calendar_method
from coffeechat.models.classify.rules import run_chain
from tests.unit.classify.mailkit import CORPUS, make_mail

TODAY = date(2026, 11, 20)
BASE = {"From": "Jane <jane@example.com>", "To": "sam@example.net", "Subject": "Re: Coffee"}


def _verdict(extra: dict[str, str], body: str = "Thanks!") -> tuple[Kind, str]:
    v = classify(make_mail({**BASE, **extra}, body), today=TODAY)
    return v.kind, v.rule


def test_rule_order_is_calendar_reports_autoreply() -> None:
    names = [name for name, _ in RULES]
    assert names.index("calendar") < names.index("dsn_report") < names.index("arf_report")
    assert names.index("mdn_report") < names.index("text_bounce") < names.index("auto_submitted")


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto_submitted"),
        ({"Auto-Submitted": "auto-generated; owner-email=x@example.com"}, "auto_submitted"),
        ({"X-Autoreply": "yes"}, "autoreply_header"),
        ({"X-Autorespond": "Coffee"}, "autoreply_header"),
        ({"X-Apple-Action": "VACATION/SIMPLE"}, "apple_vacation"),
        ({"X-MS-Exchange-Inbox-Rules-Loop": "jane@example.com"}, "exchange_rules_loop"),
        ({"Precedence": "bulk"}, "precedence"),
        ({"Precedence": "junk"}, "precedence"),
        ({"List-Id": "<team.lists.example.org>"}, "list_headers"),
        ({"Subject": "Automatic reply: Coffee"}, "autoreply_subject"),
        ({"Subject": "Abwesenheitsnotiz: Kaffee"}, "autoreply_subject"),
        ({"Subject": "Autosvar: Fika"}, "autoreply_subject"),
        ({"Return-Path": "<>"}, "null_sender"),
    ],
)
def test_auto_reply_signals(extra: dict[str, str], rule: str) -> None:
    assert _verdict(extra) == (Kind.AUTO_REPLY, rule)


@pytest.mark.parametrize(
    "extra",
    [
        {"Auto-Submitted": "no"},
        {"X-Auto-Response-Suppress": "All"},  # a request not to auto-reply, not an auto-reply
        {"Subject": "Re: Out of office next week?"},
        {"Subject": "Re: Automatic reply: Coffee"},  # a person answering an OOO
        {"Precedence": "first-class"},
        {"X-Autoreply": "no"},
    ],
)
def test_not_auto_reply(extra: dict[str, str]) -> None:
    assert _verdict(extra) == (Kind.HUMAN, "human")


def test_weak_subject_needs_body_agreement() -> None:
    assert _verdict({"Subject": "Out of Office"}, "Let's meet Monday.")[0] is Kind.HUMAN
    ooo = "I am out of the office until 30 November."
    assert _verdict({"Subject": "Out of Office"}, ooo) == (Kind.AUTO_REPLY, "autoreply_subject")


def test_auto_reply_return_date_falls_back_to_mail_date() -> None:
    raw = make_mail(
        {**BASE, "Subject": "Automatic reply: x", "Date": "Fri, 20 Nov 2026 10:00:00 +0000"},
        "Back on 3 December.",
    )
    assert classify(raw).return_date == date(2026, 12, 3)


def test_google_invitation_beats_auto_submitted() -> None:
    path = CORPUS / "invitation" / "google_invitation_auto_submitted.eml"
    verdict = classify(path.read_bytes())
    assert verdict.mail.header("auto-submitted") == "auto-generated"
    assert (verdict.kind, verdict.rule) == (Kind.INVITATION, "calendar")


def test_calendar_method_from_body_not_param() -> None:
    ics = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    assert calendar_method(ics, "REQUEST") == "CANCEL"
    assert calendar_method("BEGIN:VCALENDAR\r\nEND:VCALENDAR", "reply") == "REPLY"
    assert calendar_method("BEGIN:VCALENDAR\r\nMETH\r\n OD:COUNTER\r\n", "") == "COUNTER"


def test_calendar_without_method_falls_through() -> None:
    ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    raw = make_mail({**BASE, "Content-Type": "text/calendar"}, ics)
    assert classify(raw).kind is Kind.HUMAN


def test_forwarded_invitation_inside_rfc822_is_not_an_invitation() -> None:
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nFYI, see below.\r\n--b\r\n"
        "Content-Type: message/rfc822\r\n\r\nSubject: inv\r\nContent-Type: text/calendar\r\n\r\n"
        "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n--b--\r\n"
    )
    raw = make_mail({**BASE, "Content-Type": 'multipart/mixed; boundary="b"'}, body)
    assert classify(raw).kind is Kind.HUMAN


def test_text_bounce_needs_a_mail_system_sign() -> None:
    body = "The message could not be delivered: user unknown."
    assert _verdict({"Subject": "Undeliverable: x"}, body)[0] is Kind.HUMAN
    bounce = {"Subject": "Undeliverable: x", "From": "MAILER-DAEMON@example.org"}
    assert _verdict(bounce, body) == (Kind.BOUNCE, "text_bounce")
    assert _verdict({"X-Failed-Recipients": "a@example.org"}) == (Kind.BOUNCE, "text_bounce")


def test_human_mentioning_bounce_words_stays_human() -> None:
    body = "My last mail to Bo was not delivered, so I'm asking you instead."
    assert _verdict({}, body) == (Kind.HUMAN, "human")


def test_oversized_is_classified_from_headers() -> None:
    raw = make_mail({**BASE, "Auto-Submitted": "auto-replied"}, "x" * 5000)
    verdict = classify(raw, max_bytes=1000)
    assert verdict.kind is Kind.AUTO_REPLY
    assert "oversized" in verdict.mail.parse_defects
    assert verdict.mail.text_new == ""


def test_too_many_parts_is_classified_from_headers() -> None:
    parts = "".join("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(50))
    raw = make_mail({**BASE, "Content-Type": 'multipart/mixed; boundary="b"'}, parts + "--b--")
    verdict = classify(raw, max_parts=20)
    assert verdict.kind is Kind.HUMAN
    assert "too-many-parts" in verdict.mail.parse_defects
    assert classify(raw).mail.part_count == 51


def test_absurd_nesting_does_not_raise() -> None:
    depth = 2000
    head = "".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n" for i in range(depth)
    )
    raw = make_mail(BASE, head + "Content-Type: text/plain\r\n\r\nhi")
    verdict = classify(raw, max_parts=10_000)
    assert verdict.kind is Kind.HUMAN
    assert {"too-deep"} & set(verdict.mail.parse_defects) or verdict.mail.part_count <= 10_000
    assert "too-many-parts" in classify(raw).mail.parse_defects


def test_nested_message_rfc822_bomb() -> None:
    raw = make_mail(BASE, "Content-Type: message/rfc822\r\n\r\n" * 3000 + "hi")
    assert classify(raw).kind is Kind.HUMAN


def test_headers_are_decoded_and_control_chars_stripped() -> None:
    raw = make_mail(
        {
            "From": "=?utf-8?q?J=C3=BCrgen_=0D=0AX?= <JUERGEN@Example.DE>",
            "Subject": "=?utf-8?b?SGVsbG8NCkJjYzogeEBleGFtcGxlLm9yZw==?=",
            "To": "a@example.org, B <b@example.org>",
            "Cc": "c@example.org",
            "Message-ID": "<id-1@example.de>",
            "References": "<r1@x> <r2@x>\r\n <r3@x>",
            "In-Reply-To": "garbage <r3@x> trailing",
            "Date": "Fri, 20 Nov 2026 10:00:00 +0100",
        }
    )
    mail = parse_mail(raw)
    assert mail.subject == "Hello Bcc: x@example.org"
    assert mail.from_name == "Jürgen X"
    assert mail.from_addrs == ("juergen@example.de",)
    assert mail.to_addrs == ("a@example.org", "b@example.org")
    assert mail.cc_addrs == ("c@example.org",)
    assert mail.references == ("<r1@x>", "<r2@x>", "<r3@x>")
    assert mail.in_reply_to == "<r3@x>"
    assert mail.date is not None and mail.date.utcoffset() is not None


def test_naive_or_bad_date_is_none() -> None:
    assert parse_mail(make_mail({**BASE, "Date": "yesterday"})).date is None
    assert parse_mail(make_mail({**BASE, "Date": "Fri, 20 Nov 2026 10:00:00"})).date is None
    utc = parse_mail(make_mail({**BASE, "Date": "Fri, 20 Nov 2026 10:00:00 -0000"})).date
    assert utc is not None and utc.utcoffset() is not None


def test_unreadable_input() -> None:
    for raw in (b"", b"\x00\xff" * 100, b"\r\n\r\njust text"):
        assert classify(raw).kind is Kind.UNREADABLE


def test_a_failing_rule_is_noted_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("bug")

    import coffeechat.models.classify.rules as rules

    monkeypatch.setattr(rules, "RULES", (("boom", boom), *rules.RULES))
    verdict = run_chain(parse_mail(make_mail(BASE)))
    assert verdict.kind is Kind.HUMAN
    assert "rule boom failed: RuntimeError" in verdict.notes


def test_classify_parsed_matches_classify() -> None:
    raw = (CORPUS / "bounce" / "qmail_failure_notice.eml").read_bytes()
    assert classify_parsed(parse_mail(raw), today=TODAY) == classify(raw, today=TODAY)
