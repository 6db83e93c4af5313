"""Every flag and command that connect's messages name exists: a hint must be followable."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import typer

from coffeechat.deployments.cli import app
from tests.integration.connect.conftest import ensure_registered

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [
    ROOT / "deployments" / "connect.py",
    ROOT / "deployments" / "cli" / "connect_cmd.py",
    ROOT / "deployments" / "cli" / "connect_found.py",
    ROOT / "deployments" / "cli" / "connect_wizard.py",
    *sorted((ROOT / "integrations" / "discovery").glob("*.py")),
]
FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
# "coffeechat NAME" as a command to type: flags, "again", or the end follow ("coffeechat runs
# in ..." is prose).
COMMAND = re.compile(r"\bcoffeechat ([a-z][a-z-]*)(?= --| again|$|[.;:,`'])")


def message_texts(path: Path) -> list[str]:
    """The string literals of a module, docstrings left out.

    An f-string is rendered once per protocol, its {p}/{protocol} as "imap" then "smtp", so
    `--{p}-security` is checked as --imap-security and --smtp-security.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                texts.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            texts += [_render(node, protocol) for protocol in ("imap", "smtp")]
    return texts


def _render(node: ast.JoinedStr, protocol: str) -> str:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name):
            parts.append(protocol if value.value.id in ("p", "protocol") else " ")
        else:
            parts.append(" ")
    return "".join(parts)


def named(pattern: re.Pattern[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        for text in message_texts(path):
            for name in pattern.findall(text):
                found.setdefault(name, set()).add(path.name)
    return found


def commands() -> dict[str, Any]:
    """The CLI's commands by name (typer carries its own click, so no isinstance checks)."""
    ensure_registered()
    group: Any = typer.main.get_command(app)
    return dict(group.commands)


def test_every_flag_a_connect_message_names_is_a_flag_of_connect() -> None:
    defined = {
        opt[2:]
        for param in commands()["connect"].params
        for opt in param.opts + param.secondary_opts
    }
    flags = named(FLAG)
    # The messages do name flags (the regex still matches what they are written as).
    assert {"imap-security", "imap-allow-plaintext", "secret-store", "ca-file"} <= set(flags)
    missing = {flag: sorted(where) for flag, where in flags.items() if flag not in defined}
    assert not missing, f"messages name flags connect does not have: {missing}"


def test_every_command_a_connect_message_names_exists() -> None:
    names = named(COMMAND)
    assert "connect" in names
    assert not set(names) - set(commands()), sorted(set(names) - set(commands()))
