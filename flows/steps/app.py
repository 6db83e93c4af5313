"""Everything a flow needs, built from the configuration: never passed as a parameter.

Flow parameters are only the account slug and the config path, so nothing secret is ever
stored by Prefect; credentials are resolved from their references at the moment of use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from coffeechat.integrations.config import ConfigError, ImapConfig, Settings, load_settings
from coffeechat.integrations.imap import Credential, ImapEndpoint
from coffeechat.integrations.secrets import resolve
from coffeechat.models.contacts.records import ensure_account
from coffeechat.models.store.db import ensure_schema, make_engine, session_factory


@dataclass(frozen=True)
class App:
    """The settings, database and account one flow run works on."""

    settings: Settings
    factory: sessionmaker[Session]
    account_id: int
    user_addresses: frozenset[str]


def utcnow() -> datetime:
    """The real clock, read only at the edges of a run and passed down from there."""
    return datetime.now(UTC)


@cache
def load_app(config: str | None = None, account: str | None = None) -> App:
    """Build (once per process) the App for an account slug and config file."""
    settings = load_settings(Path(config) if config else None)
    return build_app(settings, account)


def build_app(settings: Settings, account: str | None = None) -> App:
    """Migrate the database and make sure the account row exists."""
    engine = make_engine(settings.db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    acc = settings.account
    if account and acc.slug != "default" and account != acc.slug:
        # Filling account A's row from account B's file would mix two people's identities.
        raise ConfigError(
            f"account {account!r} does not match the config's account.slug {acc.slug!r}"
        )
    slug = account or acc.slug
    with factory() as session:
        row = ensure_account(
            session,
            slug=slug,
            name=acc.name,
            email=acc.email or f"{slug}@localhost",
            timezone=acc.timezone,
            now=utcnow(),
            other_addresses=acc.other_addresses,
            signature=acc.signature,
            elevator_pitch=acc.elevator_pitch,
            goals=acc.goals,
            meeting_minutes=acc.meeting_minutes,
            pinned_questions=acc.pinned_questions,
        )
        session.commit()
        addresses = frozenset(a.lower() for a in (row.email, *row.other_addresses) if a)
        return App(settings, factory, row.id, addresses)


def imap_endpoint(cfg: ImapConfig) -> ImapEndpoint:
    """The IMAP server to talk to, from the configuration."""
    return ImapEndpoint(
        host=cfg.host,
        port=cfg.port,
        security=cfg.security,
        username=cfg.username,
        allow_plaintext=cfg.allow_plaintext,
        ca_file=cfg.ca_file,
    )


def imap_credential(cfg: ImapConfig) -> Callable[[], Credential]:
    """A callable that resolves the mailbox secret only when a login needs it."""

    def credential() -> Credential:
        if cfg.oauth_token_command is not None:
            return Credential("xoauth2", resolve(cfg.oauth_token_command))
        assert cfg.password is not None  # the config validator guarantees one of the two
        return Credential("password", resolve(cfg.password))

    return credential
