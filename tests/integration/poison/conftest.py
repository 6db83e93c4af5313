"""An App wired to a fresh Dovecot mailbox and database, with the poison hook in reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from coffeechat.flows.steps import classify_worker
from coffeechat.flows.steps.classify_worker import HOOK_ENV

# The inbox suite's App on a fresh Dovecot mailbox and its logged-in session, found by name.
from tests.integration.inbox.conftest import app, imap  # noqa: F401

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
USER = "sam@example.net"
ADA = "ada@example.com"
OUTREACH = "<outreach-1@coffeechat.example.net>"
HOOK = "tests.integration.poison.hooks:poison"


@pytest.fixture
def hooked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages with an X-Poison header defeat classification (inside the real child)."""
    monkeypatch.setenv(HOOK_ENV, HOOK)


@pytest.fixture
def poison_mark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where a poison writes its child's pid when it starts (children started from now on)."""
    mark = tmp_path / "poison.pid"
    monkeypatch.setenv("COFFEECHAT_TEST_POISON_MARK", str(mark))
    classify_worker.shutdown()  # a kept child has the environment it was started with
    return mark


def message(sender: str, subject: str, body: str, *, mid: str, extra: str = "") -> bytes:
    """A small message dated a day before NOW."""
    return (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(NOW - timedelta(days=1))}\r\nMessage-ID: {mid}\r\n{extra}"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def ada_reply(n: int, poison: str = "") -> bytes:
    """Ada answering our outreach (with an X-Poison header when poison names a shape)."""
    extra = f"In-Reply-To: {OUTREACH}\r\nReferences: {OUTREACH}\r\n"
    if poison:
        extra += f"X-Poison: {poison}\r\n"
    return message(
        f"Ada Lovelace <{ADA}>",
        "Re: Coffee?",
        "Happy to chat!",
        mid=f"<ada-{n}@example.com>",
        extra=extra,
    )


def secondly_invitation(mid: str = "<invite-1@stranger.example>") -> bytes:
    """An iTIP REQUEST from a stranger whose event repeats every second, for ever."""
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//stranger//EN\r\nMETHOD:REQUEST\r\n"
        "BEGIN:VEVENT\r\nUID:forever@stranger.example\r\nDTSTAMP:20261101T000000Z\r\n"
        "DTSTART:20261101T090000Z\r\nDTEND:20261101T093000Z\r\nRRULE:FREQ=SECONDLY\r\n"
        f"SUMMARY:Sync\r\nORGANIZER:mailto:eve@stranger.example\r\n"
        f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{USER}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return (
        f"From: Eve <eve@stranger.example>\r\nTo: {USER}\r\nSubject: Invitation: Sync\r\n"
        f"Date: {format_datetime(NOW - timedelta(days=1))}\r\nMessage-ID: {mid}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n"
        f"\r\n{ics}"
    ).encode()
