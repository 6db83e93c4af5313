"""The state of one ``connect``: the file being edited, typed secrets and where they go.

A secret comes from a stdin line (--password-stdin), the environment (an env: store whose
variable is set), or a hidden prompt on a terminal; it stays in memory until every check
passed and the file is about to be written.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from coffeechat.deployments import connect as c
from coffeechat.deployments.cli.runtime import console
from coffeechat.integrations.config import default_data_dir
from coffeechat.integrations.secrets import SecretReference

LOGIN_KEYS = ("password", "oauth_token_command")


@dataclass(frozen=True)
class Login:
    """A login reference to write, the secret typed for it (if any) and its config key."""

    ref: SecretReference
    secret: c.Secret | None
    key: str  # "password" or "oauth_token_command"

    def credential(self) -> c.SecretSource:
        """The just-in-time credential the live check logs in with."""
        return c.credential_for(self.secret, self.ref, oauth=self.key == "oauth_token_command")


def interactive() -> bool:
    """Whether a person is at a terminal to answer questions (tests may say yes)."""
    return sys.stdin.isatty()


class Wizard:
    """The state of one ``connect``: the document, typed secrets, and what the checks found."""

    def __init__(self, path: Path, from_stdin: bool, store: str | None) -> None:
        """Read the existing file; secrets come from stdin lines, the env store, or a prompt."""
        self.path = path
        self.doc = c.read_document(path)
        self.current: dict[str, Any] = self.doc.unwrap()
        self.lines = sys.stdin.read().splitlines() if from_stdin else None
        self.tty = not from_stdin and interactive()
        self.store = store or os.environ.get("COFFEECHAT_SECRET_STORE")
        self.outcome = c.Outcome()
        self.pending: list[tuple[SecretReference, c.Secret]] = []
        self.imap_login: Login | None = None

    def ask(self, value: Any, label: str, default: Any = None) -> Any:
        """A flag's value, else a prompt on a terminal, else the default."""
        if value is not None or not self.tty:
            return value if value is not None else default
        return typer.prompt(label, default=default) if default is not None else typer.prompt(label)

    def login(
        self, purpose: str, label: str, oauth: str | None, old: dict[str, Any], user: str, host: str
    ) -> Login:
        """The reference to write, the typed secret (None: the reference is used as is), its key."""
        if oauth:
            return Login(SecretReference("command", oauth), None, "oauth_token_command")
        # Which key a kept reference came from decides what it is: a `command:` under
        # `password` is a password manager's, not an OAuth token helper.
        old_key = next((k for k in LOGIN_KEYS if c.existing_ref(old, k) is not None), "password")
        old_ref = c.existing_ref(old, old_key)
        if self.store is None and old_ref is None:
            self.store = self.ask(None, "Store secrets in (env:NAME, keyring or prefect)")
            if not self.store:
                reuse = " or --smtp-same-password (log in as for IMAP)" if purpose == "smtp" else ""
                raise typer.BadParameter(
                    f"the {label} must be kept where coffeechat can read it: add --secret-store "
                    "env:VARNAME (then set VARNAME where coffeechat runs), --secret-store keyring "
                    "or --secret-store prefect, and pipe it with --password-stdin; or give "
                    f"--oauth-token-command COMMAND{reuse}"
                )
        ref = c.secret_ref(self.store, purpose, user, host) if self.store else old_ref
        assert ref is not None
        secret = self._take(label, ref)
        if secret is None:
            if old_ref is None:
                raise typer.BadParameter(
                    f"no {label}: use --password-stdin, a terminal, or --secret-store env:NAME "
                    "with NAME set"
                )
            return Login(old_ref, None, old_key)
        self.pending.append((ref, secret))
        return Login(ref, secret, "password")

    def _take(self, label: str, ref: SecretReference) -> c.Secret | None:
        if self.lines is not None:
            if not self.lines:
                raise typer.BadParameter(f"--password-stdin: no line left for the {label}")
            return c.Secret(self.lines.pop(0))
        if ref.scheme == "env" and os.environ.get(ref.target):
            return c.Secret(os.environ[ref.target])
        if self.tty:
            typed = typer.prompt(label, default="", hide_input=True, show_default=False)
            return c.Secret(typed) if typed else None
        return None

    def store_all(self) -> list[str]:
        """Save every typed secret where its reference points; notes for the user."""
        if not self.pending:
            return []
        server = None
        if any(r.scheme == "prefect" for r, _ in self.pending) and not os.environ.get(
            "PREFECT_API_URL"
        ):
            server = _start_prefect(self.current)
        try:
            notes = [c.store(ref, secret) for ref, secret in self.pending]
        finally:
            if server is not None:
                server.stop()
        return [n for n in dict.fromkeys(notes) if n]


def _start_prefect(current: dict[str, Any]) -> Any:
    """The local server ``coffeechat run`` will use, so the block is there when it runs."""
    from coffeechat.deployments.prefect_server import (
        LocalPrefectServer,
        point_prefect_at,
        telemetry_off,
    )

    telemetry_off()
    server = LocalPrefectServer(Path(current.get("data_dir") or default_data_dir()) / "prefect")
    console.print("starting the local Prefect server to hold the Secret block...")
    server.start()
    point_prefect_at(server.api_url)
    return server
