"""The configuration: one TOML file, single values overridable by environment variables.

Precedence, highest first: ``COFFEECHAT_<SECTION>__<KEY>`` environment variables, the TOML
file (``--config``, else ``COFFEECHAT_CONFIG``, else the user's config directory), defaults.
Secrets are never values here, only references to where they live (see integrations/secrets.py).
"""

from __future__ import annotations

import os
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from coffeechat.integrations.secrets import SecretRef

APP = "coffeechat"
Security = Literal["ssl", "starttls", "plain"]
Mode = Literal["auto", "review"]


class ConfigError(Exception):
    """The configuration file or environment is unusable; the message names key and problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountConfig(_Section):
    """Who the user is."""

    slug: str = "default"
    name: str = "Me"
    email: str = ""
    other_addresses: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    signature: str = ""
    elevator_pitch: str = ""
    goals: str = ""
    # The length the outreach asks for; the prep sheet falls back on it without a calendar end.
    meeting_minutes: int = Field(default=20, ge=5, le=240)
    # Questions of the user's own, first on every prep sheet.
    pinned_questions: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)"
            ) from None
        return value


class _ServerConfig(_Section):
    """What IMAP and SMTP share: where the server is and how to log in."""

    host: str
    port: int | None = None
    security: Security = "ssl"
    username: str
    password: SecretRef | None = None
    oauth_token_command: SecretRef | None = None
    allow_plaintext: bool = False
    ca_file: Path | None = None


class ImapConfig(_ServerConfig):
    """The mailbox to watch."""

    # Only for a folder the user chose by hand: by default Sent and Drafts are looked up on the
    # server at each session (SPECIAL-USE, then well-known names), so a rename is followed.
    sent_folder: str | None = None
    drafts_folder: str | None = None
    folders: list[str] = Field(default_factory=list)
    backfill_days: int = Field(default=30, ge=0, le=3650)
    max_message_bytes: int = Field(default=10_000_000, ge=10_000)
    poll_seconds: int = Field(default=300, ge=10)

    @model_validator(mode="after")
    def _credentials(self) -> ImapConfig:
        if self.password is None and self.oauth_token_command is None:
            raise ValueError("give either password (a secret reference) or oauth_token_command")
        return self


class SmtpConfig(_ServerConfig):
    """Where outgoing mail is submitted."""

    # auto: skip the Sent copy for providers that keep one themselves (Gmail, Microsoft 365).
    save_to_sent: Literal["auto", "always", "never"] = "auto"


class CalendarConfig(_Section):
    """One calendar source."""

    name: str
    kind: Literal["ics_url", "ics_file", "caldav"]
    url: str | None = None
    path: Path | None = None
    username: str | None = None
    password: SecretRef | None = None
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _location(self) -> CalendarConfig:
        if self.kind == "ics_file" and self.path is None:
            raise ValueError("an ics_file calendar needs path")
        if self.kind != "ics_file" and not self.url:
            raise ValueError(f"a {self.kind} calendar needs url")
        return self


class CadenceConfig(_Section):
    """When things happen; every delay in the user's time zone."""

    prep_lead_hours: float = Field(default=24, ge=0)
    thank_you_delay_hours: float = Field(default=2, ge=0)
    thank_you_deadline_hours: float = Field(default=24, gt=0)
    send_window_start: time = time(8, 0)
    send_window_end: time = time(20, 0)
    nudge_after_business_days: int = Field(default=7, ge=1)
    # A nudge that fell due longer ago than this is dropped, never sent (outreach from long
    # before coffeechat was connected, or a service off for weeks).
    nudge_give_up_days: int = Field(default=14, ge=1)
    update_interval_days: int = Field(default=28, ge=1)
    daily_cap: int = Field(default=20, ge=0)
    calendar_days_back: int = Field(default=14, ge=0)
    calendar_days_ahead: int = Field(default=90, ge=1)
    # A meeting that ended longer than this before the account was connected is never thanked
    # automatically (status lists it; `coffeechat thank` asks for one).
    first_run_horizon_hours: float = Field(default=24, gt=0)

    @model_validator(mode="after")
    def _window(self) -> CadenceConfig:
        if self.send_window_end <= self.send_window_start:
            raise ValueError("send_window_end must be after send_window_start (same day)")
        return self


class ModesConfig(_Section):
    """Whether each kind of email goes out on its own or waits in Drafts for approval."""

    outreach: Mode = "review"
    nudge: Mode = "review"
    thank_you: Mode = "auto"
    update: Mode = "auto"
    prep_sheet: Mode = "auto"
    # A request to a contact to introduce you to someone they suggested.
    intro_request: Mode = "review"


class DigestConfig(_Section):
    """The daily digest email to the user's own address (off unless enabled)."""

    enabled: bool = False
    # The hour of the day, on the user's clock, at which the digest goes (when there is news).
    hour: int = Field(default=8, ge=0, le=23)


class DebriefConfig(_Section):
    """Asking the user, after each meeting, how it went (by email to their own address)."""

    enabled: bool = True
    # One reminder this long after the request when no answer came; then nothing more.
    reminder_hours: float = Field(default=24.0, gt=0, le=24 * 14)
    # The thank-you waits this long after the meeting for the answer, to quote it (0: no wait).
    # It never waits past the thank-you deadline or the send window's last slot before it.
    thank_you_wait_hours: float = Field(default=20.0, ge=0, le=24 * 7)
    # Without an answer by then: today's generic thank-you, or the same put up for review.
    thank_you_without: Literal["generic", "review"] = "generic"


def default_data_dir() -> Path:
    """The user's data directory (database, prep sheets)."""
    return Path(platformdirs.user_data_dir(APP))


def default_config_path() -> Path:
    """The config file looked for when none is named."""
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


class Settings(BaseSettings):
    """Everything coffeechat is told, validated."""

    model_config = SettingsConfigDict(
        env_prefix="COFFEECHAT_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    templates_dir: Path | None = None
    account: AccountConfig = Field(default_factory=AccountConfig)
    imap: ImapConfig | None = None
    smtp: SmtpConfig | None = None
    calendars: list[CalendarConfig] = Field(default_factory=list)
    cadence: CadenceConfig = Field(default_factory=CadenceConfig)
    modes: ModesConfig = Field(default_factory=ModesConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    debrief: DebriefConfig = Field(default_factory=DebriefConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment variables win over the file's values (passed in as init values)."""
        return (env_settings, init_settings)

    @property
    def db_url(self) -> str:
        """The database URL: configured, else SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'coffeechat.db'}"


def config_path(explicit: Path | None = None) -> Path:
    """Which config file applies: ``--config``, then ``COFFEECHAT_CONFIG``, then the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get("COFFEECHAT_CONFIG")
    return Path(env) if env else default_config_path()


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the configuration; raise ConfigError with one clear message."""
    file = config_path(path)
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{file}: not valid TOML: {err}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{file}: cannot be read: {err}") from None
    elif path is not None:
        raise ConfigError(f"{file}: no such config file")
    try:
        return Settings(**data)
    except ValidationError as err:
        raise ConfigError(f"{file}: {describe_errors(err)}") from None


def describe_errors(err: ValidationError) -> str:
    """Turn pydantic's errors into 'key: problem' lines (never echoing input values)."""
    lines = []
    for e in err.errors(include_input=False, include_url=False):
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{key}: {msg}")
    return "; ".join(lines)
