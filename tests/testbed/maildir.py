"""Write Maildir++ folders directly, owned by `nobody`, the way Dovecot expects to find them."""

from __future__ import annotations

import itertools
import os
import pwd
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

# Maildir encodes system flags as letters after ":2,", which must be in ASCII order.
_FLAG_LETTERS = {
    "\\Draft": "D",
    "\\Flagged": "F",
    "\\Answered": "R",
    "\\Seen": "S",
    "\\Deleted": "T",
}
_counter = itertools.count()


def chown_tree(path: Path, uid: int, gid: int) -> None:
    """Give path and everything below it to uid:gid."""
    os.chown(path, uid, gid)
    for parent, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(parent, name), uid, gid)


def folder_path(maildir: Path, folder: str) -> Path:
    """Return the on-disk dir of an IMAP folder (ASCII names; '/' separated) in Maildir++."""
    if folder.upper() == "INBOX":
        return maildir
    return maildir / ("." + folder.replace("/", "."))


class MaildirWriter:
    """Creates one folder's dirs if needed and drops message files into cur/."""

    def __init__(self, maildir: Path, folder: str) -> None:
        """Make sure the folder exists on disk, owned by nobody."""
        nobody = pwd.getpwnam("nobody")
        self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
        self.maildir = maildir
        self.path = folder_path(maildir, folder)
        for directory in (maildir.parent, maildir, self.path):
            if not directory.exists():
                directory.mkdir(mode=0o700)
                os.chown(directory, self.uid, self.gid)
        for sub in ("cur", "new", "tmp"):
            if not (self.path / sub).exists():
                (self.path / sub).mkdir(mode=0o700)
                os.chown(self.path / sub, self.uid, self.gid)
        if self.path != maildir and not (self.path / "maildirfolder").exists():
            (self.path / "maildirfolder").touch()
            os.chown(self.path / "maildirfolder", self.uid, self.gid)

    def write_all(
        self, messages: Iterable[bytes], flags: Iterable[str] = (), date: datetime | None = None
    ) -> int:
        """Write each message via tmp/ then rename into cur/; return the count."""
        try:
            letters = "".join(sorted(_FLAG_LETTERS[flag] for flag in flags if flag != "\\Recent"))
        except KeyError as err:
            raise ValueError(f"seed_maildir supports only system flags, not {err}") from None
        stamp = date.timestamp() if date is not None else None
        base = f"{int(time.time())}.P{os.getpid()}"
        tmp, cur = str(self.path / "tmp"), str(self.path / "cur")
        count = 0
        for raw in messages:
            name = f"{base}Q{next(_counter)}.testbed"
            tmp_file = f"{tmp}/{name}"
            fd = os.open(tmp_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, raw)
                os.fchown(fd, self.uid, self.gid)
                if stamp is not None:
                    # Dovecot takes INTERNALDATE from the file's mtime.
                    os.utime(fd, (stamp, stamp))
            finally:
                os.close(fd)
            os.rename(tmp_file, f"{cur}/{name}:2,{letters}")
            count += 1
        return count

    def reset(self, drop_messages: bool) -> None:
        """Forget Dovecot's UIDs for this folder (new UIDVALIDITY), optionally dropping the mail."""
        for pattern in ("dovecot-uidlist", "dovecot.index*"):
            for path in self.path.glob(pattern):
                path.unlink()
        # The account-wide list index caches UIDVALIDITY for STATUS.
        for path in self.maildir.glob("dovecot.list.index*"):
            path.unlink()
        if drop_messages:
            for sub in ("cur", "new"):
                for path in (self.path / sub).iterdir():
                    path.unlink()
