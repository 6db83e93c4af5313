"""The repository's own files, for the structure checks: where they are and how to walk them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The four folders that are installed as coffeechat.<folder>.
PACKAGES = ("models", "flows", "integrations", "deployments")
# Not the project's own files: environments, caches, build output, and coffeechat/ (links to the
# four folders, which would otherwise be walked twice).
SKIP = {".git", ".venv", "venv", "build", "dist", "node_modules", "coffeechat", "__pycache__"}
HIDDEN_KEPT = {".ci", ".github"}


def repo_files(*suffixes: str) -> Iterator[Path]:
    """Every file of the checkout whose name ends with one of ``suffixes``, links not followed."""
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP
            and (d in HIDDEN_KEPT or not d.startswith("."))
            and not d.endswith(".egg-info")
        )
        for name in sorted(files):
            if name.endswith(suffixes):
                yield Path(folder, name)
