"""The three renderings: golden files, hostile input made inert, the environment's rules."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from markdown_it import MarkdownIt

from coffeechat.integrations.render import TemplateMissing, md_escape, render, safe_url
from coffeechat.models.prep import PrepContext, build_prep_context
from tests.unit.prep.sample import contact, inputs, meeting, message, note, typical

GOLDEN = Path(__file__).parents[2] / "fixtures" / "prep"
HOSTILE_NAME = "<script>alert(1)</script>"


def sheet(ctx: PrepContext, fmt: str) -> str:
    return render("prep/sheet", {"sheet": ctx}, fmt=fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["html", "md", "txt"])
def test_golden(fmt: str) -> None:
    """Set UPDATE_GOLDEN=1 to rewrite the files, then read the diff before committing."""
    out = sheet(typical(), fmt)
    path = GOLDEN / f"sheet.{fmt}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")


def test_golden_update_and_no_meeting() -> None:
    updated = sheet(build_prep_context(inputs(is_update=True)), "html")
    assert "<strong>Updated</strong>" in updated
    bare = sheet(build_prep_context(inputs(meeting=None, messages=(), notes=())), "txt")
    assert "No meeting booked yet." in bare and "THE THREAD SO FAR" not in bare


def hostile() -> PrepContext:
    return build_prep_context(
        inputs(
            contact=contact(
                name=HOSTILE_NAME,
                company="Evil & Co <b>",
                role="](javascript:alert(1))",
                linkedin_url="javascript:alert(1)",
                notes="{{ 7*7 }} {% for x in range(3) %}loop{% endfor %}",
            ),
            meeting=meeting(
                summary="Coffee\r\nBcc: victim@example.org",
                location="javascript:alert(document.cookie)",
                video_link="javascript:alert(1)",
            ),
            messages=(
                message(
                    12,
                    "in",
                    "<img src=http://evil.test/px.png> ![x](http://evil.test/t.gif) "
                    "[click](javascript:alert(1)) <a href='javascript:x'>y</a>",
                    subject="Re: coffee\r\nBcc: victim@example.org",
                ),
            ),
            notes=(note("{{ 7*7 }} ${7*7} {{ config }}", 10),),
        )
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "action", "background")]


def test_hostile_input_is_inert_in_html() -> None:
    ctx = hostile()
    html = sheet(ctx, "html")
    parsed = _Tags()
    parsed.feed(html)
    assert not {"script", "img", "iframe", "object", "embed", "link", "form"} & set(parsed.tags)
    assert parsed.urls and all(re.match(r"(https?|mailto):", u) for u in parsed.urls)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html and "looplooploop" not in html
    assert "Evil &amp; Co &lt;b&gt;" in html
    assert "\r" not in ctx.subject and "\n" not in ctx.subject
    assert "Bcc: victim@example.org" in ctx.subject or "Bcc" not in ctx.subject


def test_hostile_input_is_inert_in_markdown() -> None:
    md = sheet(hostile(), "md")
    assert r"\<script\>alert\(1\)\</script\>" in md
    assert r"\{\{ 7\*7 \}\}" in md and "49" not in md
    # What a Markdown renderer that passes raw HTML through (CommonMark) makes of it.
    html = MarkdownIt("commonmark").render(md)
    parsed = _Tags()
    parsed.feed(html)
    assert not {"script", "img", "iframe", "object", "embed", "link", "form"} & set(parsed.tags)
    assert parsed.urls and all(re.match(r"(https?|mailto):", u) for u in parsed.urls)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_input_in_text_is_verbatim_but_never_evaluated() -> None:
    txt = sheet(hostile(), "txt")
    assert HOSTILE_NAME.upper() in txt and "{{ 7*7 }}" in txt and "49" not in txt
    assert "\r" not in txt


def test_all_day_meeting_and_place_link_render() -> None:
    m = meeting(location="https://maps.example.org/cafe?q=1&z=2", video_link=None)
    html = sheet(build_prep_context(inputs(meeting=m)), "html")
    assert '<a href="https://maps.example.org/cafe?q=1&amp;z=2">' in html
    assert "Video" not in html


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/x", True),
        ("http://example.org", True),
        ("mailto:ada@example.com", True),
        ("MAILTO:ada@example.com", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("vbscript:msgbox", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("file:///etc/passwd", False),
        ("//evil.test/x", False),
        ("https:///nohost", False),
        ("mailto:", False),
        ("http://[::1", False),
        (None, False),
    ],
)
def test_safe_url(url: str | None, ok: bool) -> None:
    assert bool(safe_url(url)) is ok


def test_md_escape() -> None:
    assert md_escape("a *b* [c](d) <e> `f` | #g\r\nh") == (
        r"a \*b\* \[c\]\(d\) \<e\> \`f\` \| \#g  h"
    )


def test_strict_undefined_and_none_are_errors(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("{{ missing }}")
    (tmp_path / "n.txt.j2").write_text("{{ value }}")
    with pytest.raises(UndefinedError):
        render("t", {}, fmt="txt", user_dir=tmp_path)
    with pytest.raises(ValueError, match="None"):
        render("n", {"value": None}, fmt="txt", user_dir=tmp_path)
    with pytest.raises(TemplateMissing, match=r"nope\.html\.j2"):
        render("nope", {}, fmt="html", user_dir=tmp_path)


def test_users_template_folder_wins_and_the_sandbox_holds(tmp_path: Path) -> None:
    (tmp_path / "prep").mkdir()
    (tmp_path / "prep" / "sheet.txt.j2").write_text("mine: {{ sheet.who.name }}")
    out = render("prep/sheet", {"sheet": typical()}, fmt="txt", user_dir=tmp_path)
    assert out == "mine: Ada Lovelace"
    (tmp_path / "evil.txt.j2").write_text("{{ sheet.__class__.__mro__ }}")
    from jinja2.exceptions import SecurityError

    with pytest.raises((SecurityError, UndefinedError)):
        render("evil.txt.j2", {"sheet": typical()}, fmt="txt", user_dir=tmp_path)


def test_rendering_never_mutates_the_context() -> None:
    ctx = typical()
    before = replace(ctx)
    sheet(ctx, "html")
    assert ctx == before
