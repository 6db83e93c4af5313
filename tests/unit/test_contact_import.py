"""Reading contacts from LinkedIn, vCard and generic CSV files (pure parsing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coffeechat.models.contacts.importing import (
    ImportFormatError,
    decode,
    detect_format,
    parse,
    parse_csv,
    split_emails,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "contacts"


def load(name: str) -> str:
    return decode((FIXTURES / name).read_bytes())


def test_linkedin_export_skips_preamble_and_reports_bad_rows() -> None:
    text = load("Connections.csv")
    assert detect_format("Connections.csv", text) == "linkedin"
    result = parse(text, "linkedin")
    names = [r.name for r in result.rows]
    assert names == ["Grace Hopper", "Alan Turing", "Katherine Johnson", "José Núñez"]
    grace = result.rows[0]
    assert grace.emails == ("grace.hopper@example.com",)
    assert grace.company == "Navy Labs" and grace.role == "Rear Admiral"
    assert grace.linkedin_url.startswith("https://www.linkedin.com/in/")
    assert "linkedin" in grace.tags
    assert result.rows[1].emails == ()  # hidden address: kept, reachable later by LinkedIn URL
    assert result.rows[2].company == "NASA, Langley"
    assert [(e.line, e.reason) for e in result.errors] == [
        (9, "invalid email address 'not-an-address'")
    ]


def test_vcard_versions_and_errors() -> None:
    text = load("contacts.vcf")
    assert detect_format("x.txt", text) == "vcard"
    result = parse(text, "vcard")
    by_name = {r.name: r for r in result.rows}
    assert set(by_name) == {"Margaret Hamilton", "Radia Perlman", "Hedy Lamarr"}
    margaret = by_name["Margaret Hamilton"]
    assert margaret.emails == ("margaret@example.com", "maggie@example.net")
    assert margaret.company == "Software Example Inc." and margaret.role == "Director of Software"
    assert margaret.notes == "Met at the meetup, very kind.\nFollow up in spring."
    assert margaret.tags == ("engineering", "space")
    radia = by_name["Radia Perlman"]
    assert radia.linkedin_url == "https://www.linkedin.com/in/radia-example"  # folded line
    assert radia.timezone == "America/New_York"
    assert by_name["Hedy Lamarr"].notes == "Erfinderin überall"  # 2.1 quoted-printable
    assert [(e.line, e.reason) for e in result.errors] == [
        (21, "card has neither FN/N nor EMAIL"),
        (33, "invalid email address 'broken@@example'"),
    ]


def test_generic_csv_with_semicolons_aliases_and_map() -> None:
    text = load("generic.csv")
    assert detect_format("generic.csv", text) == "csv"
    result = parse(text, "csv", {"email": "Work Email", "introduced_by": "Referred By"})
    by_name = {r.name: r for r in result.rows}
    assert by_name["Frances Allen"].emails == ("frances@example.com", "fran@example.org")
    assert by_name["Frances Allen"].introduced_by == "barbara@example.com"
    assert by_name["Barbara Liskov"].tags == ("mentor", "cs")
    assert by_name["Barbara Liskov"].company == "MIT Example"
    assert by_name["No Email But Name"].emails == ()
    assert by_name["Quoted Multiline"].emails == ("multi@example.com",)
    assert [(e.line, e.reason) for e in result.errors] == [
        (6, "invalid email address 'missing-at.example.com'")
    ]


def test_map_naming_a_missing_column_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="no such column"):
        parse_csv("a,b\n1,2\n", {"email": "Mail Address"})


def test_csv_without_name_or_email_column_says_how_to_map() -> None:
    with pytest.raises(ImportFormatError, match="--map"):
        parse_csv("foo,bar\n1,2\n", {})


def test_split_emails_lowercases_and_dedupes() -> None:
    assert split_emails("A@Example.com; a@example.com <b@example.org>") == (
        ["a@example.com", "b@example.org"],
        [],
    )
    assert split_emails("x@y")[1] == ["x@y"]


def test_decode_falls_back_to_windows_1252() -> None:
    assert decode("Zoë".encode("cp1252")) == "Zoë"
    assert decode("\ufeffName".encode()) == "Name"


def test_control_characters_never_survive_in_names() -> None:
    result = parse_csv('name,email\n"Eve\r\nBcc: x@evil.example",eve@example.com\n', {})
    assert result.rows[0].name == "Eve Bcc: x@evil.example"
