"""Reading a debrief reply: free text (or HTML-only webmail) in, ``DebriefFields`` out (pure).

The reply is cut to the user's own words (``clean``), then read line by line: a heading
(``headings``) opens a section whose lines are its items; text under no heading is prose, placed
sentence by sentence by its cues (``prose``), conservatively, since advice and people may be
quoted to the contact. People come with any addresses (``people``), promises with the due date
they name (``dates``) or ``today + promise_days``.

Budget: at most ``MAX_TEXT`` characters of text (``MAX_HTML`` of markup), ``MAX_LINES`` lines of
at most 2,000 characters, prose paragraphs of at most ``MAX_PARAGRAPH``, ``MAX_ITEMS`` items per
field, each item one line of at most 998 characters; every pattern runs on one capped line with
no nested repetition, so the cost is linear in the (capped) input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from coffeechat.models.classify.htmltext import html_to_text
from coffeechat.models.debrief.clean import reply_lines
from coffeechat.models.debrief.dates import default_due, due_date
from coffeechat.models.debrief.fields import (
    PUBLIC_FIELDS,
    DebriefFields,
    PersonMention,
    PromiseMention,
)
from coffeechat.models.debrief.headings import is_empty_answer, split_heading, strip_marker
from coffeechat.models.debrief.people import (
    is_name_list,
    named,
    people_in_item,
    people_in_sentence,
)
from coffeechat.models.debrief.prose import place, sentences, without_lead
from coffeechat.models.text import clean_line

MAX_TEXT = 64_000
MAX_HTML = 512_000
MAX_LINES = 2_000
MAX_ITEMS = 50
MAX_PARAGRAPH = 16_000
_TEXT_FIELDS = ("learned", "advice", "offers", "next_step", "unplaced")
# Lines of the request's own reply template, left in by the user, and hints under a heading.
_PROMPT = re.compile(
    r"^(how did it go with\b|how was (your|the) (chat|meeting|call) with\b"
    r"|reply (in|to this|with|here|any)|just reply|answer (in|with|any|as)"
    r"|write (as much|anything|whatever)|(in )?any order"
    r"|one (line|thing) (each|per)|e\.g\.|z\.\s?b\.|p\. ?ex\.|par ex|wie lief es mit\b"
    r"|comment s'est passé|comment ça s'est passé|\(.*\)$|\[.*\]$|<.*>$"
    # the request's and the reminder's own sentences (integrations/templates/mail/debrief_*)
    r"|from any device|the headings below|only their advice and the people"
    r"|everything else stays with you|a quick nudge|line or two; it is the last time)",
    re.I,
)


_NONE_BUT = re.compile(
    r"^(?:none|nothing|nobody|no one)(?: yet| really)?\s*(?:,|-|–|but)\s*(?:but\s+)?", re.I
)


def _list_parts(text: str) -> list[str]:
    """An item split at semicolons when it is a list ("network; SQL; apply early"), not a clause."""
    parts = [p.strip() for p in text.split(";")]
    if len(parts) >= 3 or (len(parts) == 2 and all(len(p.split()) <= 4 for p in parts)):
        return [p for p in parts if p]
    return [text]


def _same_name(known: str, new: str) -> bool:
    """ "Tom" and "Tom Reyes" are one person within one debrief."""
    return known == new or known.startswith(f"{new} ") or new.startswith(f"{known} ")


@dataclass
class _Found:
    """What has been read so far, per field, within the item budget."""

    today: date
    promise_days: int
    texts: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in _TEXT_FIELDS})
    people: list[PersonMention] = field(default_factory=list)
    promises: list[str] = field(default_factory=list)  # dated once, at the end
    unheaded: list[str] = field(default_factory=list)  # advice placed from prose, by a cue

    def add(self, name: str, text: str, *, headed: bool = True) -> None:
        text = _NONE_BUT.sub("", clean_line(text)).strip(" *_")
        if not text or is_empty_answer(text):
            return
        if name == "people":
            found = [p for p in people_in_sentence(text) or people_in_item(text) if named(p)]
            for person in found:
                self.person(person)
            if not found:
                self.prose(text)  # no name to show: a note, not a person to quote
        elif name == "promises":
            if len(self.promises) < MAX_ITEMS:
                self.promises.append(text)
        else:
            if name == "offers":  # "Offered: an intro to Charles" names someone to meet
                for person in people_in_sentence(text):
                    self.person(person)
            for part in _list_parts(text):
                if len(self.texts[name]) < MAX_ITEMS:
                    self.texts[name].append(part)
                    if name == "advice" and not headed:
                        self.unheaded.append(part)

    def extend_last(self, name: str, text: str) -> bool:
        """Join a wrapped line to the item before it; False when there is none to join."""
        text = clean_line(text)
        if name == "promises" and self.promises:
            self.promises[-1] = clean_line(f"{self.promises[-1]} {text}")  # one capped line
            return True
        if self.texts.get(name):
            last = self.texts[name][-1]
            self.texts[name][-1] = clean_line(f"{last} {text}")
            if name == "advice" and self.unheaded and self.unheaded[-1] == last:
                self.unheaded[-1] = self.texts[name][-1]  # still under no heading
            return True
        return False

    def person(self, person: PersonMention) -> None:
        name, address = person.name.casefold(), (person.address or "").casefold()
        for i, known in enumerate(self.people):
            same_address = bool(address) and known.address == person.address
            if same_address or _same_name(known.name.casefold(), name):
                longer = person.name if len(person.name) > len(known.name) else known.name
                self.people[i] = PersonMention(
                    longer, known.address or person.address, known.note or person.note
                )
                return
        if len(self.people) < MAX_ITEMS:
            self.people.append(person)

    def prose(self, paragraph: str) -> None:
        for sentence in sentences(clean_line(paragraph, limit=MAX_PARAGRAPH))[:MAX_ITEMS]:
            where = place(sentence)
            people = people_in_sentence(sentence)
            for person in people:
                self.person(person)
            if people and where in ("advice", "learned", "unplaced"):
                continue  # "she suggested I talk to X" is X, not a piece of advice
            self.add(where, without_lead(where, sentence.rstrip()), headed=False)

    def result(self) -> DebriefFields:
        t = self.texts
        default = default_due(self.today, self.promise_days)
        promises = [PromiseMention(p, due_date(p, self.today) or default) for p in self.promises]
        return DebriefFields(
            learned=tuple(t["learned"]), advice=tuple(t["advice"]), people=tuple(self.people),
            promises=tuple(promises), offers=tuple(t["offers"]),
            next_step=tuple(t["next_step"]), unplaced=tuple(t["unplaced"]),
            unheaded_advice=tuple(self.unheaded),
        )


def reply_text(text: str, html: str | None) -> str:
    """The text to read: the plain part, or the HTML part's text when the plain one is empty."""
    if not text.strip() and html:
        return html_to_text(html[:MAX_HTML])[:MAX_TEXT]
    return text[:MAX_TEXT]


@dataclass
class _Reader:
    """Where the reading is: the open section, how it was written, the prose paragraph."""

    found: _Found
    current: str | None = None
    bulleted_section: bool = False
    inline_section: bool = False  # "Advice: x" rather than "Advice:" above its lines
    blank_before: bool = False
    paragraph: list[str] = field(default_factory=list)

    def flush(self) -> None:
        if self.paragraph:
            self.found.prose(" ".join(self.paragraph)[:MAX_PARAGRAPH])
            self.paragraph.clear()

    def open(self, name: str, rest: str, *, quoted: bool = False) -> None:
        self.flush()
        self.current, self.bulleted_section, self.inline_section = name, False, bool(rest)
        self.blank_before = quoted
        if rest and not quoted:
            self.found.add(name, rest)

    def skip(self, text: str, quoted: bool) -> None:
        """A blank, quoted or template line: it only separates (or, quoted, opens a section)."""
        if quoted and (head := split_heading(text)) is not None:
            self.open(head[0], "", quoted=True)
        self.blank_before = self.blank_before or not text or quoted
        if not text:
            self.flush()

    def line(self, text: str) -> None:
        """One line the user wrote."""
        body, bulleted = strip_marker(text)
        if self.current is not None and self.blank_before and not bulleted and (
            self.bulleted_section or self.inline_section
        ):
            self.current = None  # a closing remark after a list, not one more item
        continued = not bulleted and not self.blank_before and body[:1].islower()
        if self.current is None:
            if bulleted:
                self.flush()
                self.found.prose(body)
            else:
                self.paragraph.append(body)
        elif (
            self.current in PUBLIC_FIELDS
            and self.inline_section
            and not bulleted
            and not continued
            and not (self.current == "people" and is_name_list(body))
        ):
            self.found.prose(body)  # a new sentence after "Advice: x" is placed by its own cues
        elif not (continued and self.found.extend_last(self.current, body)):
            self.found.add(self.current, body)
            self.bulleted_section = self.bulleted_section or bulleted
        self.blank_before = False


def parse_debrief(
    text: str, *, html: str | None = None, today: date, promise_days: int = 7
) -> DebriefFields:
    """Parse a debrief reply (plain text, or HTML when that is all there is)."""
    reader = _Reader(_Found(today, promise_days))
    for line in reply_lines(reply_text(text, html), max_lines=MAX_LINES):
        if line.quoted or not line.text or _PROMPT.match(line.text):
            reader.skip(line.text, line.quoted)
        elif (head := split_heading(line.text)) is not None:
            reader.open(*head)
        else:
            reader.line(line.text)
    reader.flush()
    return reader.found.result()
