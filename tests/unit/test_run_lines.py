"""``run``'s effect lines (deployments/cli/run_lines.py): one line per contact, in words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from coffeechat.deployments.cli.run_lines import lines
from coffeechat.models.reports.activity import News, OutboxMove

NOW = datetime(2026, 12, 2, 13, 2, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
LATER = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _move(
    id_: int, kind: str, status: str, contact: tuple[int, str], error: str = ""
) -> OutboxMove:
    cid, name = contact
    return OutboxMove(
        id_, kind, status, f"{name.split()[0].lower()}@example.com", cid, name, error, LATER
    )


def test_a_reply_and_the_nudge_it_cancelled_are_one_line_at_local_time() -> None:
    ada = (1, "Ada Lovelace")
    news = News(
        events=[
            (1, "Ada Lovelace", "StateChanged", {"old": "requested", "new": "replied"}),
            (1, "Ada Lovelace", "ReplyReceived", {"message_id": "<r@x>", "rule": "human"}),
        ],
        outbox=[_move(7, "nudge", "cancelled", ada)],
    )
    assert lines(news, NOW, PARIS) == [
        "14:02 Ada Lovelace: requested → replied: reply from Ada Lovelace; nudge cancelled"
    ]


def test_outbox_moves_name_what_to_do() -> None:
    news = News(
        outbox=[
            _move(3, "thank_you", "pending", (2, "Grace Hopper")),
            _move(4, "outreach", "draft", (3, "Alan Kay")),
            _move(5, "update", "failed", (4, "Linus Slow"), "550 no such user"),
            _move(6, "thank_you", "sending", (2, "Grace Hopper")),
        ]
    )
    assert lines(news, NOW, PARIS) == [
        "14:02 Grace Hopper: thank-you to grace@example.com queued for Thu 3 Dec 09:00",
        "14:02 Alan Kay: request to alan@example.com in your Drafts: "
        "`coffeechat approve 4` sends it",
        "14:02 Linus Slow: update failed (550 no such user): `coffeechat review 5 resend|drop`",
    ]


def test_nothing_new_is_no_line() -> None:
    assert lines(News(), NOW, PARIS) == []


def test_unreadable_mail_and_sources_are_told() -> None:
    news = News(
        unreadable=[("eve@stranger.example", "Invoice", "over its budget (parts)")],
        failing=[("imap", "INBOX", "login refused")],
        recovered=[("calendar", "work")],
    )
    assert lines(news, NOW, PARIS) == [
        "14:02 unreadable mail from eve@stranger.example ('Invoice') kept, not acted on: "
        "over its budget (parts)",
        "14:02 imap INBOX failing: login refused (`coffeechat status` shows it until it works "
        "again)",
        "14:02 calendar work works again",
    ]
