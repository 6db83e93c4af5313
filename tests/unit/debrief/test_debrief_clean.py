"""Quoted history, client headers and signatures cut from a reply; inline answers kept."""

from __future__ import annotations

from coffeechat.models.debrief.clean import Line, reply_lines


def own(text: str) -> list[str]:
    return [
        line.text for line in reply_lines(text, max_lines=2000) if line.text and not line.quoted
    ]


def test_gmail_attribution_cuts_the_quoted_request() -> None:
    text = (
        "Advice: go\n\nOn Fri, 4 Dec 2026 at 17:02, coffeechat <me@x.org> wrote:\n> Their advice:\n"
    )
    assert own(text) == ["Advice: go"]


def test_attribution_wrapped_over_two_lines() -> None:
    text = "Advice: go\nOn Fri, 4 Dec 2026 at 17:02, coffeechat <\nme@x.org> wrote:\n> Advice:\n"
    assert own(text) == ["Advice: go"]


def test_german_and_french_attributions() -> None:
    de = "Tipps: x\nAm Fr., 4. Dez. 2026 um 17:00 Uhr schrieb coffeechat <jo@b.de>:\n> Gelernt:\n"
    fr = "Conseils : x\nLe 4 déc. 2026 à 17:00, coffeechat <c@e.fr> a écrit :\n> Appris :\n"
    assert own(de) == ["Tipps: x"]
    assert own(fr) == ["Conseils : x"]


def test_outlook_header_block_and_separators() -> None:
    outlook = "Tips: x\n____________________\nFrom: coffeechat\nSent: Friday\nAdvice:\n"
    classic = "Tips: x\n-----Original Message-----\nFrom: coffeechat\nAdvice: old\n"
    french = "Conseils : x\nDe : coffeechat <a@b.fr>\nEnvoyé : vendredi\nÀ : moi\nConseils :\n"
    assert own(outlook) == ["Tips: x"]
    assert own(classic) == ["Tips: x"]
    assert own(french) == ["Conseils : x"]


def test_a_from_line_in_the_answer_is_not_a_header() -> None:
    assert own("From: what she said, the team is small\nAdvice: x\n") == [
        "From: what she said, the team is small",
        "Advice: x",
    ]


def test_inline_answers_between_quoted_headings_are_kept() -> None:
    text = "On Fri, 4 Dec, coffeechat <a@b.c> wrote:\n> Their advice:\nGo to meetups\n> Next:\n"
    lines = reply_lines(text, max_lines=100)
    assert Line("Their advice:", True) in lines
    assert own(text) == ["Go to meetups"]


def test_signatures() -> None:
    assert own("Tips: x\n-- \nJo Marsh\n+44 7700 900123\n") == ["Tips: x"]
    assert own("Tips: x\n\nSent from my iPhone\n") == ["Tips: x"]
    assert own("Tips: x\nGet Outlook for iOS\n") == ["Tips: x"]
    assert own("Tipps: x\nVon meinem iPhone gesendet\n") == ["Tipps: x"]
    assert own("Conseils : x\nEnvoyé de mon iPhone\n") == ["Conseils : x"]


def test_sign_offs_at_the_end_only() -> None:
    assert own("Tips: x\n\nCheers,\nJo\n") == ["Tips: x"]
    assert own("Tipps: x\nLG Jo\n") == ["Tipps: x"]
    assert own("Tips: x\nBest regards\n") == ["Tips: x"]
    assert own("Tips: x\n-Sam\n") == ["Tips: x"]
    assert own("Thanks for the tip on meetups, she said\nTips: x\n") == [
        "Thanks for the tip on meetups, she said",
        "Tips: x",
    ]
    assert own("Learned:\n- love the team\n") == ["Learned:", "- love the team"]


def test_line_budget() -> None:
    assert len(reply_lines("word\n" * 10_000, max_lines=50)) == 50
    assert len(reply_lines("y" * 10_000, max_lines=50)[0].text) == 2000


def test_german_sign_off_with_sharp_s() -> None:
    assert own("Tipps: x\n\nBeste Grüße\n") == ["Tipps: x"]


def test_a_sentence_ending_in_wrote_is_not_an_attribution() -> None:
    text = "On the call she wrote:\nnetworking beats applying\n"
    assert own(text) == ["On the call she wrote:", "networking beats applying"]


def test_sign_off_before_the_quoted_rest_of_an_inline_reply() -> None:
    tail = "> Only their advice and the people they named may be quoted\n"
    text = "On 4 Dec, c <a@b.c> wrote:\n> Next step:\nApply\n\nThanks\nJo\n" + tail
    assert own(text) == ["Apply"]


def test_many_postscripts_do_not_recurse() -> None:
    lines = reply_lines("P.S. she offered to help\n" * 5000, max_lines=2000)
    assert len(lines) == 2000
    assert lines[0].text == "she offered to help"


def test_a_forwarded_debrief_is_read_after_its_header_block() -> None:
    text = (
        "---------- Forwarded message ---------\nFrom: Maya <m@x.org>\nDate: Fri, Dec 4, 2026\n"
        "Subject: Re: How did it go?\nTo: coffeechat <d@c.org>\n\nAdvice: get the CKA\n\n"
        "On Fri, Dec 4, 2026 at 5 PM coffeechat <d@c.org> wrote:\n> Their advice:\n"
    )
    assert own(text) == ["Advice: get the CKA"]


def test_a_forward_below_the_users_words_is_history() -> None:
    text = "Advice: x\n\n---------- Forwarded message ---------\nFrom: a@b.org\nTo: c@d.org\ny"
    assert own(text) == ["Advice: x"]


def test_dutch_attribution() -> None:
    text = "Advice: x\n\nOp vr 4 dec 2026 om 17:00 schreef coffeechat <d@c.org>:\ny\n"
    assert own(text) == ["Advice: x"]
