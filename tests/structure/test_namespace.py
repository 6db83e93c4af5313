"""The import namespace: everything is ``coffeechat.<folder>``, and the wheel lists every package.

Installed, the four folders are ``coffeechat.models``, ``coffeechat.flows``, ... (pyproject's
package-dir mapping), so a bare ``import models`` would work in a checkout (the folder is on the
path) and fail, or import someone else's ``models``, once installed.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from tests.structure.repo import PACKAGES, ROOT, repo_files

BARE = set(PACKAGES)
# A module named in a string: `python -m flows.x`, import_module("models.x"), "flows.x:flow".
MODULE_STRING = re.compile(rf"^({'|'.join(PACKAGES)})(\.\w+)+(:\w+)?$")
DASH_M = re.compile(rf"-m\s+({'|'.join(PACKAGES)})\b")
TEXT_SUFFIXES = (".sh", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".md", ".service", "run", "dev")


def bare_imports(source: str, name: str = "<text>") -> list[str]:
    """Each import of a bare top-level package, and each string naming one as a module."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: import {a.name}"
                for a in node.names
                if a.name.split(".")[0] in BARE
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in BARE:
                found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if MODULE_STRING.match(text.strip()) or DASH_M.search(text):
                found.append(f"{node.lineno}: string {text.strip()[:60]!r}")
    return found


def test_the_check_finds_bare_names() -> None:
    """The checker itself: every bare form is found, the coffeechat forms are not."""
    # Written with placeholders so this file does not trip its own check.
    bad = (
        "import {m}.store.db\nimport {f}\nfrom {i}.imap import connect\n"
        "from {d} import cli\nx = ['python', '-m', '{f}.steps.classify_child']\n"
        "y = 'python -m {m}.x'\nimportlib.import_module('{i}.config')\n"
    ).format(m="models", f="flows", i="integrations", d="deployments")
    assert len(bare_imports(bad)) == 7
    good = (
        "import coffeechat.models.store.db\nfrom coffeechat.flows.steps import cycle\n"
        "from . import sibling\nx = ['-m', 'coffeechat.flows.steps.classify_child']\n"
        "y = 'models/ and flows/ are folders'\n"
    )
    assert bare_imports(good) == []


def test_no_python_file_imports_a_bare_top_level_package() -> None:
    """Only ``coffeechat.models...`` forms, in the code, the tests and the benchmarks alike."""
    offenders = {}
    for path in repo_files(".py"):
        found = bare_imports(path.read_text(encoding="utf-8"), str(path))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_no_script_or_config_runs_a_bare_module() -> None:
    """Shell scripts, configs and docs run ``python -m coffeechat.<folder>...`` forms only."""
    offenders = []
    for path in repo_files(*TEXT_SUFFIXES):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DASH_M.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def package_dirs() -> set[str]:
    """``coffeechat.<dotted path>`` of every directory with an ``__init__.py`` in the four."""
    return {
        "coffeechat." + ".".join(init.parent.relative_to(ROOT).parts)
        for folder in PACKAGES
        for init in (ROOT / folder).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def test_pyproject_lists_every_package() -> None:
    """A package missing from the list would be left out of the wheel without an error."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tool = config["tool"]["setuptools"]
    assert sorted(tool["packages"]) == sorted(package_dirs())
    assert tool["package-dir"] == {f"coffeechat.{p}": p for p in PACKAGES}
    assert config["project"]["scripts"]["coffeechat"].startswith("coffeechat.deployments.")


def test_every_folder_of_python_code_is_a_package() -> None:
    """A folder of modules without ``__init__.py`` would not be a package, hence not installed."""
    missing = sorted(
        str(folder.relative_to(ROOT))
        for pkg in PACKAGES
        for folder in [ROOT / pkg, *(ROOT / pkg).rglob("*")]
        if folder.is_dir()
        and "__pycache__" not in folder.parts
        and any(folder.glob("*.py"))
        and not (folder / "__init__.py").exists()
    )
    assert missing == []


def test_the_checkout_maps_the_namespace_like_the_wheel() -> None:
    """coffeechat/<folder> in a checkout is a link to the folder: one copy of the code."""
    for pkg in PACKAGES:
        link = ROOT / "coffeechat" / pkg
        assert link.is_symlink() and link.resolve() == (ROOT / pkg).resolve(), link
    assert not (ROOT / "coffeechat" / "__init__.py").exists()  # a namespace package


def test_templates_travel_with_the_package() -> None:
    """Package data named in pyproject exists where the mapping puts it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    assert any(Path(ROOT, "integrations").glob(data["coffeechat.integrations"][0]))
