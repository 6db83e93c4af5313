"""The demo's configuration: the same Settings production reads, pointed at the demo world."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from coffeechat.integrations.config import Settings

# Secrets are references, never values, in coffeechat's config: the demo's lives in this
# variable of our own process. Not COFFEECHAT_-prefixed, so Settings never reads it as a key.
SECRET_ENV = "COFFEE_DEMO_PASSWORD"  # noqa: S105 (a variable name, not a secret)


class DemoSettings(Settings):
    """Settings that ignore COFFEECHAT_* variables: a user's real database must stay untouched."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what the demo passes in."""
        return (init_settings,)


def demo_config(
    data_dir: Path, zone: str, host: str, imap_port: int, smtp_port: int, calendar_url: str
) -> dict[str, Any]:
    """The configuration, as the TOML file would hold it."""
    secret = f"env:{SECRET_ENV}"
    mail = {
        "host": host,
        "security": "plain",
        "allow_plaintext": True,
        "username": "jo@seeker.example",
        "password": secret,
    }
    return {
        "data_dir": str(data_dir),
        "account": {
            "name": "Jo Seeker",
            "email": "jo@seeker.example",
            "timezone": zone,
            "signature": "Jo",
            "elevator_pitch": "Backend developer moving into developer tools.",
            "goals": "Learn how people got into developer relations and tooling teams.",
        },
        "imap": {**mail, "port": imap_port, "sent_folder": "Sent", "drafts_folder": "Drafts"},
        "smtp": {**mail, "port": smtp_port, "save_to_sent": "always"},
        "calendars": [
            {
                "name": "work",
                "kind": "caldav",
                "url": calendar_url,
                "username": "jo",
                "password": secret,
            },
        ],
        "cadence": {
            # Tomorrow's meeting is 10-34 h away depending on the hour: a 36 h lead always
            # covers it (the default is 24 h).
            "prep_lead_hours": 36,
            # The send window is the default one (08:00-20:00 in the user's zone): the story's
            # stops are placed where mail to contacts may go (sequel.timeline).
            # The story's days stand for weeks: an update may follow Ada's thank-you after two
            # days, not four weeks (the default is 28), so it goes as soon as the call with
            # Charles is settled, a day after it (sequel.ada_told_at). No stop between Jo
            # keeping the promise and that one: a single update tells Ada everything.
            "update_interval_days": 2,
        },
        # The defaults: thank-yous go out on their own, nudges wait in Drafts for approval.
        "modes": {"thank_you": "auto", "nudge": "review", "prep_sheet": "auto"},
    }


def to_toml(config: dict[str, Any]) -> str:
    """Write the config as TOML (only the value types demo_config uses)."""
    top = [f"{k} = {_value(v)}" for k, v in config.items() if not isinstance(v, dict | list)]
    lines = [*top, ""]
    for key, value in config.items():
        if isinstance(value, dict):
            lines += [f"[{key}]", *(f"{k} = {_value(v)}" for k, v in value.items()), ""]
        elif isinstance(value, list):
            for table in value:
                lines += [f"[[{key}]]", *(f"{k} = {_value(v)}" for k, v in table.items()), ""]
    return "\n".join(lines)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | time):
        return str(value) if not isinstance(value, time) else value.isoformat()
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
