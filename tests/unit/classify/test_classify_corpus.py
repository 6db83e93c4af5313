"""Every fixture through inspect_mail: the directory is the expected kind; some carry details."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coffeechat.models.classify import Kind, classify, inspect_mail, render_text
from tests.unit.classify.mailkit import CORPUS, OUR_ID, TODAY, corpus_files

FILES = corpus_files()

# Details beyond the kind for fixtures where they matter: field -> expected value.
DETAILS: dict[str, dict[str, object]] = {
    "auto_reply/exchange_ooo_subject_only": {
        "rule": "autoreply_subject",
        "return_date": "2026-12-03",
    },
    "auto_reply/exchange_ooo_auto_submitted": {
        "rule": "auto_submitted",
        "return_date": "2027-01-16",
    },
    "auto_reply/exchange_rules_loop_plain_subject": {"rule": "exchange_rules_loop"},
    "auto_reply/gmail_vacation_responder": {"return_date": "2026-12-11"},
    "auto_reply/apple_icloud_vacation_french": {
        "rule": "apple_vacation",
        "return_date": "2027-01-02",
    },
    "auto_reply/german_abwesenheitsnotiz": {"return_date": "2027-01-05"},
    "auto_reply/german_automatische_antwort": {"return_date": "2026-12-07"},
    "auto_reply/french_reponse_automatique": {"return_date": "2027-01-05"},
    "auto_reply/spanish_respuesta_automatica": {"return_date": "2027-01-08"},
    "auto_reply/swedish_autosvar": {"return_date": "2027-01-07"},
    "auto_reply/dutch_automatisch_antwoord": {"return_date": "2027-01-11"},
    "auto_reply/japanese_iso2022jp_autoreply": {"return_date": "2026-12-08"},
    "auto_reply/out_of_office_weak_subject_with_body": {"rule": "autoreply_subject"},
    "auto_reply/mailman_list_post": {"rule": "precedence"},
    "auto_reply/newsletter_list_unsubscribe": {"rule": "list_headers"},
    "auto_reply/null_return_path_autoresponder": {"rule": "null_sender"},
    "bounce/postfix_dsn_user_unknown": {
        "rule": "dsn_failed",
        "failed_recipients": ["jane.doe@example.com"],
        "original_message_id": OUR_ID,
    },
    "bounce/exim_text_failed_recipients": {
        "rule": "text_bounce",
        "failed_recipients": ["zoe.adams@example.com"],
        "original_message_id": OUR_ID,
    },
    "bounce/qmail_failure_notice": {"failed_recipients": ["ben@example.org"]},
    "bounce/yahoo_failure_notice": {"failed_recipients": ["henrik.berg@example.no"]},
    "bounce/domino_delivery_failure": {"failed_recipients": ["lars.holm@example.com"]},
    "bounce/gmail_legacy_text_bounce": {"failed_recipients": ["olivia.park@example.com"]},
    "bounce/partial_failed_and_delivered": {
        "failed_recipients": ["jane.doe@example.com"],
        "notes": ["partial"],
    },
    "bounce/global_delivery_status_smtputf8": {"failed_recipients": ["jörg@example.de"]},
    "bounce/bounce_of_our_calendar_invitation": {
        "original_message_id": "<invite.20261118.aa11@coffeechat.example.net>",
        "calendar_method": None,
    },
    "delay_notice/success_dsn_delivered": {"rule": "dsn_delivered"},
    "complaint/arf_abuse_headers_only": {
        "original_message_id": OUR_ID,
        "complainants": ["olivia.park@example.com"],
    },
    "invitation/google_invitation_auto_submitted": {"calendar_method": "REQUEST"},
    "cancellation/content_type_method_wrong_body_cancel": {"calendar_method": "CANCEL"},
    "cancellation/outlook_request_with_status_cancelled": {"calendar_method": "REQUEST"},
    "attendee_response/outlook_new_time_proposed_counter": {"calendar_method": "COUNTER"},
    "human/gmail_reply_with_quote_and_referral": {
        "suggested_addresses": ["priya.n@example.org"],
        "in_reply_to": OUR_ID,
    },
    "human/outlook_original_message_block": {"suggested_addresses": ["dana.whitfield@example.net"]},
    "human/outlook_web_html_divrplyfwdmsg": {"suggested_addresses": ["ea.office@example.com"]},
    "human/german_reply_am_schrieb": {"suggested_addresses": ["felix.braun@example.de"]},
    "human/html_only_gmail_reply_with_mailto_label": {
        "suggested_addresses": ["omar.haddad@example.com"]
    },
    "human/please_dont_contact_me": {"opt_out": True},
    "human/not_interested_thanks": {"opt_out": True},
    "human/german_opt_out_kein_interesse": {"opt_out": True},
    "human/not_interested_in_moving_still_chat": {"opt_out": False},
    "human/spoofed_two_from_addresses": {"from": ["jane.doe@example.com", "mallory@example.net"]},
    "human/spoofed_display_name_address": {"from": ["mallory@example.net"]},
    "human/encoded_subject_with_crlf": {"subject": "Re: Coffee Bcc: victim@example.org"},
    "human/windows1252_smart_quotes": {
        "excerpt": "I’d be happy to help – how about Wednesday? “Coffee” is on me."
    },
    "human/unknown_charset_8bit": {"defects": ["unknown-charset:x-mac-polish-2020"]},
}


def _key(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_corpus_is_big_and_covers_every_kind() -> None:
    assert len(FILES) >= 60
    assert {p.parent.name for p in FILES} == {k.value for k in Kind}


def test_every_detail_names_a_fixture() -> None:
    assert set(DETAILS) <= {_key(p) for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_fixture_kind_through_inspect(path: Path) -> None:
    summary = inspect_mail(path.read_bytes(), today=TODAY)
    assert summary["kind"] == path.parent.name, summary
    json.dumps(summary)  # --json must always work
    assert render_text(summary)
    for field, expected in DETAILS.get(_key(path), {}).items():
        assert summary[field] == expected, (field, summary)


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_fixture_header_only_never_raises(path: Path) -> None:
    # the size cap falls back to the headers: the verdict may differ but must come
    verdict = classify(path.read_bytes(), today=TODAY, max_bytes=200)
    assert verdict.kind in Kind
    if path.stat().st_size > 200:
        assert "oversized" in verdict.mail.parse_defects


def test_corpus_root_exists() -> None:
    assert CORPUS.is_dir()
