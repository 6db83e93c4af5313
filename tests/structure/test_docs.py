"""The docs name only what exists: every repository path and link in docs/*.md and README.md.

A page that names `models/inbox/effects.py` after the module moved sends a newcomer to nothing;
this fails instead, naming the page and the path. Figures the README states about the
repository (how many mail fixtures) are counted here too, so they cannot go stale.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from tests.structure.repo import ROOT

FOLDERS = ("models", "flows", "integrations", "deployments", "docs", "tests", "bench")
# A repository path: one of the folders, then path characters; not inside a URL or a longer
# path (no letter, dot, slash or dash just before it). Braces allow `steps/{inbox,send}.py`.
PATH = re.compile(rf"(?<![\w./~-])((?:{'|'.join(FOLDERS)})/[\w./*{{}},-]*)")
DOTTED = re.compile(r"(?<![\w.])coffeechat(?:\.\w+)+")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def pages() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def expand(path: str) -> list[str]:
    """``a/{b,c}.py`` as ``a/b.py`` and ``a/c.py``; anything else as itself."""
    found = re.search(r"\{([^{}]*)\}", path)
    if not found:
        return [path]
    return [
        p
        for part in found.group(1).split(",")
        for p in expand(path[: found.start()] + part + path[found.end() :])
    ]


def named_paths(text: str) -> set[str]:
    """Every repository path named in ``text``, trailing punctuation and ``:name`` removed."""
    names = set()
    for match in PATH.finditer(text):
        raw = match.group(1).rstrip(".,:;")
        if "{" in raw and "}" not in raw:
            continue
        for path in expand(raw):
            names.add(path.split(":")[0].rstrip(".,"))
    return names


def exists(path: str) -> bool:
    """Whether ``path`` (maybe with a glob, maybe a folder with a trailing slash) exists."""
    if any(c in path for c in "*?["):
        return any(ROOT.glob(path))
    return (ROOT / path).exists()


def test_the_check_reads_paths_as_meant() -> None:
    """The path reader: braces, punctuation, URLs and ``:function`` suffixes."""
    text = (
        "See `models/outbox/steps.py:refusal`, flows/steps/{inbox,send}.py. and docs/x.md, "
        "not https://example.com/models/y.py nor ~/flows/z nor a/models/q.py."
    )
    assert named_paths(text) == {
        "models/outbox/steps.py",
        "flows/steps/inbox.py",
        "flows/steps/send.py",
        "docs/x.md",
    }


def test_every_path_named_in_the_docs_exists() -> None:
    """Each page names only files and folders that are in the repository."""
    missing = {
        str(page.relative_to(ROOT)): sorted(
            p for p in named_paths(page.read_text()) if not exists(p)
        )
        for page in pages()
    }
    assert {page: paths for page, paths in missing.items() if paths} == {}


def resolves(dotted: str) -> bool:
    """Whether ``coffeechat.a.b.name`` is a module of ours, or a name defined in one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        where = ROOT.joinpath(*parts[1:cut])
        if (where / "__init__.py").exists() or where.with_suffix(".py").exists():
            obj: object = importlib.import_module(".".join(parts[:cut]))
            for name in parts[cut:]:
                if not hasattr(obj, name):
                    return False
                obj = getattr(obj, name)
            return True
    return False


def test_every_dotted_name_in_the_docs_exists() -> None:
    """``coffeechat.models.calendar.parse_calendar`` and the like name real modules and names."""
    unknown = [
        f"{page.relative_to(ROOT)}: {name}"
        for page in pages()
        for name in sorted(set(DOTTED.findall(page.read_text())))
        if name.count(".") > 1 and not resolves(name)
    ]
    assert unknown == []


def test_every_relative_link_resolves() -> None:
    """Markdown links between pages, and to files, point at something."""
    broken = []
    for page in pages():
        for target in LINK.findall(page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_every_docs_page_is_linked_from_the_readme() -> None:
    """docs/ is reached from the README: a page nobody links to is a page nobody reads."""
    readme = (ROOT / "README.md").read_text()
    unlinked = [p.name for p in (ROOT / "docs").glob("*.md") if f"(docs/{p.name})" not in readme]
    assert unlinked == []


def test_the_readme_counts_the_mail_fixtures_there_are() -> None:
    """The README's number of real-client .eml fixtures is the number in tests/fixtures/mail."""
    stated = re.findall(
        r"(\d[\d,]*) real-client `\.eml` fixtures", (ROOT / "README.md").read_text()
    )
    there = len(list((ROOT / "tests" / "fixtures" / "mail").glob("*/*.eml")))
    assert stated, "the README no longer states the fixture count: drop this test"
    assert {int(n.replace(",", "")) for n in stated} == {there}
