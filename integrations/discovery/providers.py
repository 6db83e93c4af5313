"""The large providers' published IMAP/SMTP/CalDAV settings, with the advice each needs.

Facts from each provider's public help pages (2026): hosts, ports, how logins work. Who
needs an app password, and where it is made, is told before the password is asked for.
"""

from __future__ import annotations

from coffeechat.integrations.discovery.servers import Provider, Server


def _imap(host: str, port: int = 993, security: str = "ssl") -> Server:
    return Server("imap", host, port, security)  # type: ignore[arg-type]


def _smtp(host: str, port: int = 465, security: str = "ssl") -> Server:
    return Server("smtp", host, port, security)  # type: ignore[arg-type]


_OAUTH_RECIPE = (
    "Microsoft accepts only OAuth2 logins for IMAP and SMTP: install a token helper such as "
    "oama (https://github.com/pdobsan/oama), authorize it once (oama authorize microsoft "
    "ADDRESS), then give --oauth-token-command 'oama access ADDRESS'"
)

GMAIL = Provider(
    "Gmail",
    ("gmail.com", "googlemail.com"),
    (_imap("imap.gmail.com"),),
    (_smtp("smtp.gmail.com"), _smtp("smtp.gmail.com", 587, "starttls")),
    guidance=(
        "Gmail needs an app password (2-Step Verification must be on): make one at "
        "https://myaccount.google.com/apppasswords and type it instead of your Google password",
    ),
    ics_hint=(
        "Google Calendar: Settings, your calendar under 'Settings for my calendars', "
        "'Integrate calendar', 'Secret address in iCal format'; give it as "
        "--calendar-ics URL"
    ),
)

OUTLOOK = Provider(
    "Outlook.com",
    ("outlook.com", "hotmail.com", "live.com", "msn.com", "hotmail.co.uk", "outlook.de"),
    (_imap("outlook.office365.com"),),
    (_smtp("smtp-mail.outlook.com", 587, "starttls"),),
    guidance=(_OAUTH_RECIPE,),
    ics_hint=(
        "Outlook.com: Settings, Calendar, Shared calendars, 'Publish a calendar', choose "
        "'Can view all details', Publish, and copy the ICS link; give it as --calendar-ics URL"
    ),
    oauth_only=True,
)

MICROSOFT_365 = Provider(
    "Microsoft 365",
    (),  # any domain whose mail Microsoft hosts; chosen by name (--provider microsoft365)
    (_imap("outlook.office365.com"),),
    (_smtp("smtp.office365.com", 587, "starttls"),),
    guidance=(_OAUTH_RECIPE,),
    ics_hint=OUTLOOK.ics_hint,
    oauth_only=True,
)

ICLOUD = Provider(
    "iCloud",
    ("icloud.com", "me.com", "mac.com"),
    (_imap("imap.mail.me.com"),),
    (_smtp("smtp.mail.me.com", 587, "starttls"),),
    caldav=("https://caldav.icloud.com/",),
    guidance=(
        "iCloud needs an app-specific password: at https://account.apple.com, Sign-In and "
        "Security, App-Specific Passwords; type it instead of your Apple Account password",
    ),
)

FASTMAIL = Provider(
    "Fastmail",
    ("fastmail.com", "fastmail.fm", "fastmail.org", "messagingengine.com"),
    (_imap("imap.fastmail.com"),),
    (_smtp("smtp.fastmail.com"),),
    caldav=("https://caldav.fastmail.com/",),
    guidance=(
        "Fastmail needs an app password: Settings, Privacy & Security, "
        "'Manage app passwords and access', New app password",
    ),
)

YAHOO = Provider(
    "Yahoo",
    ("yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.de", "yahoo.fr"),
    (_imap("imap.mail.yahoo.com"),),
    (_smtp("smtp.mail.yahoo.com"),),
    caldav=("https://caldav.calendar.yahoo.com/",),
    guidance=(
        "Yahoo needs an app password: Account Info, Account Security, 'Generate app password'",
    ),
)

GMX = Provider(
    "GMX",
    ("gmx.net", "gmx.de", "gmx.at", "gmx.ch"),
    (_imap("imap.gmx.net"),),
    (_smtp("mail.gmx.net"), _smtp("mail.gmx.net", 587, "starttls")),
    guidance=("GMX: turn on 'POP3 & IMAP access' in the web mail's settings first",),
)

GMX_COM = Provider(
    "GMX (gmx.com)",
    ("gmx.com", "gmx.us", "gmx.co.uk"),
    (_imap("imap.gmx.com"),),
    (_smtp("mail.gmx.com"), _smtp("mail.gmx.com", 587, "starttls")),
    guidance=GMX.guidance,
)

WEB_DE = Provider(
    "WEB.DE",
    ("web.de",),
    (_imap("imap.web.de"),),
    (_smtp("smtp.web.de", 587, "starttls"),),
    guidance=("WEB.DE: turn on 'POP3/IMAP Abruf' in the web mail's settings first",),
)

PROTON_BRIDGE = Provider(
    "Proton Mail Bridge",
    ("proton.me", "protonmail.com", "protonmail.ch", "pm.me"),
    (_imap("127.0.0.1", 1143, "starttls"),),
    (_smtp("127.0.0.1", 1025, "starttls"),),
    username="%EMAILADDRESS%",
    guidance=(
        "Proton Mail works through Proton Mail Bridge running on this machine: log in with the "
        "password Bridge shows for this address (not your Proton password), and export Bridge's "
        "certificate (Settings, Advanced, Export TLS certificates) and give it as --ca-file",
    ),
)

POSTEO = Provider(
    "Posteo",
    ("posteo.de", "posteo.net", "posteo.at", "posteo.ch", "posteo.eu", "posteo.org"),
    (_imap("posteo.de"),),
    (_smtp("posteo.de"), _smtp("posteo.de", 587, "starttls")),
    caldav=("https://posteo.de:8443/",),
)

MAILBOX_ORG = Provider(
    "mailbox.org",
    ("mailbox.org",),
    (_imap("imap.mailbox.org"),),
    (_smtp("smtp.mailbox.org"), _smtp("smtp.mailbox.org", 587, "starttls")),
    caldav=("https://dav.mailbox.org/",),
)

BUILT_IN: tuple[Provider, ...] = (
    GMAIL, OUTLOOK, MICROSOFT_365, ICLOUD, FASTMAIL, YAHOO, GMX, GMX_COM, WEB_DE,
    PROTON_BRIDGE, POSTEO, MAILBOX_ORG,
)  # fmt: skip


def provider_for(domain: str, table: tuple[Provider, ...]) -> Provider | None:
    """The entry serving this domain, if any."""
    domain = domain.lower().rstrip(".")
    return next((p for p in table if domain in p.domains), None)


def provider_named(name: str, table: tuple[Provider, ...]) -> Provider | None:
    """The entry whose name, without spaces and dots, matches name (e.g. microsoft365)."""

    def key(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    return next((p for p in table if key(p.name) == key(name)), None)
