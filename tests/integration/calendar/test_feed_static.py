"""An .ics feed from a plain static file server: no ETag, only Last-Modified/If-Modified-Since.

The server is Python's own `http.server` (what `python3 -m http.server` runs), serving a
directory; a variant drops Last-Modified too, so neither validator is sent.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from coffeechat.integrations.calendar import IcsFeedSource, SourceState
from tests.integration.calendar.ics import WINDOW, vcalendar, vevent
from tests.testbed.ports import LOOPBACK

FIRST = vcalendar(vevent("a@x", "20300310T150000Z", "20300310T160000Z", "Coffee with Ana"))
SECOND = vcalendar(vevent("a@x", "20300310T160000Z", "20300310T170000Z", "Coffee with Ana"))


@dataclass
class StaticServer:
    """A directory served over loopback HTTP; `seen` holds (If-Modified-Since, status)."""

    root: Path
    with_last_modified: bool = True
    seen: list[tuple[str | None, int]] = field(default_factory=list)
    url: str = ""

    def publish(self, text: str, mtime: float) -> None:
        path = self.root / "feed.ics"
        path.write_text(text)
        os.utime(path, (mtime, mtime))


@pytest.fixture(params=[True, False], ids=["last-modified-only", "no-validators"])
def static(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StaticServer]:
    server = StaticServer(tmp_path, with_last_modified=request.param)

    class Handler(SimpleHTTPRequestHandler):
        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() == "last-modified" and not server.with_last_modified:
                return
            super().send_header(keyword, value)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            server.seen.append((self.headers.get("If-Modified-Since"), int(code)))

    httpd = ThreadingHTTPServer((LOOPBACK, 0), partial(Handler, directory=str(tmp_path)))
    httpd.daemon_threads = True
    server.url = f"http://{LOOPBACK}:{httpd.server_address[1]}/feed.ics"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_static_feed_without_etag(static: StaticServer) -> None:
    source = IcsFeedSource("static", static.url)
    past = time.time() - 100
    static.publish(FIRST, past)

    first = source.fetch(SourceState(), WINDOW)
    assert first.changed and first.data == (FIRST.encode(),)
    assert first.state.etag is None
    assert (first.state.last_modified is not None) == static.with_last_modified

    again = source.fetch(first.state, WINDOW)
    assert not again.changed and again.data == ()
    if static.with_last_modified:  # a 304 with no ETag: the Last-Modified is kept
        assert static.seen[-1] == (first.state.last_modified, 304)
        assert again.state.last_modified == first.state.last_modified
    else:  # a 200 with neither header: the same bytes are "unchanged" by their digest
        assert static.seen[-1] == (None, 200)

    static.publish(SECOND, past + 10)
    moved = source.fetch(again.state, WINDOW)
    assert moved.changed and moved.data == (SECOND.encode(),)
    assert static.seen[-1][1] == 200


def test_a_rewrite_within_the_same_second_is_not_missed(tmp_path: Path) -> None:
    server = StaticServer(tmp_path)

    class Handler(SimpleHTTPRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            server.seen.append((self.headers.get("If-Modified-Since"), int(code)))

    httpd = ThreadingHTTPServer((LOOPBACK, 0), partial(Handler, directory=str(tmp_path)))
    url = f"http://{LOOPBACK}:{httpd.server_address[1]}/feed.ics"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        source = IcsFeedSource("static", url)
        # Both writes in one second (a whole second after the response's Date, so the test
        # does not depend on when the clock ticks): the file's time cannot tell them apart.
        second = float(int(time.time()) + 5)
        server.publish(FIRST, second)
        first = source.fetch(SourceState(), WINDOW)
        server.publish(SECOND, second)
        later = source.fetch(first.state, WINDOW)
        assert later.changed and later.data == (SECOND.encode(),)
    finally:
        httpd.shutdown()
        httpd.server_close()
