"""The new part of a reply (quoting), referrals in it, and opt-out phrases."""

from __future__ import annotations

import pytest

from coffeechat.models.classify import parse_mail
from coffeechat.models.classify.optout import opt_out_phrase
from coffeechat.models.classify.quoting import html_to_text, new_text
from coffeechat.models.classify.referrals import suggested_addresses
from tests.unit.classify.mailkit import make_mail

HEAD = {"From": "Jane <jane@example.com>", "To": "sam@example.net", "Subject": "Re: hi"}


@pytest.mark.parametrize(
    "body",
    [
        "Sure!\n\nOn Tue, Nov 10, 2026 at 9:00 AM Sam <sam@example.net> wrote:\n"
        "> quoted@example.org",
        "Sure!\n\nOn Tue, Nov 10, 2026 at 9:00 AM Sam Rivera <\nsam@example.net> wrote:\n\n"
        "quoted@example.org",
        "Sure!\n> quoted@example.org\n>> quoted@example.org",
        "Sure!\n-----Original Message-----\nFrom: Sam\nquoted@example.org",
        "Sure!\n\nFrom: Sam Rivera <sam@example.net>\nSent: Tuesday\nTo: Jane\nSubject: hi\n\n"
        "quoted@example.org",
        "Sure!\n________________________________\nVon: Sam\nGesendet: Dienstag\nquoted@example.org",
        "Sure!\nLe mar. 10 nov. 2026 à 09:00, Sam <sam@example.net> a écrit :\nquoted@example.org",
        "Sure!\nEl mar, 10 nov 2026 a las 9:00, Sam (<sam@example.net>) escribió:\n"
        "quoted@example.org",
        "Sure!\nDen 10 nov. 2026 kl. 09:00 skrev Sam <sam@example.net>:\nquoted@example.org",
        "Sure!\nOp di 10 nov. 2026 om 09:00 schreef Sam <sam@example.net>:\nquoted@example.org",
        "Sure!\n---------- Forwarded message ---------\nFrom: x\nquoted@example.org",
    ],
)
def test_quoted_history_is_not_new_text(body: str) -> None:
    assert new_text(body) == "Sure!"


def test_interleaved_reply_keeps_unquoted_lines() -> None:
    body = "> question one?\nAnswer one.\n> question two?\nAnswer two."
    assert new_text(body) == "Answer one.\nAnswer two."


def test_prose_mentioning_wrote_is_not_a_quote_header() -> None:
    body = "On second thought, I agree with what you wrote\nand more."
    assert new_text(body) == body


@pytest.mark.parametrize(
    "marker",
    [
        '<div class="gmail_quote">',
        '<blockquote type="cite">',
        '<div id="divRplyFwdMsg">',
        '<div id="appendonsend"></div>',
        '<div class="yahoo_quoted">',
        '<div class="moz-cite-prefix">',
    ],
)
def test_html_quote_markers_cut_the_history(marker: str) -> None:
    html = f"<p>New text &amp; more</p>{marker}old@example.org</div>"
    assert html_to_text(html) == "New text & more"


def test_html_keeps_mailto_targets_and_drops_scripts() -> None:
    html = '<style>p{}</style><p>Ask <a href="mailto:bo@example.org?subject=x">Bo</a></p>'
    assert html_to_text(html) == "Ask Bo (bo@example.org)"


def test_referrals_only_from_new_part() -> None:
    body = (
        "Talk to ana@example.org and Li <li@example.org>. Cc'd jane@example.com already.\n"
        "On Tue, Nov 10, 2026 at 9:00 AM Sam <sam@example.net> wrote:\n> ask old@example.org"
    )
    mail = parse_mail(make_mail(HEAD, body))
    assert suggested_addresses(mail) == ("ana@example.org", "li@example.org")


def test_referrals_skip_robots_recipients_and_signature() -> None:
    body = (
        "Write to noreply@example.org or sam@example.net? No: bo@example.org.\n"
        "-- \nJane | jane.assistant@example.com"
    )
    mail = parse_mail(make_mail(HEAD, body))
    assert suggested_addresses(mail) == ("bo@example.org",)


@pytest.mark.parametrize(
    "text",
    [
        "Please do not contact me again.",
        "Please don't email me anymore.",
        "Stop emailing me.",
        "Remove me from your list.",
        "Take me off your mailing list please",
        "Thanks, but I'm not interested.",
        "Not interested",
        "No further contact, please.",
        "Bitte kontaktieren Sie mich nicht mehr.",
        "Merci de ne plus me contacter.",
        "Por favor, no me contactes más.",
        "Neem geen contact meer met mij op.",
        "Kontakta mig inte igen.",
    ],
)
def test_opt_out_phrases(text: str) -> None:
    assert opt_out_phrase(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Please don't hesitate to contact me.",
        "Please don't contact me until after the 5th, I'm travelling.",
        "Don't email me at work; use my personal address.",
        "I'm not interested in leaving my job, but happy to chat.",
        "Let me know if you're not interested in the role.",
        "Happy to help, Tuesday works.",
        "Not that I'm not interested!",
    ],
)
def test_not_opt_out(text: str) -> None:
    assert opt_out_phrase(text) is None


def test_opt_out_in_quoted_text_does_not_count() -> None:
    from coffeechat.models.classify import classify

    body = (
        "Sure, let's talk.\n\nOn Mon, Nov 9, 2026 at 9:00 AM Sam <s@example.net> wrote:\n"
        "> if you're not interested, no worries\n> Please do not contact me again."
    )
    assert classify(make_mail(HEAD, body)).opt_out is False
