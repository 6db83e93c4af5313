"""Template rendering: the one Jinja2 environment factory of the project.

Templates are looked up in the user's template folder first, then in the package's
``integrations/templates``. Every environment uses ``StrictUndefined`` and refuses to print
``None``, so a missing value is an error and never the word "None" in someone's email.
HTML is autoescaped (set explicitly: ``select_autoescape`` would leave ``.j2`` alone);
Markdown escapes every printed value unless a filter already made it safe (``md``,
``link``); plain text prints values as they are. Links go through ``safe_url``, which lets
only http, https and mailto through: anything else becomes no link at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

Format = Literal["html", "md", "txt"]
FORMATS: tuple[Format, ...] = ("html", "md", "txt")
PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Characters that start Markdown syntax (emphasis, links, images, HTML, tables, headings...).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+|~!&])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class TemplateMissing(LookupError):
    """No template of that name in the user's folder or the package."""


def render(
    template: str,
    context: Mapping[str, object],
    *,
    fmt: Format,
    user_dir: Path | None = None,
) -> str:
    """Render ``template`` (``"prep/sheet"`` means ``prep/sheet.<fmt>.j2``) with ``context``."""
    name = template if template.endswith(".j2") else f"{template}.{fmt}.j2"
    env = environment(fmt, _dir_key(user_dir))
    try:
        return env.get_template(name).render(context)
    except TemplateNotFound as err:
        raise TemplateMissing(f"no template {name!r} (looked in {_searched(user_dir)})") from err


def template_text(name: str, user_dir: Path | None = None) -> tuple[str, str]:
    """The text of a non-template resource (e.g. the question bank) and where it came from."""
    for folder in _folders(_dir_key(user_dir)):
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8"), str(path)
    raise TemplateMissing(f"no file {name!r} (looked in {_searched(user_dir)})")


@lru_cache(maxsize=16)
def environment(fmt: Format, user_dir: str | None = None) -> SandboxedEnvironment:
    """The (cached) environment for one output format and user template folder."""
    # Sandboxed: a template copied from somewhere into the user's folder still cannot
    # reach Python internals; it costs nothing measurable for our templates.
    env = SandboxedEnvironment(
        loader=FileSystemLoader([str(p) for p in _folders(user_dir)]),
        undefined=StrictUndefined,
        autoescape=fmt == "html",
        finalize=_finalize_md if fmt == "md" else _finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["md"] = md_escape
    env.filters["link"] = _LINKERS[fmt]
    return env


def safe_url(value: object) -> str:
    """``value`` when it is an http(s) URL with a host or a mailto: address; else ``""``."""
    text = str(value or "").strip()
    if not text or _CONTROL.search(text) or any(ch.isspace() for ch in text):
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in SAFE_SCHEMES:
        return ""
    if scheme in ("http", "https") and not parts.hostname:
        return ""
    if scheme == "mailto" and "@" not in parts.path:
        return ""
    return text


def md_escape(value: object) -> Markup:
    """Untrusted text made inert in Markdown: syntax characters backslash-escaped, one line."""
    if isinstance(value, Markup):
        return value
    text = " ".join(_CONTROL.sub(" ", str(value)).split("\n"))
    return Markup(_MD_SPECIAL.sub(r"\\\1", text))  # noqa: S704 - this is the escaping step


def _finalize(value: object) -> object:
    if value is None:
        raise ValueError("a template printed None: test for it or give a default")
    return value


def _finalize_md(value: object) -> object:
    return md_escape(_finalize(value))


def _link_html(url: object, text: object = None) -> Markup:
    href = safe_url(url)
    label = escape(str(url if text is None else text))
    return Markup(f'<a href="{escape(href)}">{label}</a>') if href else label  # noqa: S704


def _link_md(url: object, text: object = None) -> Markup:
    href = safe_url(url)
    label = md_escape(url if text is None else text)
    if not href:
        return label
    # Percent-encode what could end the link target early or open HTML.
    target = quote(href, safe=":/?#@!$&'*+,;=%-._~")
    return Markup(f"[{label}]({target})")  # noqa: S704


def _link_txt(url: object, text: object = None) -> str:
    href = safe_url(url)
    label = str(url if text is None else text)
    if not href:
        return label
    return href if text is None or label == href else f"{label} <{href}>"


_LINKERS = {"html": _link_html, "md": _link_md, "txt": _link_txt}


def _dir_key(user_dir: Path | None) -> str | None:
    return str(user_dir.expanduser().resolve()) if user_dir is not None else None


def _folders(user_dir: str | None) -> list[Path]:
    return [Path(user_dir), PACKAGE_TEMPLATES] if user_dir else [PACKAGE_TEMPLATES]


def _searched(user_dir: Path | None) -> str:
    return ", ".join(str(p) for p in _folders(_dir_key(user_dir)))
