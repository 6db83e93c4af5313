"""``coffeechat inspect mail|calendar``: how coffeechat reads one file, for bug reports."""

from __future__ import annotations

import typer

app = typer.Typer(help="Show how a mail or calendar file is understood.", no_args_is_help=True)
