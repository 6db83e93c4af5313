"""Imports point one way: deployments -> flows -> integrations -> models (docs/architecture.md).

Read from the code's own import statements (top level and inside functions alike), so a lazy
import cannot hide a dependency that points the wrong way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each layer and the layers it may import from (itself included).
MAY_IMPORT = {
    "models": {"models"},
    "integrations": {"integrations", "models"},
    "flows": {"flows", "integrations", "models"},
    "deployments": {"deployments", "flows", "integrations", "models"},
}


def _imported_layers(path: Path) -> set[tuple[str, int]]:
    """(layer, line) for every ``coffeechat.<layer>`` import in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "coffeechat" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_imports_point_one_way(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no code found under {layer}/"
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports coffeechat.{other}"
        for path in files
        for other, line in sorted(_imported_layers(path))
        if other not in MAY_IMPORT[layer]
    ]
    assert wrong == [], "\n".join(wrong)


def test_the_check_sees_imports_of_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import coffeechat.flows.steps.app\n"
        "from coffeechat.deployments import cli\n"
        "def f():\n    from coffeechat.integrations.render import render\n"
    )
    assert {layer for layer, _ in _imported_layers(sample)} == {
        "flows",
        "deployments",
        "integrations",
    }
