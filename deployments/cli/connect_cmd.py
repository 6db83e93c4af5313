"""``coffeechat connect``: set up (or edit) the mailbox, SMTP and calendars, checked live.

Flags for everything; on a terminal, whatever is missing is asked for. A section is touched
only when a flag names it (or, for IMAP, when there is none yet), so running the command
again edits one part of the setup and leaves the rest of the file as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import tomlkit
import typer
from pydantic import ValidationError
from rich.markup import escape

from coffeechat.deployments import connect as c
from coffeechat.deployments.cli import connect_found as cf
from coffeechat.deployments.cli.connect_wizard import LOGIN_KEYS, Login, Wizard
from coffeechat.deployments.cli.runtime import console, runtime
from coffeechat.integrations.calendar import CalendarError
from coffeechat.integrations.config import (
    CalendarConfig,
    ConfigError,
    ImapConfig,
    Settings,
    SmtpConfig,
    config_path,
    describe_errors,
)
from coffeechat.integrations.secrets import SecretUnavailable

Opt = typer.Option
KINDS = {"ics_url": "ics_url", "ics": "ics_url", "caldav": "caldav", "ics_file": "ics_file"}


def _model(kind: Any, values: dict[str, Any]) -> Any:
    try:
        return kind.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as err:
        raise typer.BadParameter(describe_errors(err)) from None


def _with_login(values: dict[str, Any], login: Login) -> dict[str, Any]:
    return values | dict.fromkeys(LOGIN_KEYS) | {login.key: str(login.ref)}


def _imap(w: Wizard, flags: dict[str, Any], oauth: str | None) -> dict[str, Any] | None:
    old: dict[str, Any] = w.current.get("imap") or {}
    if not (flags["host"] or flags["username"] or oauth or not old):
        return None
    host = w.ask(flags["host"] or old.get("host"), "IMAP host")
    user = w.ask(flags["username"] or old.get("username"), "IMAP user")
    if not host or not user:
        raise typer.BadParameter(
            "give your address (coffeechat connect you@example.com) or --imap-host and --imap-user"
        )
    values = {k: flags.get(k) or old.get(k) for k in ImapConfig.model_fields if k not in LOGIN_KEYS}
    values |= {"host": host, "username": user}
    values |= _security_and_port(w, "imap", values, bool(old))
    login = w.login("imap", "IMAP password", oauth, old, user, host)
    values = _with_login(values, login)
    cfg = _model(ImapConfig, values)
    typed = frozenset(r for r in ("sent", "drafts") if flags.get(f"{r}_folder"))
    c.check_imap(cfg, login.credential(), w.outcome, typed)
    # Sent and Drafts found by SPECIAL-USE are looked up again at each session, never pinned
    # here (a renamed folder would then stop every sync); a stale name in the file is dropped.
    for role in w.outcome.stale:
        values[f"{role}_folder"] = None
    w.imap_login = login
    return values


def _smtp(
    w: Wizard,
    flags: dict[str, Any],
    oauth: str | None,
    same: bool,
    imap: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    old: dict[str, Any] = w.current.get("smtp") or {}
    host = flags["host"] or (None if old else w.ask(None, "SMTP host (empty: skip)", ""))
    if not (host or flags["username"] or same):
        return None
    host = host or old.get("host")
    # The IMAP login of this run (or of the file): most providers use the same one for SMTP.
    imap = imap or w.current.get("imap") or {}
    user = flags["username"] or old.get("username") or imap.get("username")
    if not host or not user:
        raise typer.BadParameter("give --smtp-host and --smtp-user")
    values = {k: flags.get(k) or old.get(k) for k in SmtpConfig.model_fields if k not in LOGIN_KEYS}
    values |= {"host": host, "username": user}
    values |= _security_and_port(w, "smtp", values, bool(old))
    if same and w.imap_login is not None:
        login = w.imap_login
    else:
        login = w.login("smtp", "SMTP password", oauth, old, user, host)
    values = _with_login(values, login)
    c.check_smtp(_model(SmtpConfig, values), login.credential(), w.outcome)
    return values


def _security_and_port(
    w: Wizard, protocol: str, values: dict[str, Any], kept: bool
) -> dict[str, Any]:
    """Security and port: given, kept from the file, or asked for a new server on a terminal."""
    security, port = values.get("security"), values.get("port")
    if security is None and w.tty and not kept:
        label = protocol.upper()
        security = cf.ask_security(label, "ssl")
        port = port or cf.ask_number(f"{label} port", 65535, cf.DEFAULT_PORTS[(protocol, security)])
    return {"security": security or "ssl", "port": port}


def _calendars(
    w: Wizard,
    specs: list[str],
    users: list[str],
    ca_file: Path | None,
    shared: dict[str, Login] | None = None,
) -> list[dict[str, Any]]:
    """Check each --calendar; shared maps a name to a login already given (the mail one)."""
    logins = dict(_pair(u, "--calendar-user") for u in users)
    found = []
    for spec in specs:
        name, rest = _pair(spec, "--calendar")
        kind, _, target = rest.partition(":")
        if kind not in KINDS or not target:
            raise typer.BadParameter(f"--calendar {name}=KIND:URL-or-PATH, KIND one of {KINDS}")
        kind = KINDS[kind]
        values: dict[str, Any] = {"name": name, "kind": kind, "username": logins.get(name)}
        values["path" if kind == "ics_file" else "url"] = target
        values["ca_file"] = str(ca_file) if ca_file else None
        secret = ref = None
        if values["username"] and shared and name in shared:
            ref, secret = shared[name].ref, shared[name].secret
            values["password"] = str(ref)
        elif values["username"]:
            old: dict[str, Any] = next(
                (x for x in w.current.get("calendars", []) if x.get("name") == name), {}
            )
            login = w.login(
                f"calendar-{name}",
                f"password of calendar {name}",
                None,
                old,
                values["username"],
                name,
            )
            ref, secret = login.ref, login.secret
            values["password"] = str(ref)
        password = c.password_of(secret, ref) if ref else None
        if kind == "caldav":
            values["url"] = _pick_calendar(w, name, values, password)
            if values["url"] is None:
                continue  # the failure is in the outcome: nothing will be written
        cfg = _model(CalendarConfig, values)
        c.check_calendar(cfg, password, w.outcome)
        found.append(values)
    return found


def _pick_calendar(
    w: Wizard, name: str, values: dict[str, Any], password: Callable[[], str] | None
) -> str | None:
    """The collection URL to store, found from a server, principal, home URL or an address."""
    what = f"calendar {name}"
    try:
        from coffeechat.integrations.calendar.dav import discover

        found = discover(
            values["url"], username=values["username"], password=password, ca_file=values["ca_file"]
        )
    except (CalendarError, ValueError, SecretUnavailable) as err:
        w.outcome.failures.append(c.Failure(what, c.problem_of(err), str(err)))
        return None
    if len(found) == 1:
        return found[0].url
    if not found:
        w.outcome.failures.append(c.Failure(what, "calendar", "no calendar with events there"))
        return None
    for i, cal in enumerate(found, 1):
        console.print(f"       {escape(what)} [{i}] {escape(cal.name)}: {escape(cal.url)}")
    if w.tty:
        pick = cf.ask_number(f"which calendar for {name}", len(found))
        return found[pick - 1].url
    detail = f"{len(found)} calendars found: give one's URL as --calendar {name}=caldav:URL"
    w.outcome.failures.append(c.Failure(what, "calendar", detail))
    return None


def _pair(text: str, flag: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise typer.BadParameter(f"{flag} expects NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def _report(outcome: c.Outcome) -> None:
    for what in outcome.passed:
        console.print(f"[green]ok[/green]     {escape(what)}")
    for role, folder in outcome.folders.items():
        console.print(f"       {role} folder: {escape(folder)}")
    for failure in outcome.failures:
        hint = c.hint_for(failure)
        console.print(
            f"[red]FAILED[/red] {escape(failure.what)}: {failure.problem}: "
            f"{escape(c.flag_words(failure))}" + (f"\n       hint: {escape(hint)}" if hint else "")
        )


def connect(
    ctx: typer.Context,
    address: Annotated[
        str | None,
        typer.Argument(
            metavar="ADDRESS",
            help="Your email address: its IMAP, SMTP and calendar servers are looked up.",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[bool, Opt("--yes", "-y", help="Accept what was found without asking.")] = False,
    provider: Annotated[
        str | None, Opt(help="Use a built-in provider's settings, e.g. microsoft365.")
    ] = None,
    ca_file: Annotated[
        Path | None, Opt(help="Extra CA to trust for every server (IMAP, SMTP, calendars).")
    ] = None,
    imap_host: Annotated[str | None, Opt(help="IMAP server host.")] = None,
    imap_port: Annotated[int | None, Opt(help="IMAP port (default: by security).")] = None,
    imap_security: Annotated[str | None, Opt(help="ssl, starttls or plain.")] = None,
    imap_user: Annotated[str | None, Opt(help="IMAP login.")] = None,
    imap_ca_file: Annotated[Path | None, Opt(help="Extra CA to trust for IMAP.")] = None,
    imap_allow_plaintext: Annotated[bool, Opt(help="Plain IMAP, loopback only.")] = False,
    imap_folder: Annotated[list[str] | None, Opt(help="Extra folder to watch (repeat).")] = None,
    sent_folder: Annotated[str | None, Opt(help="Sent folder (default: SPECIAL-USE).")] = None,
    drafts_folder: Annotated[str | None, Opt(help="Drafts folder (default: SPECIAL-USE).")] = None,
    oauth_token_command: Annotated[
        str | None, Opt(help="Command printing an OAuth2 access token (IMAP and SMTP).")
    ] = None,
    smtp_host: Annotated[str | None, Opt(help="SMTP submission host.")] = None,
    smtp_port: Annotated[int | None, Opt(help="SMTP port (default: by security).")] = None,
    smtp_security: Annotated[str | None, Opt(help="ssl, starttls or plain.")] = None,
    smtp_user: Annotated[str | None, Opt(help="SMTP login (default: the IMAP one).")] = None,
    smtp_ca_file: Annotated[Path | None, Opt(help="Extra CA to trust for SMTP.")] = None,
    smtp_allow_plaintext: Annotated[bool, Opt(help="Plain SMTP, loopback only.")] = False,
    smtp_same_password: Annotated[bool, Opt(help="SMTP logs in with the IMAP secret.")] = False,
    calendar: Annotated[
        list[str] | None,
        Opt(
            help="NAME=KIND:URL-or-PATH; KIND ics_url, caldav or ics_file. For caldav, the "
            "server's address, your principal or calendar home, or your email address will do."
        ),
    ] = None,
    calendar_ics: Annotated[
        str | None, Opt(help="A calendar's secret ICS address (stored as calendar 'main').")
    ] = None,
    no_calendar: Annotated[bool, Opt("--no-calendar", help="Do not look for a calendar.")] = False,
    calendar_user: Annotated[list[str] | None, Opt(help="NAME=USER: a calendar login.")] = None,
    calendar_ca_file: Annotated[Path | None, Opt(help="Extra CA for new calendars.")] = None,
    secret_store: Annotated[str | None, Opt(help="env[:VARNAME], keyring or prefect.")] = None,
    password_stdin: Annotated[
        bool, Opt(help="Read secrets from stdin, one a line: IMAP, SMTP, calendars.")
    ] = False,
    email: Annotated[str | None, Opt(help="Your email address (default: ADDRESS).")] = None,
    name: Annotated[str | None, Opt(help="Your name.")] = None,
    timezone: Annotated[
        str | None, Opt(help="Your IANA time zone (default: this machine's).")
    ] = None,
    pitch: Annotated[str | None, Opt(help="Your elevator pitch, for prep sheets.")] = None,
    goals: Annotated[str | None, Opt(help="What you want from these conversations.")] = None,
    dns_server: Annotated[
        str | None,
        Opt(
            hidden=True,
            envvar="COFFEECHAT_DNS_SERVER",
            help="HOST:PORT of the DNS server for SRV lookups.",
        ),
    ] = None,
    autoconfig_url: Annotated[
        list[str] | None,
        Opt(
            hidden=True,
            envvar="COFFEECHAT_AUTOCONFIG_URL",
            help="Autoconfig URL template ({domain}, {address}); repeat.",
        ),
    ] = None,
) -> None:
    """Connect your mailbox, SMTP server and calendars; every connection is tried live.

    Give your email address and the rest is looked up: the provider's known settings, the
    domain's autoconfig file, or its DNS SRV records. Only what is not found is asked.
    """
    w = Wizard(config_path(runtime(ctx).config), password_stdin, secret_store)
    imap_flags: dict[str, Any] = {
        "host": imap_host,
        "port": imap_port,
        "security": imap_security,
        "username": imap_user,
        "ca_file": _path(imap_ca_file or ca_file),
        "allow_plaintext": imap_allow_plaintext or None,
        "folders": imap_folder,
        "sent_folder": sent_folder,
        "drafts_folder": drafts_folder,
    }
    smtp_flags: dict[str, Any] = {
        "host": smtp_host,
        "port": smtp_port,
        "security": smtp_security,
        "username": smtp_user,
        "ca_file": _path(smtp_ca_file or ca_file),
        "allow_plaintext": smtp_allow_plaintext or None,
    }
    found, smtp_wanted = None, True
    if provider and not (address or email):
        raise typer.BadParameter("--provider needs your address: coffeechat connect ADDRESS")
    if not address and email and not w.current.get("imap"):
        address = email  # a first setup from --email alone is looked up the same way
    if address and not imap_host:
        lookup = cf.Lookup(dns_server, tuple(autoconfig_url or ()), ca_file)
        found = cf.find(address, provider, lookup)
        oauth_token_command = cf.oauth_command(w, found, oauth_token_command, yes)
        cf.use_found(w, found, "imap", imap_flags, yes)
        imap_flags["username"] = imap_user or found.username or address
        if not smtp_host:
            smtp_wanted = cf.use_found(w, found, "smtp", smtp_flags, yes)
            smtp_same_password = smtp_same_password or smtp_user is None
    imap = _imap(w, imap_flags, oauth_token_command)
    smtp = None
    if smtp_wanted:
        smtp = _smtp(w, smtp_flags, oauth_token_command, smtp_same_password, imap)
    specs = list(calendar or []) + ([f"main=ics_url:{calendar_ics}"] if calendar_ics else [])
    users, shared = list(calendar_user or []), {}
    if found and imap and w.imap_login and not (specs or no_calendar or w.outcome.failures):
        cal_ca = calendar_ca_file or ca_file
        specs = cf.calendar(w, found, w.imap_login, imap["username"], yes, cal_ca)
        users.append(f"main={imap['username']}")
        shared["main"] = w.imap_login
    calendars = _calendars(w, specs, users, calendar_ca_file or ca_file, shared)
    account: dict[str, Any] = {}
    if not w.outcome.failures:
        new = found is not None or (w.tty and not w.current.get("account"))
        given = {"email": email or address, "name": name, "timezone": timezone,
                 "elevator_pitch": pitch, "goals": goals}  # fmt: skip
        account = cf.profile(w, given, yes, new)
    _report(w.outcome)
    if w.outcome.failures:
        console.print("nothing written: fix the above and run coffeechat connect again")
        raise typer.Exit(1)
    _write(w, imap, smtp, calendars, account)


def _path(path: Path | None) -> str | None:
    return str(path) if path else None


def _write(
    w: Wizard,
    imap: dict[str, Any] | None,
    smtp: dict[str, Any] | None,
    calendars: list[dict[str, Any]],
    account: dict[str, Any],
) -> None:
    if imap is not None:
        c.set_section(w.doc, "imap", imap)
    if smtp is not None:
        c.set_section(w.doc, "smtp", smtp)
    for values in calendars:
        c.set_calendar(w.doc, values)
    if any(account.values()):
        c.set_section(w.doc, "account", {k: v for k, v in account.items() if v})
    try:
        Settings(**w.doc.unwrap())
    except ValidationError as err:
        raise ConfigError(f"{w.path}: would be invalid: {describe_errors(err)}") from None
    try:
        notes = w.store_all()  # only once everything checked out and the file will be valid
    except SecretUnavailable as err:
        console.print(f"[red]error:[/red] {escape(str(err))}; nothing written")
        raise typer.Exit(2) from None
    c.write_atomically(w.path, tomlkit.dumps(w.doc))
    console.print(f"wrote {escape(str(w.path))} (mode 0600; it holds references, no secrets)")
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
