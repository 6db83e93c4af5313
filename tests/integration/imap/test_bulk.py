"""10,000 headers in bulk: our fetch_headers against raw imaplib UID FETCHes of the same folder."""

from __future__ import annotations

import imaplib
import time
from collections.abc import Callable

from coffeechat.integrations.imap import Mailbox
from coffeechat.integrations.imap.fetch import HEADER_ITEMS
from tests.integration.imap.conftest import make_message
from tests.testbed import Mailbox as Account

COUNT = 10_000
PLAIN_ITEMS = "(BODY.PEEK[HEADER])"


def _timed(work: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _raw_fetch(client: imaplib.IMAP4, items: str) -> int:
    typ, data = client.uid("FETCH", "1:*", items)
    assert typ == "OK"
    return sum(1 for item in data if isinstance(item, tuple))


def test_fetch_10k_headers_close_to_raw_imaplib(mailbox: Account, imap: Mailbox) -> None:
    started = time.perf_counter()
    mailbox.seed_maildir([make_message(n) for n in range(COUNT)])
    seeded = time.perf_counter() - started
    uids = imap.uids_after("INBOX", 0)
    assert len(uids) == COUNT
    contenders: dict[str, Callable[[], int]] = {
        "ours": lambda: sum(1 for _ in imap.fetch_headers("INBOX", uids)),
    }
    raw = imaplib.IMAP4_SSL(mailbox.host, mailbox.ssl_port, ssl_context=mailbox.ssl_context())
    try:
        raw.login(mailbox.user, mailbox.password)
        raw.select("INBOX", readonly=True)
        contenders["raw"] = lambda: _raw_fetch(raw, PLAIN_ITEMS)
        contenders["raw_same_items"] = lambda: _raw_fetch(raw, HEADER_ITEMS)
        for work in contenders.values():
            work()  # warm Dovecot's caches for every contender alike
        # Interleaved, best of 5: this machine's noise then hits all contenders alike.
        runs: dict[str, list[tuple[float, int]]] = {name: [] for name in contenders}
        for _ in range(5):
            for name, work in contenders.items():
                runs[name].append(_timed(work))
    finally:
        raw.logout()
    best = {name: min(times) for name, times in runs.items()}
    poll_s = min(_timed(lambda: len(imap.uids_after("INBOX", uids[-1])))[0] for _ in range(20))
    ours, plain, same = best["ours"][0], best["raw"][0], best["raw_same_items"][0]
    print(
        f"\nseed {COUNT} via Maildir {seeded:.2f} s\n"
        f"raw imaplib UID FETCH 1:* {PLAIN_ITEMS}: {plain:.3f} s\n"
        f"raw imaplib UID FETCH 1:* {HEADER_ITEMS}: {same:.3f} s\n"
        f"ours fetch_headers (chunks of 2000, parsed to HeaderItem): {ours:.3f} s "
        f"= {ours / plain:.2f}x raw headers-only, {ours / same:.2f}x raw same items\n"
        f"nothing-new poll (NOOP + UID SEARCH): {poll_s * 1000:.2f} ms"
    )
    assert {count for _, count in best.values()} == {COUNT}
    # The brief's bar is ~1.5x the headers-only fetch; the slack absorbs this shared machine's
    # noise (the same command varies by +-30% between runs here).
    assert ours < 1.5 * plain + 0.15
    assert imap.uids_after("INBOX", uids[-1]) == []
