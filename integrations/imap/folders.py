"""Finding the Sent and Drafts folders: SPECIAL-USE attributes first, well-known names second."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from imap_tools.folder import FolderInfo
from imap_tools.imap_utf7 import utf7_decode

from integrations.imap.connection import _Session

# RFC 6154 attributes we map to roles.
_ROLES = {
    "\\SENT": "sent",
    "\\DRAFTS": "drafts",
    "\\TRASH": "trash",
    "\\JUNK": "junk",
    "\\ARCHIVE": "archive",
    "\\ALL": "all",
}
# Names used by servers without SPECIAL-USE, in order of preference.
_FALLBACK_NAMES = {
    "sent": (
        "Sent",
        "Sent Items",
        "Sent Messages",
        "Sent Mail",
        "[Gmail]/Sent Mail",
        "[Google Mail]/Sent Mail",
        "INBOX.Sent",
        "INBOX/Sent",
        "INBOX.Sent Items",
        "INBOX.Sent Messages",
    ),
    "drafts": (
        "Drafts",
        "Draft",
        "[Gmail]/Drafts",
        "[Google Mail]/Drafts",
        "INBOX.Drafts",
        "INBOX/Drafts",
    ),
}


def special_folders(session: _Session, capabilities: frozenset[str]) -> dict[str, str]:
    """Return role -> folder name, from attributes in LIST, LIST (SPECIAL-USE), then names."""
    listed = session.folder.list()
    extra: list[FolderInfo] = []
    if not _by_attribute(listed).keys() >= {"sent", "drafts"} and "SPECIAL-USE" in capabilities:
        # Some servers only report the attributes when asked with the RFC 6154 option.
        extra = _list_special_use(session)
    return assign_roles(listed, extra)


def assign_roles(listed: Sequence[FolderInfo], special: Sequence[FolderInfo]) -> dict[str, str]:
    """Map roles to folders: SPECIAL-USE attributes first, then well-known names."""
    roles = _by_attribute(special) | _by_attribute(listed)
    names = {info.name.casefold(): info.name for info in listed if _selectable(info)}
    for role, candidates in _FALLBACK_NAMES.items():
        if role not in roles:
            found = next((names[c.casefold()] for c in candidates if c.casefold() in names), None)
            if found is not None:
                roles[role] = found
    return roles


def _selectable(info: FolderInfo) -> bool:
    return not any(flag.upper() in ("\\NOSELECT", "\\NONEXISTENT") for flag in info.flags)


def _by_attribute(listed: Iterable[FolderInfo]) -> dict[str, str]:
    roles: dict[str, str] = {}
    for info in listed:
        if not _selectable(info):
            continue
        for flag in info.flags:
            role = _ROLES.get(flag.upper())
            if role is not None:
                roles.setdefault(role, info.name)
    return roles


def _list_special_use(session: _Session) -> list[FolderInfo]:
    # imap-tools' list() has no way to pass RFC 6154's selection option.
    client = session.client
    typ, data = client._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
    if typ != "OK":
        return []
    _, lines = client._untagged_response(typ, data, "LIST")
    found: list[FolderInfo] = []
    for line in lines:
        if not isinstance(line, bytes):
            continue
        flags, _, rest = line.partition(b") ")
        name = utf7_decode(rest.split(b" ", 1)[-1].strip().strip(b'"'))
        found.append(FolderInfo(name, "/", tuple(flags.lstrip(b"(").decode().split())))
    return found
