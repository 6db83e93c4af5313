"""The linear rewrites decide exactly as the regular expressions they replaced, on any input.

Each reference below is the code as first written (it backtracked or restarted over attacker
text); hypothesis compares the two on the characters that matter to each scan.
"""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from coffeechat.models.classify.budget import (
    BLANK_LINES_KEPT,
    bound_blank_runs,
    decode_text,
    text_codec,
)
from coffeechat.models.classify.headers import _strip
from coffeechat.models.classify.htmltext import html_to_text
from coffeechat.models.inbox.relevance import RelevanceIndex, _addresses, relevance

# --- HTML: the regex pipeline this module replaced (well-formed markup must read the same) ---
_REF_QUOTE = re.compile(
    r"<div[^>]*class=\"?[^\">]*gmail_quote|<blockquote|<div[^>]*id=\"?divRplyFwdMsg"
    r"|<div[^>]*id=\"?appendonsend|<div[^>]*id=\"?mail-editor-reference-message-container"
    r"|<div[^>]*class=\"?[^\">]*yahoo_quoted|<div[^>]*class=\"?moz-cite-prefix"
    r"|<hr[^>]*id=\"?stopSpelling",
    re.IGNORECASE,
)
_REF_DROP = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_REF_MAILTO = re.compile(
    r"<a\b[^>]*href=[\"']?mailto:([^\"'>?\s]+)[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL
)
_REF_BREAK = re.compile(r"<(?:br|/p|/div|/tr|/li|/h\d|p|div|tr|li)\b[^>]*>", re.IGNORECASE)
_REF_TAG = re.compile(r"<[^>]{0,2000}>")


def _reference_html(markup: str, drop_quotes: bool) -> str:
    if drop_quotes and (found := _REF_QUOTE.search(markup)):
        markup = markup[: found.start()]
    markup = _REF_DROP.sub(" ", markup)
    markup = _REF_MAILTO.sub(lambda m: f"{m.group(2)} ({m.group(1)})", markup)
    text = html.unescape(_REF_TAG.sub("", _REF_BREAK.sub("\n", markup)))
    text = "\n".join(line.strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_ELEMENTS = st.sampled_from(
    ["p", "div", "br", "span", "b", "li", "tr", "h2", "table", "script", "style", "title", "a"]
)
_WORDS = st.sampled_from(["Hi", "Bo", "&amp;", "x y", "", "\n", "  "])


@st.composite
def _html(draw: st.DrawFn, depth: int = 0) -> str:
    """Well-formed markup: every element closed, mailto anchors, quote markers, entities."""
    out = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if depth < 3 and draw(st.booleans()):
            name = draw(_ELEMENTS)
            attrs = draw(
                st.sampled_from(["", ' class="gmail_quote"', ' id="divRplyFwdMsg"', ' x="1"'])
            )
            if name == "a":
                attrs = ' href="mailto:bo@example.org"'
            if name in ("script", "style", "title", "a"):
                inner = draw(_WORDS)  # no nested tags: the old regexes read these lazily
            else:
                inner = draw(_html(depth + 1))
            out.append(f"<{name}{attrs}>{inner}</{name}>" if name != "br" else "<br>")
        else:
            out.append(draw(_WORDS))
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(_html(), st.booleans())
def test_html_walk_reads_well_formed_markup_as_the_regexes_did(markup: str, drop: bool) -> None:
    assert html_to_text(markup, drop_quotes=drop) == _reference_html(markup, drop)


# --- addresses in a header block: start at each '@' instead of at each letter ---
_REF_ADDR = re.compile(rb"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9.-]+")


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"@", b".", b"_", b" ", b"-", b"<", b"\n", b"z9"])))
def test_relevance_addresses_are_the_regex_findall(pieces: list[bytes]) -> None:
    block = b"".join(pieces)
    assert _addresses(block) == _REF_ADDR.findall(block)


def test_a_long_run_before_a_contact_domain_is_still_read() -> None:
    index = RelevanceIndex.build({"ada@example.com"}, set())
    block = b"Subject: " + b"a" * 300_000 + b" ada@example.com\r\n"
    assert relevance(block, index) == "names-a-contact"
    assert relevance(b"Subject: " + b"a" * 300_000 + b" x@example.com\r\n", index) is None


def test_an_idna_contact_is_found_under_its_ascii_spelling() -> None:
    index = RelevanceIndex.build({"jo@bücher.example"}, set())
    assert relevance(b"To: jo@xn--bcher-kva.example\r\n\r\n", index) == "names-a-contact"


# --- quoted strings and comments removed before counting '@' ---
_REF_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_REF_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet='"()\\a@ \n', max_size=30))
def test_strip_is_the_regex_sub(value: str) -> None:
    expected = _REF_COMMENT.sub("", _REF_QUOTED.sub("", value))
    assert _strip(_strip(value, '"', '"'), "(", ")") == expected


# --- text and charsets ---
def test_only_text_codecs_are_allowed() -> None:
    for allowed in ("utf-8", "UTF8", "us-ascii", "iso-8859-15", "windows-1252", "shift_jis",
                    "gb18030", "koi8-r", "ks_c_5601-1987", "utf-16le", "big5"):  # fmt: skip
        assert text_codec(allowed), allowed
    for refused in ("punycode", "idna", "raw_unicode_escape", "unicode_escape", "bz2_codec",
                    "rot13", "base64", "zlib", "uu", "x-unknown", "", None, "a" * 100):  # fmt: skip
        assert text_codec(refused) is None, refused
    assert decode_text(b"\\u00e9", "unicode_escape") == "\\u00e9"
    assert decode_text("caf\xe9".encode("latin-1"), "punycode") == "caf\xe9"


def test_blank_runs_are_cut_and_short_ones_kept() -> None:
    assert bound_blank_runs("a\n\n\nb") == "a\n\n\nb"
    cut = bound_blank_runs("a" + "\n \t" * 10_000 + "\nb")
    assert cut == "a" + "\n" * (BLANK_LINES_KEPT + 1) + "b"
