"""Secret references: where a password or token lives, never the secret itself.

A reference is ``env:NAME`` (an environment variable), ``keyring:SERVICE/USER`` (the OS
keyring), ``prefect:BLOCK`` (a Prefect Secret block) or ``command:ARGV`` (a command whose
standard output is the secret, e.g. an OAuth helper printing an access token). Anything else
is refused, so a password pasted into the config file is an error rather than a leak.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer

Scheme = Literal["env", "keyring", "prefect", "command"]
SCHEMES: tuple[Scheme, ...] = ("env", "keyring", "prefect", "command")


class SecretUnavailable(Exception):
    """A referenced secret could not be read; the message names the reference, not the value."""


@dataclass(frozen=True)
class SecretReference:
    """A parsed reference to a secret."""

    scheme: Scheme
    target: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.target}"

    def __repr__(self) -> str:
        return f"SecretReference({self})"


def parse_ref(value: object) -> SecretReference:
    """Parse ``scheme:target``; refuse anything that could be a literal secret."""
    if isinstance(value, SecretReference):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a secret reference string")
    scheme, sep, target = value.partition(":")
    if not sep or scheme not in SCHEMES or not target.strip():
        # Deliberately does not repeat the value: it may be a password typed in by mistake.
        raise ValueError(
            "must be a reference (env:NAME, keyring:SERVICE/USER, prefect:BLOCK or "
            "command:PROGRAM ARGS); secrets never live in the config file"
        )
    return SecretReference(scheme, target.strip())


SecretRef = Annotated[
    SecretReference, BeforeValidator(parse_ref), PlainSerializer(str, return_type=str)
]


def resolve(ref: SecretReference, *, timeout: float = 30.0) -> str:
    """Fetch the secret a reference points to (at the moment it is needed, never cached)."""
    if ref.scheme == "env":
        value = os.environ.get(ref.target)
        if not value:
            raise SecretUnavailable(f"environment variable {ref.target} is not set")
        return value
    if ref.scheme == "keyring":
        return _from_keyring(ref.target)
    if ref.scheme == "prefect":
        return _from_prefect(ref.target)
    return _from_command(ref.target, timeout)


def _from_keyring(target: str) -> str:
    import keyring
    from keyring.errors import KeyringError

    service, _, user = target.partition("/")
    try:
        value = keyring.get_password(service, user)
    except KeyringError as err:
        raise SecretUnavailable(f"keyring {target}: {type(err).__name__}") from None
    if not value:
        raise SecretUnavailable(f"keyring has no secret for {target}")
    return str(value)


def _from_prefect(block: str) -> str:
    from prefect.blocks.system import Secret

    try:
        block_obj: Any = Secret.load(block)  # sync in a sync context; typed as maybe-async
        value = block_obj.get()
    except Exception as err:  # Prefect raises a variety of client errors here
        raise SecretUnavailable(f"Prefect Secret block {block!r}: {type(err).__name__}") from None
    return str(value)


def _from_command(command: str, timeout: float) -> str:
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SecretUnavailable(f"secret command failed to run: {type(err).__name__}") from None
    if done.returncode != 0 or not done.stdout.strip():
        # stderr may hold the token on a misbehaving helper: report only the exit status.
        raise SecretUnavailable(f"secret command exited with status {done.returncode}")
    return done.stdout.strip()
