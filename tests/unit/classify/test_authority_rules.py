"""Pure authority rules: the provider tally, and when a complaint may change a contact."""

from __future__ import annotations

from coffeechat.models.classify import ThreadContext, classify
from coffeechat.models.interviews.authority import AuthTally, complaint_has_authority
from tests.unit.classify.mailkit import OUR_ID, TODAY, make_mail

CTX = ThreadContext(
    our_message_ids=frozenset({OUR_ID}),
    contact_addresses={"jane.doe@example.com": 1},
    outreach_recipients={1: frozenset({"jane.doe@example.com"})},
)
USER = frozenset({"sam@example.net"})


def _header(authserv: str) -> bytes:
    return f"Authentication-Results: {authserv}; spf=pass\r\nFrom: a@b.c\r\n\r\nbody".encode()


def test_tally_learns_the_id_on_top_of_most_mail() -> None:
    tally = AuthTally().add([_header("mx.example.net")] * 9 + [_header("evil.example")])
    assert tally.trusted == frozenset({"mx.example.net"})
    assert AuthTally().add([_header("mx.example.net")] * 9).trusted == frozenset()


def test_tally_ignores_mail_without_results_and_round_trips() -> None:
    tally = AuthTally().add([b"From: a@b.c\r\n\r\nx", _header("mx.example.net")])
    assert tally.messages == 1
    assert AuthTally.from_dict(tally.to_dict()) == tally
    assert AuthTally.from_dict("garbage") == AuthTally()
    assert AuthTally.from_dict({"counts": {"a": "x"}}) == AuthTally()


def test_tally_is_bounded() -> None:
    tally = AuthTally().add(_header(f"mx{n}.example") for n in range(500))
    assert len(tally.counts) <= 20 and tally.messages == 500


def _arf(sender: str, original: str, auth: str = "") -> bytes:
    head = f"Authentication-Results: {auth}\r\n" if auth else ""
    return (
        f"{head}From: {sender}\r\nTo: sam@example.net\r\nSubject: report\r\n"
        "Message-ID: <r1@x>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="A"\r\n\r\n'
        "--A\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nOriginal-Rcpt-To: jane.doe@example.com\r\n\r\n"
        f"--A\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original}\r\n\r\n--A--\r\n"
    ).encode()


def test_complaint_naming_our_mail_has_authority() -> None:
    verdict = classify(_arf("abuse@anywhere.example", OUR_ID), today=TODAY)
    assert complaint_has_authority(CTX, verdict, USER)


def test_stranger_complaint_has_none() -> None:
    verdict = classify(_arf("abuse@attacker.example", "<other@x>"), today=TODAY)
    assert not complaint_has_authority(CTX, verdict, USER)


def test_provider_feedback_loop_needs_authentication_and_the_providers_domain() -> None:
    trusted = frozenset({"mx.example.net"})
    ok = "mx.example.net; dkim=pass header.d=example.net; dmarc=pass"
    loop = classify(_arf("fbl@example.net", "<x@y>", ok), today=TODAY, trusted_authserv=trusted)
    assert complaint_has_authority(CTX, loop, USER)
    # the same report, unauthenticated, or from another domain, or a forged "pass"
    plain = classify(_arf("fbl@example.net", "<x@y>"), today=TODAY, trusted_authserv=trusted)
    assert not complaint_has_authority(CTX, plain, USER)
    other = classify(_arf("fbl@evil.example", "<x@y>", ok), today=TODAY, trusted_authserv=trusted)
    assert not complaint_has_authority(CTX, other, USER)
    forged = ok.replace("mx.example.net", "evil.example")
    fake = classify(_arf("fbl@example.net", "<x@y>", forged), today=TODAY, trusted_authserv=trusted)
    assert not complaint_has_authority(CTX, fake, USER)


def test_a_human_message_never_has_complaint_authority_by_shape_alone() -> None:
    raw = make_mail({"From": "jane.doe@example.com", "Subject": "hi"})
    assert not complaint_has_authority(CTX, classify(raw, today=TODAY), USER)
