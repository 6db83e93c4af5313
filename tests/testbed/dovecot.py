"""Dovecot 2.3 on loopback: a pool of users, plain IMAP plus IMAPS, Maildir on disk."""

from __future__ import annotations

import imaplib
import pwd
import shutil
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.testbed.imap import StoredMessage, check_ok, parse_fetch, quote_folder
from tests.testbed.maildir import MaildirWriter, chown_tree
from tests.testbed.oauth import TokenAuthority, shared_authority
from tests.testbed.ports import LOOPBACK, ManagedProcess, free_port, scratch_dir, wait_until
from tests.testbed.tls import TlsFiles

DOVECOT_BIN = Path("/usr/sbin/dovecot")
POOL_SIZE = 999  # user001..user999: one passwd line each; a full run now takes more than 200

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = coffeechat-testbed-{imap_port}
protocols = imap
listen = {host}
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
# A wrong password must fail at once in tests, not after Dovecot's 2 s anti-brute-force delay.
auth_failure_delay = 0
# Dovecot also delays the next login from an IP after failures (2, 4, 8... s) through
# anvil's auth penalty, which would slow whichever test logs in next: switch it off.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 200
# Passwords are checked only for PLAIN/LOGIN, and tokens only for XOAUTH2/OAUTHBEARER: a wrong
# password never reaches the token authority, and a token is never tried as a password.
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {ssl_port}
    ssl = yes
  }}
}}
{namespace}
{extra}"""

# The default folder layout: flat names, "/" separator, Sent and Drafts marked by SPECIAL-USE.
DEFAULT_NAMESPACE = """\
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
"""


def namespace_config(
    folders: dict[str, str | None],
    *,
    prefix: str = "",
    separator: str = "/",
    auto: str = "subscribe",
) -> str:
    """A namespace block: folder name -> SPECIAL-USE attribute (None: a plain folder).

    Every user gets these folders (auto = subscribe), or gets them only once created
    (auto = no), which lets a test RENAME one folder onto another's name and attribute.
    """
    lines = ["namespace inbox {", "  inbox = yes", f"  separator = {separator}"]
    if prefix:
        lines.append(f"  prefix = {prefix}")
    for name, attribute in folders.items():
        lines.append(f'  mailbox "{name}" {{')
        if attribute is not None:
            lines.append(f"    special_use = {attribute}")
        lines += [f"    auto = {auto}", "  }"]
    return "\n".join([*lines, "}", ""])


# The oauth2 passdb's settings: RFC 7662 introspection against the test bed's token authority.
_OAUTH2 = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
timeout_msecs = 5000
"""


class DovecotServer:
    """A running Dovecot with POOL_SIZE users (user001...) whose password is 'pw-<user>'.

    Each user can also log in with XOAUTH2/OAUTHBEARER and a token from .oauth (see
    tests.testbed.oauth), which Dovecot checks by introspection at every login.
    """

    def __init__(
        self,
        tls: TlsFiles,
        oauth: TokenAuthority | None = None,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        imap_capability: str | None = None,
    ) -> None:
        """Write the config and user pool; call start() to run it.

        namespace replaces the folder layout (see namespace_config); imap_capability replaces
        the advertised CAPABILITY list (e.g. without IDLE or SPECIAL-USE).
        """
        self.host = LOOPBACK
        self.oauth = oauth if oauth is not None else shared_authority()
        self.port = free_port()
        self.ssl_port = free_port()
        self.tls = tls
        self.ca_path = tls.ca_path
        self.root = scratch_dir("dovecot")
        self.log_path = self.root / "dovecot.log"
        self.config_path = self.root / "dovecot.conf"
        self.write_config(namespace, imap_capability)
        (self.root / "oauth2.conf.ext").write_text(_OAUTH2.format(url=self.oauth.introspection_url))
        users = [f"user{n:03d}" for n in range(1, POOL_SIZE + 1)]
        # The passwd-file is written once: Dovecot re-reads it at most once a second.
        (self.root / "passwd").write_text("".join(f"{u}:{self.password_for(u)}\n" for u in users))
        self._free_users = users
        home = self.root / "home"
        home.mkdir()
        nobody = pwd.getpwnam("nobody")
        chown_tree(home, nobody.pw_uid, nobody.pw_gid)
        self.process = ManagedProcess(
            [str(DOVECOT_BIN), "-F", "-c", str(self.config_path)],
            self.root / "dovecot.stdout.log",
            self.root,
        )

    def write_config(self, namespace: str, imap_capability: str | None = None) -> None:
        """(Re)write dovecot.conf; a running server reads it at its next restart()."""
        extra = f"imap_capability = {imap_capability}\n" if imap_capability else ""
        self.config_path.write_text(
            _CONFIG.format(
                root=self.root,
                host=self.host,
                imap_port=self.port,
                ssl_port=self.ssl_port,
                cert=self.tls.cert_path,
                key=self.tls.key_path,
                namespace=namespace,
                extra=extra,
            )
        )

    def reconfigure(self, namespace: str, imap_capability: str | None = None) -> None:
        """Change the folder layout (or capabilities) of a live server: rewrite, restart."""
        self.write_config(namespace, imap_capability)
        self.restart()

    def logins(self, user: str) -> int:
        """How many times user has logged in so far, from Dovecot's log."""
        if not self.log_path.exists():
            return 0
        marker = f"Login: user=<{user}>"
        with self.log_path.open(encoding="utf-8", errors="replace") as log:
            return sum(marker in line for line in log)

    @staticmethod
    def password_for(user: str) -> str:
        """Return the known password of a pool user."""
        return f"pw-{user}"

    def start(self) -> None:
        """Start Dovecot (on the same ports as before) and wait until both listeners greet."""
        self.process.start()
        wait_until(self._ready, "dovecot", log=self.log_path)

    def _ready(self) -> bool:
        if not self.process.running:
            raise RuntimeError(f"dovecot exited early; see {self.log_path}")
        try:
            imaplib.IMAP4(self.host, self.port, timeout=1).logout()
            imaplib.IMAP4_SSL(
                self.host, self.ssl_port, ssl_context=self.tls.client_context(), timeout=1
            ).logout()
        except (OSError, imaplib.IMAP4.error):
            return False
        return True

    def stop(self) -> None:
        """Stop Dovecot gracefully (SIGTERM), then make sure nothing of it survives."""
        self.process.stop()

    def kill_server(self) -> None:
        """SIGKILL Dovecot and all its children, as a crash would; start() brings it back."""
        self.process.kill()

    def restart(self) -> None:
        """Stop and start again on the same ports (open client connections are dropped)."""
        self.stop()
        self.start()

    def take_user(self) -> Mailbox:
        """Hand out an unused pool user with a fresh, empty mailbox."""
        if not self._free_users:
            raise RuntimeError(f"all {POOL_SIZE} Dovecot test users used; raise POOL_SIZE")
        user = self._free_users.pop(0)
        return Mailbox(self, user, self.password_for(user), self.root / "home" / user)

    def close(self) -> None:
        """Kill the server (a graceful stop takes Dovecot a second) and delete its files."""
        self.kill_server()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Mailbox:
    """One test's IMAP account on the session's Dovecot."""

    server: DovecotServer
    user: str
    password: str
    home: Path
    maildir: Path = field(init=False)

    def __post_init__(self) -> None:
        """Derive the Maildir path from the home dir."""
        self.maildir = self.home / "Maildir"

    @property
    def host(self) -> str:
        """Return the server's address."""
        return self.server.host

    @property
    def port(self) -> int:
        """Return the plain IMAP port."""
        return self.server.port

    @property
    def ssl_port(self) -> int:
        """Return the implicit-TLS IMAP port."""
        return self.server.ssl_port

    @property
    def ca_path(self) -> Path:
        """Return the CA PEM that verifies the IMAPS cert."""
        return self.server.ca_path

    def ssl_context(self) -> ssl.SSLContext:
        """Return a verifying client context for the IMAPS port."""
        return self.server.tls.client_context()

    def connect(self) -> imaplib.IMAP4:
        """Return a logged-in plain imaplib client (caller logs out)."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        flags: tuple[str, ...] | list[str] = (),
        date: datetime | None = None,
    ) -> int:
        """APPEND one message (creating the folder if needed) and return its UID."""
        when = imaplib.Time2Internaldate(date) if date is not None else None
        flag_list = f"({' '.join(flags)})" if flags else None
        client = self.connect()
        try:
            typ, data = client.append(quote_folder(folder), flag_list, when, raw)
            if typ != "OK" and b"TRYCREATE" in b"".join(d for d in data if isinstance(d, bytes)):
                client.create(quote_folder(folder))
                typ, data = client.append(quote_folder(folder), flag_list, when, raw)
            check_ok(typ, data, "APPEND")
            code = client.untagged_responses.get("APPENDUID", [b"0 0"])[-1]
            return int(code.split()[1]) if isinstance(code, bytes) else 0
        finally:
            client.logout()

    def seed_maildir(
        self,
        messages: Iterable[bytes],
        folder: str = "INBOX",
        flags: tuple[str, ...] | list[str] = (),
        date: datetime | None = None,
    ) -> int:
        """Write messages straight into the Maildir (10k in about a second); return how many."""
        writer = MaildirWriter(self.maildir, folder)
        return writer.write_all(messages, flags, date)

    def recreate_folder(self, folder: str, keep_messages: bool = True) -> None:
        """Delete and re-create folder so its UIDVALIDITY changes, by default keeping its mail."""
        kept = self.messages(folder) if keep_messages else []
        if folder.upper() == "INBOX":
            # IMAP cannot delete INBOX: drop Dovecot's UID list and indexes so it starts over.
            MaildirWriter(self.maildir, folder).reset(drop_messages=not keep_messages)
            return
        client = self.connect()
        try:
            check_ok(*client.delete(quote_folder(folder)), "DELETE")
            check_ok(*client.create(quote_folder(folder)), "CREATE")
        finally:
            client.logout()
        for message in kept:
            self.seed_maildir([message.raw], folder, message.flags)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        """Return the folder's current UIDVALIDITY."""
        client = self.connect()
        try:
            typ, data = client.status(quote_folder(folder), "(UIDVALIDITY)")
            check_ok(typ, data, "STATUS")
            text = data[0].decode() if isinstance(data[0], bytes) else ""
            return int(text.rsplit("UIDVALIDITY", 1)[1].strip(" )"))
        finally:
            client.logout()

    def messages(self, folder: str = "INBOX") -> list[StoredMessage]:
        """Return every message in folder with UID, flags and raw bytes, without marking it seen."""
        client = self.connect()
        try:
            check_ok(*client.select(quote_folder(folder), readonly=True), "SELECT")
            typ, data = client.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
            check_ok(typ, data, "FETCH")
            return parse_fetch(data)
        finally:
            client.logout()
