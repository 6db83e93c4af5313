"""Which submission servers keep a copy of sent mail themselves, so we must not APPEND another."""

from __future__ import annotations

from typing import Literal

SaveToSent = Literal["auto", "always", "never"]

# Gmail/Google Workspace and Microsoft 365/Outlook.com file every submitted message in Sent.
# smtp-relay.gmail.com is left out on purpose: the relay service does not file a copy.
_STORES_COPY = frozenset(
    {
        "smtp.gmail.com",
        "smtp.googlemail.com",
        "smtp.office365.com",
        "smtp-mail.outlook.com",
        "smtp.outlook.com",
        "smtp.live.com",
        "smtp.hotmail.com",
        "outlook.office365.com",
    }
)


def provider_stores_sent_copy(host: str) -> bool:
    """True when the SMTP host is known to file submitted mail in the Sent folder itself."""
    return host.strip().rstrip(".").lower() in _STORES_COPY


def should_append_sent_copy(setting: SaveToSent, host: str) -> bool:
    """Whether we APPEND a copy to Sent after a send: the setting, else detection by host."""
    if setting == "always":
        return True
    if setting == "never":
        return False
    return not provider_stores_sent_copy(host)
