"""Finding the Sent and Drafts folders: SPECIAL-USE attributes first, well-known names second.

Servers differ in when they report RFC 6154 attributes: most put them in every LIST answer,
some only when asked (``LIST "" "*" RETURN (SPECIAL-USE)`` with LIST-EXTENDED, or the
``LIST (SPECIAL-USE)`` selection option). Servers without the extension are matched by name:
the provider defaults (Gmail, Exchange, Apple), Courier-style ``INBOX.`` prefixes and the
localised names clients create. Names arrive in modified UTF-7 and are decoded here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from imap_tools.folder import FolderInfo
from imap_tools.imap_utf7 import utf7_decode

from coffeechat.integrations.imap.connection import _Session

# RFC 6154 attributes we map to roles.
_ROLES = {
    "\\SENT": "sent",
    "\\DRAFTS": "drafts",
    "\\TRASH": "trash",
    "\\JUNK": "junk",
    "\\ARCHIVE": "archive",
    "\\ALL": "all",
}
# Names used by servers without SPECIAL-USE, in order of preference. A candidate matches a
# folder's whole name first, then its last hierarchy level (so "INBOX/Enviados" is found).
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
        "Gesendete Elemente",
        "Gesendete Objekte",
        "Gesendet",
        "Éléments envoyés",
        "Messages envoyés",
        "Envoyés",
        "Elementos enviados",
        "Enviados",
        "Itens Enviados",
        "Posta inviata",
        "Inviati",
        "Verzonden items",
        "Verzonden",
        "Skickat",
        "Skickade objekt",
        "Sendt",
        "Sendte elementer",
        "Lähetetyt",
        "Wysłane",
        "Odeslaná pošta",
        "Отправленные",
    ),
    "drafts": (
        "Drafts",
        "Draft",
        "[Gmail]/Drafts",
        "[Google Mail]/Drafts",
        "INBOX.Drafts",
        "INBOX/Drafts",
        "Entwürfe",
        "Brouillons",
        "Borradores",
        "Rascunhos",
        "Bozze",
        "Concepten",
        "Utkast",
        "Kladder",
        "Luonnokset",
        "Kopie robocze",
        "Koncepty",
        "Черновики",
    ),
}
# The parts of a LIST answer line: (attributes) delimiter name [extended data].
_LIST_LINE = re.compile(
    rb'^\((?P<flags>[^)]*)\) (?P<delim>NIL|"(?:[^"\\]|\\.)*") (?P<rest>.*)$', re.S
)


def special_folders(
    session: _Session, capabilities: frozenset[str], listed: Sequence[FolderInfo] | None = None
) -> dict[str, str]:
    """Return role -> folder name, from attributes in LIST, LIST (SPECIAL-USE), then names."""
    if listed is None:
        listed = list_folders(session, ())
    extra: list[FolderInfo] = []
    if not _by_attribute(listed).keys() >= {"sent", "drafts"} and "SPECIAL-USE" in capabilities:
        # Some servers only report the attributes when asked with RFC 6154's options.
        if "LIST-EXTENDED" in capabilities:
            extra = list_folders(session, ('""', '"*"', "RETURN", "(SPECIAL-USE)"))
        if not extra:
            extra = list_folders(session, ("(SPECIAL-USE)", '""', '"*"'))
    return assign_roles(listed, extra)


def list_folders(session: _Session, arguments: Sequence[str]) -> list[FolderInfo]:
    """Run LIST with these arguments (default: every folder); a refused variant lists nothing."""
    client = session.client
    typ, data = client._simple_command("LIST", *(arguments or ('""', '"*"')))
    if typ != "OK":
        return []
    _, lines = client._untagged_response(typ, data, "LIST")
    found = []
    for line in lines:
        info = parse_list_line(line)
        if info is not None:
            found.append(info)
    return found


def parse_list_line(line: object) -> FolderInfo | None:
    """Parse one untagged LIST answer (a line, or a (line, literal) pair); None if unusable."""
    literal: bytes | None = None
    if isinstance(line, tuple) and len(line) == 2 and all(isinstance(p, bytes) for p in line):
        line, literal = line
    if not isinstance(line, bytes):
        return None
    match = _LIST_LINE.match(line.strip())
    if match is None:
        return None
    delim = match["delim"].decode("ascii", "replace")
    delim = "" if delim == "NIL" else _unquote(delim.encode()).decode("ascii", "replace")
    rest = match["rest"]
    if literal is not None and rest.startswith(b"{"):
        raw = literal
    elif rest.startswith(b'"'):
        raw = _quoted_prefix(rest)
    else:
        raw = rest.split(b" ", 1)[0]
    if not raw:
        return None
    flags = tuple(match["flags"].decode("ascii", "replace").split())
    return FolderInfo(utf7_decode(raw), delim, flags)


def _quoted_prefix(text: bytes) -> bytes:
    out = bytearray()
    escaped = False
    for byte in text[1:]:
        if escaped:
            out.append(byte)
            escaped = False
        elif byte == 0x5C:  # backslash
            escaped = True
        elif byte == 0x22:  # the closing quote
            return bytes(out)
        else:
            out.append(byte)
    return b""  # unterminated: not a name we can trust


def _unquote(text: bytes) -> bytes:
    return _quoted_prefix(text) if text.startswith(b'"') else text


def assign_roles(listed: Sequence[FolderInfo], special: Sequence[FolderInfo]) -> dict[str, str]:
    """Map roles to folders: SPECIAL-USE attributes first, then well-known names."""
    roles = _by_attribute(special) | _by_attribute(listed)
    usable = [info for info in listed if _selectable(info)]
    names = {info.name.casefold(): info.name for info in usable}
    leaves: dict[str, str] = {}
    for info in usable:
        leaf = info.name.rsplit(info.delim, 1)[-1] if info.delim else info.name
        leaves.setdefault(leaf.casefold(), info.name)
    for role, candidates in _FALLBACK_NAMES.items():
        if role in roles:
            continue
        folded = [c.casefold() for c in candidates]
        found = next((names[c] for c in folded if c in names), None)
        found = found or next((leaves[c] for c in folded if c in leaves), None)
        if found is not None:
            roles[role] = found
    return roles


def folder_names(listed: Iterable[FolderInfo]) -> frozenset[str]:
    """The names of the folders that can be selected."""
    return frozenset(info.name for info in listed if _selectable(info))


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
