"""Stand-ins for messages that defeat the parsers, run inside the real classification child.

Set ``COFFEECHAT_CLASSIFY_HOOK=tests.integration.poison.hooks:poison``; a message carrying an
``X-Poison:`` header then behaves as its value says, before the real classifier sees it.
``COFFEECHAT_TEST_POISON_MARK`` (a path) is written with the child's pid when a poison starts.
"""

from __future__ import annotations

import os
import re
import signal
import time

_SHAPE = re.compile(rb"(?im)^x-poison:[ \t]*([a-z]+)")


def poison(raw: bytes) -> None:
    """Loop, allocate, block or crash, as the message's X-Poison header asks."""
    found = _SHAPE.search(raw[:4096])
    if found is None:
        return
    mark = os.environ.get("COFFEECHAT_TEST_POISON_MARK")
    if mark:
        with open(mark, "w") as out:
            out.write(str(os.getpid()))
    shape = found.group(1).lower()
    if shape == b"spin":
        while True:
            pass
    if shape == b"memory":
        hoard = []
        while True:
            hoard.append(bytearray(64 << 20))
    if shape == b"block":
        while True:
            time.sleep(1)
    if shape == b"crash":
        os.kill(os.getpid(), signal.SIGSEGV)
