"""``coffeechat connect``: try each connection live, store secrets, write only references.

Nothing here prompts or prints: the command line gathers answers, this module checks them
against the real servers, saves each secret where the user chose and edits the TOML file.
A secret lives only in memory (``Secret``, which never shows itself) until it is stored; the
config file receives ``env:``/``keyring:``/``prefect:`` references and nothing else.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import tomlkit
from tomlkit.items import AoT, Table

from coffeechat.flows.steps.app import imap_endpoint
from coffeechat.integrations.calendar import (
    CalendarError,
    SourceAuthFailed,
    SourceNotFound,
    SourceState,
    SourceTlsFailure,
    SourceUnreachable,
    build_source,
)
from coffeechat.integrations.config import CalendarConfig, ImapConfig, SmtpConfig
from coffeechat.integrations.discovery.probe import security_hint
from coffeechat.integrations.imap import Credential, FolderNotFound, MailboxError, connect
from coffeechat.integrations.imap import errors as imap_errors
from coffeechat.integrations.secrets import SecretReference, SecretUnavailable, parse_ref, resolve
from coffeechat.integrations.smtp import (
    SmtpAuthFailed,
    SmtpCredentialUnavailable,
    SmtpError,
    SmtpTlsFailure,
    smtp_endpoint,
)
from coffeechat.integrations.smtp import client as smtp_client
from coffeechat.models.calendar import Window

Problem = Literal["authentication", "tls", "unreachable", "folder", "calendar", "secret", "other"]


class Secret:
    """A password held in memory only; repr and str never show it."""

    def __init__(self, value: str) -> None:
        """Wrap value."""
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for a login or for storing it; never for output."""
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


@dataclass(frozen=True)
class Failure:
    """One check that failed: which connection, what kind of problem, the edge's message."""

    what: str
    problem: Problem
    detail: str


@dataclass
class Outcome:
    """What the live checks found."""

    passed: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    folders: dict[str, str] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)  # roles whose configured folder is gone


SecretSource = Callable[[], Credential]

# Each edge's error types, mapped to the kinds of problem the user is told about.
_PROBLEMS: tuple[tuple[type[Exception], Problem], ...] = (
    (imap_errors.AuthenticationFailed, "authentication"),
    (imap_errors.TlsFailure, "tls"),
    (imap_errors.PlaintextRefused, "tls"),
    (imap_errors.HostUnreachable, "unreachable"),
    (imap_errors.ConnectionDropped, "unreachable"),
    (FolderNotFound, "folder"),
    (imap_errors.CredentialUnavailable, "secret"),
    (SmtpAuthFailed, "authentication"),
    (SmtpCredentialUnavailable, "secret"),
    (SmtpTlsFailure, "tls"),
    (SmtpError, "unreachable"),
    (SourceAuthFailed, "authentication"),
    (SourceTlsFailure, "tls"),
    (SourceNotFound, "calendar"),
    (SourceUnreachable, "unreachable"),
    (SecretUnavailable, "secret"),
)


def _protocol(failure: Failure) -> str | None:
    head = failure.what.split(" ", 1)[0]
    return {"IMAP": "imap", "SMTP": "smtp"}.get(head)


def flag_words(failure: Failure) -> str:
    """The failure's detail with config-file words replaced by the flags that set them."""
    protocol = _protocol(failure)
    if protocol is None:
        return failure.detail
    detail = failure.detail.replace("set allow_plaintext", f"add --{protocol}-allow-plaintext")
    return detail.replace("with allow_plaintext", f"with --{protocol}-allow-plaintext")


def hint_for(failure: Failure) -> str:
    """What to try next, naming a real flag of ``coffeechat connect``; "" when nothing helps."""
    protocol = _protocol(failure)
    if protocol is None:
        if failure.problem == "authentication":
            return "check --calendar-user, or the password given for the calendar"
        return ""
    p = protocol
    security = security_hint(p, failure.detail)
    if security:
        return security
    if failure.problem == "tls" and "not trusted" in failure.detail:
        return f"if the server uses a private CA, give it with --{p}-ca-file (or --ca-file)"
    if failure.problem == "tls" and "plaintext" in failure.detail:
        return f"use --{p}-security ssl or starttls (plain text is for a loopback server only)"
    if failure.problem == "authentication":
        # The IMAP login is often the whole address, sometimes only its local part.
        login = " (--imap-user)" if p == "imap" else ""
        return (
            f"check the login name{login} and the password; providers that want an app "
            "password or OAuth refuse the account password (see --oauth-token-command)"
        )
    if failure.problem == "unreachable":
        return f"check --{p}-host and --{p}-port, and --{p}-security ssl|starttls"
    return ""


def problem_of(err: Exception) -> Problem:
    """What kind of problem an edge error is, in the user's terms."""
    return next((p for t, p in _PROBLEMS if isinstance(err, t)), "other")


def check_imap(
    cfg: ImapConfig,
    credential: SecretSource,
    outcome: Outcome,
    typed: frozenset[str] = frozenset(),
) -> None:
    """Log in, find Sent and Drafts, and check that every named folder exists.

    Sent and Drafts are only shown: the watcher looks them up at each session, so they are
    never written to the config. A name already in the config that the server no longer has
    goes to outcome.stale (the caller drops it), unless the user typed it now (typed roles):
    then it is a mistake to report.
    """
    what = f"IMAP {cfg.username}@{cfg.host}"
    try:
        # A short timeout: a person is waiting.
        with connect(replace(imap_endpoint(cfg), timeout=15.0), credential) as box:
            for role, chosen in (("sent", cfg.sent_folder), ("drafts", cfg.drafts_folder)):
                found = box.folder_for(role, chosen)  # chosen only if the server lists it
                if chosen is not None and found != chosen:
                    if role in typed:
                        raise FolderNotFound(f"folder {chosen!r} does not exist on {cfg.host}")
                    outcome.stale.append(role)
                if found is not None:
                    outcome.folders[role] = found
            for folder in cfg.folders:
                box.status(folder)
    except (MailboxError, SecretUnavailable) as err:
        outcome.failures.append(Failure(what, problem_of(err), str(err)))
        return
    outcome.passed.append(what)


def check_smtp(cfg: SmtpConfig, credential: SecretSource | None, outcome: Outcome) -> None:
    """Connect, secure and log in to the submission server; no mail is sent."""
    endpoint = replace(smtp_endpoint(cfg), timeout=15.0)
    what = f"SMTP {cfg.username}@{cfg.host}"
    try:
        # The edge has no public "log in only": open and login are what send() itself runs.
        client = smtp_client._open(endpoint)
        try:
            if credential is not None:
                smtp_client._login(client, endpoint, credential)
        finally:
            smtp_client._close(client)
    except (SmtpError, SecretUnavailable) as err:
        outcome.failures.append(Failure(what, problem_of(err), str(err)))
        return
    outcome.passed.append(what)


def check_calendar(
    cfg: CalendarConfig, password: Callable[[], str] | None, outcome: Outcome
) -> None:
    """Fetch the calendar once over the coming weeks."""
    what = f"calendar {cfg.name}"
    now = datetime.now(UTC)
    try:
        source = build_source(
            cfg.kind,
            cfg.name,
            url=cfg.url,
            path=cfg.path,
            username=cfg.username,
            password=password,
            ca_file=cfg.ca_file,
        )
        source.fetch(SourceState(), Window(now - timedelta(days=1), now + timedelta(days=30)))
    except (CalendarError, ValueError, SecretUnavailable) as err:
        outcome.failures.append(Failure(what, problem_of(err), str(err)))
        return
    outcome.passed.append(what)


def credential_for(
    secret: Secret | None, ref: SecretReference | None, *, oauth: bool | None = None
) -> SecretSource:
    """A just-in-time credential: the typed secret, else whatever the reference holds.

    oauth says whether the reference is an ``oauth_token_command`` (an XOAUTH2 token) or a
    ``password``; None guesses from the scheme, which takes a ``command:`` password (a
    password manager's) for a token.
    """
    token = oauth if oauth is not None else ref is not None and ref.scheme == "command"

    def credential() -> Credential:
        if secret is not None:
            return Credential("password", secret.reveal())
        if ref is None:
            raise SecretUnavailable("no password or token given")
        return Credential("xoauth2" if token else "password", resolve(ref))

    return credential


def password_of(secret: Secret | None, ref: SecretReference) -> Callable[[], str]:
    """A calendar password callable: the typed secret, else what the reference holds."""
    credential = credential_for(secret, ref)
    return lambda: credential().secret


# --- storing secrets -------------------------------------------------------------------------

_BLOCK_NAME = re.compile(r"[^a-z0-9-]+")


def secret_ref(store: str, purpose: str, username: str, host: str) -> SecretReference:
    """Where a secret for purpose (imap, smtp, calendar-NAME) goes in the chosen store."""
    scheme, _, target = store.partition(":")
    if scheme == "env":
        base = target or "COFFEECHAT"
        if target and purpose == "imap":
            return SecretReference("env", target)
        suffix = re.sub(r"[^A-Z0-9]+", "_", purpose.upper())
        return SecretReference("env", f"{base}_{suffix}" + ("" if target else "_PASSWORD"))
    if scheme == "keyring":
        return SecretReference("keyring", f"coffeechat/{purpose}:{username}@{host}")
    if scheme == "prefect":
        name = _BLOCK_NAME.sub("-", f"coffeechat-{purpose}-{username}-{host}".lower())
        return SecretReference("prefect", name.strip("-")[:100])
    raise ValueError(f"unknown secret store {store!r} (use env[:NAME], keyring or prefect)")


def store(ref: SecretReference, secret: Secret) -> str | None:
    """Save secret where ref points; return a note for the user (never containing it)."""
    if ref.scheme == "env":
        if os.environ.get(ref.target) == secret.reveal():
            return None
        return f"set {ref.target} in the environment coffeechat runs in (it is not stored)"
    if ref.scheme == "keyring":
        import keyring
        from keyring.errors import KeyringError

        service, _, user = ref.target.partition("/")
        try:
            keyring.set_password(service, user, secret.reveal())
        except (KeyringError, RuntimeError) as err:
            raise SecretUnavailable(
                f"cannot store in the keyring ({type(err).__name__}); "
                "choose --secret-store env:NAME or prefect"
            ) from None
        return None
    if ref.scheme == "prefect":
        from prefect.blocks.system import Secret as SecretBlock
        from pydantic import SecretStr

        try:
            block: Any = SecretBlock(value=SecretStr(secret.reveal()))
            block.save(ref.target, overwrite=True)
        except Exception as err:  # Prefect client errors vary; the name is enough here
            raise SecretUnavailable(
                f"cannot save Prefect Secret block {ref.target!r}: {type(err).__name__}"
            ) from None
        return "Secret blocks are readable by anyone who can reach the Prefect API"
    raise SecretUnavailable(f"cannot store secrets in {ref.scheme}:")


# --- the config file -------------------------------------------------------------------------


def read_document(path: Path) -> tomlkit.TOMLDocument:
    """The existing config as an editable document (comments kept), or an empty one."""
    if not path.exists():
        return tomlkit.document()
    return tomlkit.parse(path.read_text(encoding="utf-8"))


def set_section(doc: tomlkit.TOMLDocument, name: str, values: dict[str, Any]) -> None:
    """Update one [section] in place: None removes a key, other keys are left alone."""
    section = doc.get(name)
    if not isinstance(section, Table):
        section = tomlkit.table()
        doc[name] = section
    for key, value in values.items():
        if value is None:
            section.pop(key, None)
        else:
            section[key] = value


def set_calendar(doc: tomlkit.TOMLDocument, values: dict[str, Any]) -> None:
    """Replace the [[calendars]] entry of the same name, or add one."""
    entries = doc.get("calendars")
    if not isinstance(entries, AoT):
        entries = tomlkit.aot()
        doc["calendars"] = entries
    clean = {k: v for k, v in values.items() if v is not None}
    for entry in entries:
        if entry.get("name") == values["name"]:
            for key in [k for k in entry if k not in clean]:
                del entry[key]
            for key, value in clean.items():
                entry[key] = value
            return
    entries.append(_table(clean))


def _table(values: dict[str, Any]) -> Table:
    table = tomlkit.table()
    for key, value in values.items():
        table[key] = value
    return table


def write_atomically(path: Path, text: str) -> None:
    """Write text to path via a temporary file and rename; the file is mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def existing_ref(section: object, key: str) -> SecretReference | None:
    """The reference already stored under key in a section, if it parses."""
    if not isinstance(section, dict):
        return None
    try:
        return parse_ref(section.get(key)) if section.get(key) else None
    except ValueError:
        return None
