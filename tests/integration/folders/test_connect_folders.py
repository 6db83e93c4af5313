"""``coffeechat connect`` shows Sent and Drafts but never pins them in the config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.integration.connect.conftest import Connect, connect
from tests.integration.connect.test_connect import imap_args
from tests.testbed import Mailbox as BedMailbox

__all__ = ["connect"]  # the fixture, used by name


def first_run(connect: Connect, mailbox: BedMailbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CC_FOLDERS_PW", mailbox.password)  # later runs read the reference
    result = connect(*imap_args(mailbox), "--secret-store", "env:CC_FOLDERS_PW",
                     "--password-stdin", stdin=f"{mailbox.password}\n")  # fmt: skip
    assert result.code == 0, result.output
    assert "sent folder: Sent" in result.output
    assert "sent_folder" not in tomllib.loads(result.text)["imap"]
    return result.config


def test_a_pinned_name_the_server_no_longer_has_is_dropped(
    connect: Connect, mailbox: BedMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = first_run(connect, mailbox, monkeypatch)
    # What an older connect wrote, before the provider renamed the folder.
    config.write_text(
        config.read_text().replace("[imap]\n", '[imap]\nsent_folder = "INBOX.Sent"\n')
    )
    again = connect(*imap_args(mailbox))
    assert again.code == 0, again.output
    assert "sent folder: Sent" in again.output
    assert "sent_folder" not in tomllib.loads(again.text)["imap"]


def test_a_folder_typed_by_the_user_is_kept_or_refused(
    connect: Connect, mailbox: BedMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_run(connect, mailbox, monkeypatch)
    kept = connect(*imap_args(mailbox), "--sent-folder", "Drafts")
    assert kept.code == 0, kept.output
    assert "sent folder: Drafts" in kept.output
    assert tomllib.loads(kept.text)["imap"]["sent_folder"] == "Drafts"
    typo = connect(*imap_args(mailbox), "--sent-folder", "Snet")
    assert typo.code == 1 and "folder" in typo.output and "Snet" in typo.output
    assert tomllib.loads(typo.text)["imap"]["sent_folder"] == "Drafts"  # nothing written
