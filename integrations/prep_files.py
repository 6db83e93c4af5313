"""Prep sheets on disk: ``<data_dir>/prep/<YYYY-MM-DD>-<contact-slug>.html``, written atomically.

The name is built only from a date and a slug of letters, digits and dashes, and the result is
checked to sit directly in the prep folder, so nothing a contact is called can choose the path.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from coffeechat.models.text import slugify


class UnsafePrepPath(ValueError):
    """A computed prep-sheet path would leave the prep folder (never expected; checked anyway)."""


def prep_dir(data_dir: Path) -> Path:
    """The folder prep sheets are saved in."""
    return data_dir / "prep"


def prep_path(data_dir: Path, day: date, contact_name: str) -> Path:
    """Where the sheet for ``contact_name`` on ``day`` is saved."""
    folder = prep_dir(data_dir).resolve()
    path = folder / f"{day:%Y-%m-%d}-{slugify(contact_name)}.html"
    if path.parent != folder:
        raise UnsafePrepPath(f"{path} is outside {folder}")
    return path


def save_prep_html(data_dir: Path, day: date, contact_name: str, html: str) -> Path:
    """Write the sheet atomically (a reader never sees half a file) and return its path."""
    path = prep_path(data_dir, day, contact_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes the file 0600: notes about people stay readable by the user only.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".prep-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(html)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
