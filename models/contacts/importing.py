"""Reading contacts from files: LinkedIn's Connections.csv, vCard 3.0/4.0 and any CSV.

Pure: text in, rows and per-line errors out. A bad row never stops the others.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from coffeechat.models.classify.address import normalise_address
from coffeechat.models.text import clean_line

_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}$"
)
FIELDS = (
    "name",
    "emails",
    "company",
    "role",
    "linkedin_url",
    "tags",
    "notes",
    "timezone",
    "introduced_by",
)


@dataclass(frozen=True)
class ContactRow:
    """One contact as read from a file."""

    line: int
    name: str
    emails: tuple[str, ...] = ()
    company: str = ""
    role: str = ""
    linkedin_url: str = ""
    tags: tuple[str, ...] = ()
    notes: str = ""
    timezone: str = ""
    introduced_by: str = ""


@dataclass(frozen=True)
class RowError:
    """A row that could not be imported, with its line number and why."""

    line: int
    reason: str


@dataclass
class ParseResult:
    """Rows read and rows refused."""

    rows: list[ContactRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class ImportFormatError(ValueError):
    """The file as a whole cannot be read in the chosen format."""


def is_email(value: str) -> bool:
    """Whether ``value`` is a plain addr-spec we are willing to write to."""
    return bool(_EMAIL.match(value)) and ".." not in value


def split_emails(value: str) -> tuple[list[str], list[str]]:
    """Split a cell holding one or more addresses into (valid lower-cased, invalid)."""
    good: list[str] = []
    bad: list[str] = []
    for part in re.split(r"[;,\s]+", value.strip()):
        part = normalise_address(part.strip().strip("<>"))
        if not part:
            continue
        (good if is_email(part) else bad).append(part)
    return list(dict.fromkeys(good)), bad


def decode(data: bytes) -> str:
    """Decode a contacts file: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_format(filename: str, text: str) -> str:
    """Guess ``vcard``, ``linkedin`` or ``csv`` from the name and the content."""
    if filename.lower().endswith((".vcf", ".vcard")) or "BEGIN:VCARD" in text[:4096].upper():
        return "vcard"
    head = text[:4096]
    if "First Name" in head and "Connected On" in head:
        return "linkedin"
    return "csv"


def parse(text: str, fmt: str, mapping: Mapping[str, str] | None = None) -> ParseResult:
    """Parse ``text`` in format ``fmt`` (vcard, linkedin, csv)."""
    if fmt == "vcard":
        from coffeechat.models.contacts.vcard import parse_vcards

        return parse_vcards(text)
    if fmt == "linkedin":
        return parse_linkedin(text)
    if fmt == "csv":
        return parse_csv(text, mapping or {})
    raise ImportFormatError(f"unknown format {fmt!r} (use vcard, linkedin or csv)")


def parse_linkedin(text: str) -> ParseResult:
    """Parse LinkedIn's Connections.csv, skipping the notes it puts above the header."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("First Name,"):
            body = "".join(lines[index:])
            mapping = {
                "first_name": "First Name",
                "last_name": "Last Name",
                "emails": "Email Address",
                "company": "Company",
                "role": "Position",
                "linkedin_url": "URL",
            }
            return parse_csv(body, mapping, first_line=index + 1, source_tag="linkedin")
    raise ImportFormatError("no 'First Name,...' header line: is this LinkedIn's Connections.csv?")


_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "fullname", "display name", "contact"),
    "first_name": ("first name", "firstname", "given name"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "emails": (
        "email",
        "e-mail",
        "email address",
        "emails",
        "e-mail address",
        "mail",
        "email 1 - value",
        "e-mail 1 - value",
    ),
    "company": ("company", "organisation", "organization", "employer", "org"),
    "role": ("role", "title", "job title", "position"),
    "linkedin_url": ("linkedin", "linkedin url", "profile", "url"),
    "tags": ("tags", "labels", "groups"),
    "notes": ("notes", "note", "comments"),
    "timezone": ("timezone", "time zone", "tz"),
    "introduced_by": ("introduced by", "introduced_by", "referrer", "referred by"),
}


def _columns(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    lowered = {h.strip().lower(): i for i, h in enumerate(header)}
    found: dict[str, int] = {}
    for key, aliases in _ALIASES.items():
        wanted = mapping.get(key)
        if wanted is not None:
            if wanted.strip().lower() not in lowered:
                raise ImportFormatError(f"--map {key}={wanted}: no such column in the header")
            found[key] = lowered[wanted.strip().lower()]
            continue
        for alias in aliases:
            if alias in lowered:
                found[key] = lowered[alias]
                break
    if "emails" not in found and "name" not in found and "first_name" not in found:
        raise ImportFormatError(
            "the header has no name or email column; name them with --map name=COL --map email=COL"
        )
    return found


def parse_csv(
    text: str, mapping: Mapping[str, str], *, first_line: int = 1, source_tag: str = ""
) -> ParseResult:
    """Parse a CSV file with a header row; ``mapping`` maps our field names to its columns."""
    mapping = {("emails" if k in ("email", "emails") else k): v for k, v in mapping.items()}
    unknown = set(mapping) - set(_ALIASES)
    if unknown:
        raise ImportFormatError(f"--map: unknown field(s) {sorted(unknown)}; known: {FIELDS}")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFormatError("the file is empty") from None
    cols = _columns(header, mapping)
    result = ParseResult()
    consumed = reader.line_num  # physical lines read so far: a record starts on the next one
    while True:
        line = first_line + consumed
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            result.errors.append(RowError(line, f"unreadable CSV ({err}); the rest was skipped"))
            break
        consumed = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        row_or_error = _row(record, cols, line, source_tag)
        if isinstance(row_or_error, RowError):
            result.errors.append(row_or_error)
        else:
            result.rows.append(row_or_error)
    return result


def _row(record: list[str], cols: dict[str, int], line: int, tag: str) -> ContactRow | RowError:
    def cell(key: str) -> str:
        index = cols.get(key)
        return clean_line(record[index]) if index is not None and index < len(record) else ""

    name = cell("name") or " ".join(p for p in (cell("first_name"), cell("last_name")) if p)
    raw_emails = record[cols["emails"]] if "emails" in cols and cols["emails"] < len(record) else ""
    emails, bad = split_emails(raw_emails)
    if bad:
        return RowError(line, f"invalid email address {bad[0]!r}")
    linkedin = cell("linkedin_url")
    if linkedin and not linkedin.lower().startswith(("https://", "http://")):
        return RowError(line, "the LinkedIn URL must start with https://")
    if not name and not emails:
        return RowError(line, "no name and no email address")
    tags = tuple(t.strip() for t in re.split(r"[;,]", cell("tags")) if t.strip())
    if tag and tag not in tags:
        tags = (*tags, tag)
    return ContactRow(
        line=line,
        name=name or emails[0],
        emails=tuple(emails),
        company=cell("company"),
        role=cell("role"),
        linkedin_url=linkedin,
        tags=tags,
        notes=cell("notes"),
        timezone=cell("timezone"),
        introduced_by=cell("introduced_by"),
    )
