"""Readable text from HTML mail in one forward pass, whatever the markup: linear in its length.

The classifier needs the words, the line breaks and the mailto targets, not a document tree.
Regular expressions over the whole body (``<script.*?</script>``, ``<a[^>]*href=...(.*?)</a>``)
rescan to the end for every tag that never closes, which makes a crafted 100 kB body cost
minutes. Here every search starts where the previous one ended, or reuses its answer: a tag is
``<`` up to the next ``>`` (at most ``MAX_TAG`` characters apart, as before), and the end of a
script, style, head or title is searched once per position, so the whole walk is O(n).
"""

from __future__ import annotations

import html
import re

MAX_TAG = 2000
_DROPPED = frozenset({"script", "style", "head", "title"})
_BREAKS = frozenset({"br", "/p", "/div", "/tr", "/li", "p", "div", "tr", "li"})
_NAME = re.compile(r"/?[A-Za-z][A-Za-z0-9]*")
_MAILTO = re.compile(r"\bhref=[\"']?mailto:([^\"'>?\s]+)", re.IGNORECASE)
_CLOSERS = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _DROPPED}
# Where a client starts the quoted history (Gmail, Apple, Outlook, Yahoo, Thunderbird): matched
# inside one tag's text, so never over more than MAX_TAG characters.
_QUOTE_TAG = re.compile(
    r"(?:div[^>]*class=\"?[^\">]*(?:gmail_quote|yahoo_quoted|moz-cite-prefix)"
    r"|blockquote|div[^>]*id=\"?(?:divRplyFwdMsg|appendonsend|mail-editor-reference-message-container)"
    r"|hr[^>]*id=\"?stopSpelling)",
    re.IGNORECASE,
)
_BLANKS = re.compile(r"\n{3,}")


class _Closers:
    """The next closing tag of each dropped element, searched forward once and remembered."""

    def __init__(self, markup: str) -> None:
        self._markup = markup
        self._found: dict[str, tuple[int, int, int]] = {}  # name -> (searched from, start, end)

    def after(self, name: str, pos: int) -> tuple[int, int] | None:
        """Start and end of the first ``</name>`` at or after pos, or None."""
        cached = self._found.get(name)
        if cached is not None and cached[0] <= pos and (cached[1] < 0 or cached[1] >= pos):
            return None if cached[1] < 0 else (cached[1], cached[2])
        found = _CLOSERS[name].search(self._markup, pos)
        span = found.span() if found else (-1, -1)
        self._found[name] = (pos, *span)
        return None if found is None else span


def _tag_name(tag: str) -> str:
    found = _NAME.match(tag)
    return found.group(0).lower() if found else ""


def quote_start(markup: str) -> int | None:
    """Offset of the first tag that opens quoted history, or None."""
    pos, gt = 0, -1
    while True:
        lt = markup.find("<", pos)
        if lt < 0:
            return None
        if gt < lt:
            gt = markup.find(">", lt)
            if gt < 0:
                return None
        if gt - lt <= MAX_TAG and _QUOTE_TAG.match(markup, lt + 1, gt):
            return lt
        pos = lt + 1 if gt - lt > MAX_TAG else gt + 1


def _walk(markup: str) -> list[str]:
    """Text pieces with tags removed, breaks as newlines and mailto targets after their label."""
    out: list[str] = []
    closers = _Closers(markup)
    pos, gt = 0, -1
    pending: str | None = None  # the address of an open <a href="mailto:...">
    while pos < len(markup):
        lt = markup.find("<", pos)
        if lt < 0:
            break
        if gt < lt:
            gt = markup.find(">", lt)
            if gt < 0:
                break  # no tag can end any more: the rest is text
        if gt - lt > MAX_TAG:
            out.append(markup[pos : lt + 1])  # a lone '<' is text, as a browser shows it
            pos = lt + 1
            continue
        out.append(markup[pos:lt])
        tag = markup[lt + 1 : gt]
        name = _tag_name(tag)
        pos = gt + 1
        if name in _DROPPED:
            closing = closers.after(name, pos)
            if closing is not None:
                pos = closing[1]
                out.append(" ")
                continue
        if name == "a":
            found = _MAILTO.search(tag)
            pending = found.group(1) if found else pending
        elif name == "/a" and pending is not None:
            out.append(f" ({pending})")
            pending = None
        if name in _BREAKS or (len(name) == 3 and name[:2] == "/h" and name[2].isdigit()):
            out.append("\n")
    out.append(markup[pos:])
    return out


def html_to_text(markup: str, *, drop_quotes: bool = True) -> str:
    """Readable text from HTML, keeping mailto targets; the quoted part dropped when asked."""
    if drop_quotes:
        cut = quote_start(markup)
        if cut is not None:
            markup = markup[:cut]
    text = html.unescape("".join(_walk(markup)))
    text = "\n".join(line.strip() for line in text.splitlines())
    return _BLANKS.sub("\n\n", text).strip()
