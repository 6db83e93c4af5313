"""Role assignment for servers without SPECIAL-USE (pure: Dovecot here always has it)."""

from __future__ import annotations

from imap_tools.folder import FolderInfo

from coffeechat.integrations.imap.folders import assign_roles, parse_list_line


def _folder(name: str, *flags: str) -> FolderInfo:
    return FolderInfo(name, "/", ("\\HasNoChildren", *flags))


def test_names_used_when_no_attributes() -> None:
    listed = [_folder("INBOX"), _folder("INBOX.Sent Messages"), _folder("INBOX.Drafts")]
    assert assign_roles(listed, []) == {"sent": "INBOX.Sent Messages", "drafts": "INBOX.Drafts"}


def test_gmail_names_and_case() -> None:
    listed = [_folder("[Gmail]/Sent Mail"), _folder("[Gmail]/drafts")]
    assert assign_roles(listed, []) == {"sent": "[Gmail]/Sent Mail", "drafts": "[Gmail]/drafts"}


def test_attribute_beats_name_and_noselect_is_skipped() -> None:
    listed = [
        _folder("Sent"),
        _folder("Gesendet", "\\Sent"),
        FolderInfo("Drafts", "/", ("\\Noselect",)),
    ]
    special = [_folder("Entwürfe", "\\Drafts")]
    assert assign_roles(listed, special) == {"sent": "Gesendet", "drafts": "Entwürfe"}


def test_localised_names_match_whole_or_as_the_last_level() -> None:
    listed = [
        FolderInfo("INBOX", ".", ()),
        FolderInfo("INBOX.Éléments envoyés", ".", ("\\HasNoChildren",)),
        FolderInfo("INBOX.Brouillons", ".", ("\\HasNoChildren",)),
    ]
    assert assign_roles(listed, []) == {
        "sent": "INBOX.Éléments envoyés",
        "drafts": "INBOX.Brouillons",
    }
    german = [_folder("Gesendete Elemente"), _folder("Entwürfe"), _folder("Gesendet")]
    assert assign_roles(german, []) == {"sent": "Gesendete Elemente", "drafts": "Entwürfe"}


def test_list_lines_quoted_atom_literal_nil_and_extended_data() -> None:
    quoted = parse_list_line(b'(\\HasNoChildren \\Sent) "/" "Sent Items"')
    assert quoted == FolderInfo("Sent Items", "/", ("\\HasNoChildren", "\\Sent"))
    atom = parse_list_line(b'(\\Sent) "." INBOX.Sent')
    assert atom == FolderInfo("INBOX.Sent", ".", ("\\Sent",))
    # Modified UTF-7 on the wire, decoded here.
    french = parse_list_line(b'(\\Sent) "/" "&AMk-l&AOk-ments envoy&AOk-s"')
    assert french is not None and french.name == "Éléments envoyés"
    escaped = parse_list_line(b'() "/" "say \\"hi\\""')
    assert escaped is not None and escaped.name == 'say "hi"'
    literal = parse_list_line((b'(\\Drafts) "/" {12}', b"Entw&APw-rfe"))
    assert literal == FolderInfo("Entwürfe", "/", ("\\Drafts",))
    nil = parse_list_line(b"(\\Noselect) NIL Shared")
    assert nil == FolderInfo("Shared", "", ("\\Noselect",))
    extended = parse_list_line(b'(\\Sent) "/" "Sent Mail" ("CHILDINFO" ("SUBSCRIBED"))')
    assert extended is not None and extended.name == "Sent Mail"
    for junk in (b"", b"garbage", b'(\\Sent) "/" "unterminated', None, (b"x",)):
        assert parse_list_line(junk) is None


def test_attributes_only_in_the_special_use_listing_still_count() -> None:
    # A server that puts \Sent only in LIST ... RETURN (SPECIAL-USE): the plain LIST has none.
    listed = [_folder("INBOX"), _folder("Posteingang Gesendet"), _folder("Sent")]
    special = [_folder("Posteingang Gesendet", "\\Sent")]
    assert assign_roles(listed, special)["sent"] == "Posteingang Gesendet"
