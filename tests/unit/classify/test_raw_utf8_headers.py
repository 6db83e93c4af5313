"""Raw 8-bit UTF-8 in headers (RFC 6532, sent by many clients) decodes to the real text."""

from __future__ import annotations

from coffeechat.models.classify import inspect_mail, parse_mail

RAW = (
    "From: José Núñez <jose@example.es>\r\nTo: sam@example.net\r\n"
    "Subject: Re: Un café pour parler ?\r\nMessage-ID: <u1@example.es>\r\n\r\nOui !\r\n"
).encode()


def test_raw_utf8_subject_and_name() -> None:
    mail = parse_mail(RAW)
    assert mail.subject == "Re: Un café pour parler ?"
    assert mail.from_name == "José Núñez" and mail.from_addrs == ("jose@example.es",)
    assert "\ufffd" not in str(inspect_mail(RAW))
