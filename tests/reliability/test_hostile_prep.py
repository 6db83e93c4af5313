"""Hostile text in everything a prep sheet shows, through the real sync, calendar and prep flow.

What must hold: in the saved HTML file, the outbox row and the HTML part the user receives,
no script element, no event-handler attribute, no link or resource whose scheme is not
http/https/mailto; the hostile text is there, escaped (so the test sees it if escaping stops).
A contact's name cannot choose where a sheet is written: every file lands directly in
<data_dir>/prep with a date-and-slug name, and nothing is written outside the data dir.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import select

from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.store.tables import Contact, Outbox
from coffeechat.models.store.uow import UnitOfWork
from tests.reliability.world import (
    NOW,
    USER,
    add_contact,
    calendar_body,
    event,
    mail,
    make_world,
    whole_cycle,
)
from tests.testbed import IcsFeedServer, SmtpServer
from tests.testbed.dovecot import Mailbox as BedMailbox

SCRIPT = "<script>alert('xss')</script>"
JS = "javascript:alert(1)"
_SAFE_SCHEMES = ("http:", "https:", "mailto:", "#", "cid:")


class _Audit(HTMLParser):
    """Collects everything in an HTML document that could run or load something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "base", "form"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value:
                url = re.sub(r"[\x00-\x20]", "", value).lower()
                if not url.startswith(_SAFE_SCHEMES):
                    self.problems.append(f"{tag}[{name}={value!r}]")


def _audit(html: str) -> list[str]:
    audit = _Audit()
    audit.feed(html)
    return audit.problems


def test_html_scripts_and_javascript_links_stay_inert(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> None:
    world = make_world(tmp_path / "data", mailbox, smtp, ics_http_server)
    name = f'Mal {SCRIPT}<img src=x onerror="alert(2)">'
    with UnitOfWork(world.app.factory, account_id=world.app.account_id) as uow:
        upsert_contact(
            uow,
            ContactRow(
                line=0,
                name=name,
                emails=("mal@example.com",),
                company=f'<a href="{JS}">Evil Corp</a>',
                role="<b onmouseover=alert(3)>CTO</b>",
                linkedin_url=JS,
                notes=f"{SCRIPT} met at <iframe src={JS}>",
            ),
            source="t",
            now=NOW,
        )
        uow.commit()
    outreach = add_contact(world.app, name, ("mal@example.com",), subject=f"Coffee? {SCRIPT}")
    body = f'Sure! <a href="{JS}">click</a> {SCRIPT} <img src=x onerror=alert(4)>\r\n{JS}'
    world.mailbox.seed_maildir(
        [
            mail(
                f'"{SCRIPT}" <mal@example.com>',
                f"Re: Coffee? {SCRIPT}",
                body,
                mid="<mal-1@x.com>",
                extra=f"In-Reply-To: {outreach}\r\nReferences: {outreach}\r\n",
            ),
        ],
        date=NOW - timedelta(hours=2),
    )
    hostile = (
        event(
            "coffee-mal",
            "20261123T150000Z",
            "20261123T153000Z",
            "mal@example.com",
            f"Coffee {SCRIPT}",
        )
        .replace("LOCATION:Café Central", f"LOCATION:{JS}")
        .replace(
            "END:VEVENT",
            f'DESCRIPTION:Join at {JS} or <a href="{JS}">here</a> '
            f"{SCRIPT}\\nhttps://meet.example.com/abc\r\nURL:{JS}\r\nEND:VEVENT",
        )
    )
    ics_http_server.set_body(calendar_body(hostile))
    report = whole_cycle(world.app, NOW)
    assert report.problems == []
    with world.app.factory() as s:
        rows = [r for r in s.scalars(select(Outbox).where(Outbox.kind == "prep_sheet"))]
    mal = [r for r in rows if "Mal" in r.subject]
    assert len(mal) == 1 and mal[0].body_html, [r.subject for r in rows]
    saved = list((tmp_path / "data" / "prep").glob("*mal*.html"))
    assert len(saved) == 1, list((tmp_path / "data" / "prep").iterdir())
    received = [
        email.message_from_bytes(m.raw, policy=email.policy.default)
        for m in smtp.messages
        if USER in m.rcpt_tos and b"Mal" in m.raw
    ]
    assert len(received) == 1
    part = received[0].get_body(("html",))
    assert part is not None
    documents = {
        "file": saved[0].read_text(encoding="utf-8"),
        "outbox": mal[0].body_html,
        "email": part.get_content(),
    }
    for where, html in documents.items():
        assert _audit(html) == [], (where, _audit(html))
        assert "&lt;script&gt;" in html, f"{where}: the hostile text never reached the sheet"
    plain = received[0].get_body(("plain",))
    assert plain is not None
    text_parts = [mal[0].body_text, plain.get_content()]
    assert all("alert" in t for t in text_parts)  # plain text carries it as plain text


TRAVERSALS = [
    "../../../../outside",
    "/etc/cron.d/evil",
    "..",
    "a/../../b",
    "C:\\Windows\\evil",
    "nul\x00byte",
    "~/.bashrc",
    "%2e%2e%2fencoded",
]


def test_a_contact_name_cannot_choose_where_a_file_is_written(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> None:
    data = tmp_path / "deep" / "data"
    world = make_world(data, mailbox, smtp, ics_http_server)
    events = ""
    for n, name in enumerate(TRAVERSALS):
        address = f"path{n}@example.com"
        add_contact(world.app, name, (address,), replied=True)
        events += event(
            f"coffee-path{n}",
            f"20261123T{n + 12:02d}0000Z",
            f"20261123T{n + 12:02d}3000Z",
            address,
            "Coffee",
        )
    ics_http_server.set_body(calendar_body(events))
    before = {p for p in tmp_path.rglob("*")}
    whole_cycle(world.app, NOW)
    written = {p for p in tmp_path.rglob("*")} - before
    sheets = [p for p in written if p.suffix == ".html"]
    assert len(sheets) == len(TRAVERSALS) + 1  # Ada's too
    prep = (data / "prep").resolve()
    for path in written:
        assert path.resolve().is_relative_to(data.resolve()), path
        if path.suffix == ".html":
            assert path.parent.resolve() == prep, path
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.html", path.name), path.name
    for leaked in ("outside", "evil", ".bashrc", "b"):
        assert not (tmp_path / leaked).exists()
    assert not any(os.path.islink(p) for p in written)


def test_a_contacts_goal_and_pinned_questions_are_escaped_in_html(
    tmp_path: Path, mailbox: BedMailbox, smtp: SmtpServer, ics_http_server: IcsFeedServer
) -> None:
    world = make_world(tmp_path / "data", mailbox, smtp, ics_http_server)
    add_contact(world.app, "Pia Pinned", ("pia@example.com",), replied=True)
    with UnitOfWork(world.app.factory, account_id=world.app.account_id) as uow:
        pia = uow.session.scalars(select(Contact).where(Contact.name == "Pia Pinned")).one()
        pia.goal = f'Learn <img src=x onerror="alert(5)"> {SCRIPT}'
        pia.pinned_questions = [f'<a href="{JS}">Ask me</a>', f"{SCRIPT} pinned?"]
        uow.commit()
    ics_http_server.set_body(
        calendar_body(
            event("coffee-pia", "20261123T150000Z", "20261123T153000Z", "pia@example.com", "Tea")
        )
    )
    assert whole_cycle(world.app, NOW).problems == []
    with world.app.factory() as s:
        row = s.scalars(
            select(Outbox).where(Outbox.kind == "prep_sheet", Outbox.subject.contains("Pia"))
        ).one()
    saved = list((tmp_path / "data" / "prep").glob("*pia*.html"))
    assert len(saved) == 1
    for where, html in {"outbox": row.body_html or "", "file": saved[0].read_text()}.items():
        assert _audit(html) == [], (where, _audit(html))
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt; pinned?" in html, where
        assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;Ask me&lt;/a&gt;" in html, where
        assert "Learn &lt;img src=x onerror=&#34;alert(5)&#34;&gt;" in html, where
    assert f"{SCRIPT} pinned?" in row.body_text  # plain text keeps it as plain text
