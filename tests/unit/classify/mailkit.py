"""Helpers for the classification tests: the fixture corpus and a tiny message builder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
TODAY = date(2026, 11, 20)
OUR_ID = "<outreach.20261110.4f2a@coffeechat.example.net>"


def corpus_files() -> list[Path]:
    """Every .eml fixture, sorted; its directory names the expected kind."""
    return sorted(CORPUS.glob("*/*.eml"))


def make_mail(headers: dict[str, str] | list[tuple[str, str]], body: str = "Hello.") -> bytes:
    """Raw bytes of a simple message with the given header fields and plain-text body."""
    pairs = headers.items() if isinstance(headers, dict) else headers
    head = "".join(f"{k}: {v}\r\n" for k, v in pairs)
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode("utf-8")
