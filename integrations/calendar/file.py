"""A local .ics file (an export, or a file another program keeps up to date)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from coffeechat.integrations.calendar.base import (
    MAX_BYTES,
    FetchResult,
    SourceAuthFailed,
    SourceNotFound,
    SourceState,
    SourceUnreachable,
    Window,
    check_icalendar,
    covered_range,
    digest_of,
    too_big,
)

# A file rewritten twice within one mtime tick at the same size looks unchanged to stat
# (git's "racy" problem): only trust stat for files that have been quiet this long.
_RACY_SECONDS = 2.0


class IcsFileSource:
    """A local .ics file; unchanged when (mtime, size, inode) or, failing that, sha256 match."""

    def __init__(self, name: str, path: str | Path, *, max_bytes: int = MAX_BYTES) -> None:
        """Remember the path; nothing is read yet."""
        self.name = name
        self.path = Path(path).expanduser()
        self._max_bytes = max_bytes
        self._where = f"calendar {name!r} at {self.path}"

    def __repr__(self) -> str:
        return f"IcsFileSource(name={self.name!r}, path={str(self.path)!r})"

    def fetch(self, state: SourceState, window: Window) -> FetchResult:
        """Read the file unless its stat says it has not changed since `state`."""
        covered = covered_range(window)
        fresh = state.covered == covered  # a new day re-reads: the window moved (see base)
        try:
            stat = self.path.stat()
            stamp = f"{stat.st_mtime_ns}:{stat.st_size}:{stat.st_ino}"
            if fresh and state.etag is not None and state.etag == stamp:
                return FetchResult(changed=False, state=state)
            with self.path.open("rb") as handle:
                # One byte over the cap tells "too big" even if the file grew since stat().
                data = handle.read(self._max_bytes + 1)
        except FileNotFoundError:
            raise SourceNotFound(f"{self._where}: no such file") from None
        except IsADirectoryError:
            raise SourceNotFound(f"{self._where}: is a directory, not a file") from None
        except PermissionError:
            raise SourceAuthFailed(f"{self._where}: permission denied") from None
        except OSError as err:
            # EIO, a stale network mount...: worth trying again later.
            reason = os.strerror(err.errno) if err.errno else type(err).__name__
            raise SourceUnreachable(f"{self._where}: {reason}") from None
        if len(data) > self._max_bytes:
            raise too_big(self._where, self._max_bytes)
        check_icalendar(data, self._where)
        quiet = time.time() - stat.st_mtime > _RACY_SECONDS
        digest = digest_of([data])
        new_state = SourceState(etag=stamp if quiet else None, digest=digest, covered=covered)
        if fresh and digest == state.digest:  # touched or rewritten with the same content
            return FetchResult(changed=False, state=new_state)
        return FetchResult(changed=True, state=new_state, data=(data,))
