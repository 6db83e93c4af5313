"""Role assignment for servers without SPECIAL-USE (pure: Dovecot here always has it)."""

from __future__ import annotations

from imap_tools.folder import FolderInfo

from integrations.imap.folders import assign_roles


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
