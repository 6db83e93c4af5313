"""Print the shape of the code: files and lines per top-level folder, and functions over 60 lines.

Run from the repository root: ``python bench/structure.py``. The closing notes of restructuring
work quote its output before and after, so the numbers can be checked by anyone.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

FOLDERS = ("models", "flows", "integrations", "deployments", "tests", "bench")
LONG_FUNCTION = 60


def main() -> None:
    """Print the report for the repository in the current directory (or argv[1])."""
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path()
    files: dict[str, int] = defaultdict(int)
    lines: dict[str, int] = defaultdict(int)
    long_functions: list[tuple[int, str]] = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            files[folder] += 1
            lines[folder] += text.count("\n")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > LONG_FUNCTION:
                        where = f"{path.relative_to(root)}:{node.lineno} {node.name}"
                        long_functions.append((length, where))
    print(f"{'folder':<14}{'files':>7}{'lines':>9}")
    for folder in FOLDERS:
        print(f"{folder:<14}{files[folder]:>7}{lines[folder]:>9}")
    print(f"{'total':<14}{sum(files.values()):>7}{sum(lines.values()):>9}")
    print(f"\nfunctions over {LONG_FUNCTION} lines: {len(long_functions)}")
    for length, where in sorted(long_functions, reverse=True):
        print(f"  {length:>4}  {where}")


if __name__ == "__main__":
    main()
