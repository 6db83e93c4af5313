"""What a prep sheet says, as frozen values: everything the templates print, already decided.

Templates only lay these out. Every field is text (possibly empty), a tuple, a bool or None
where something is genuinely absent (no meeting yet, no usable link); times are formatted here
so the three renderings cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class NoteLine:
    """One of the user's notes on the contact, dated when known."""

    date: str
    text: str


@dataclass(frozen=True)
class Who:
    """The person: who they are and how the user knows them."""

    name: str
    role: str
    company: str
    emails: tuple[str, ...]
    how_known: str
    introducer: str
    linkedin_url: str | None
    notes: tuple[NoteLine, ...]


@dataclass(frozen=True)
class Recap:
    """One part of a later meeting's "last time" section: a title (may be empty), its lines."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class EarlierTalk:
    """A conversation the user already had with someone at the same company."""

    name: str
    role: str
    date: str


@dataclass(frozen=True)
class When:
    """When and where the meeting is, in the user's zone (and the contact's when different)."""

    title: str
    start: str
    end: str
    zone: str
    contact_start: str
    contact_zone: str
    minutes: int
    length: str
    all_day: bool
    place: str
    place_url: str | None
    video_url: str | None
    start_utc: datetime


@dataclass(frozen=True)
class ThreadItem:
    """One email of the conversation so far, shortened."""

    date: str
    direction: str  # in | out
    sender: str
    subject: str
    excerpt: str


@dataclass(frozen=True)
class Question:
    """A suggested question; ``answered`` names the note that already answers it, if any."""

    text: str
    answered: str = ""


@dataclass(frozen=True)
class QuestionGroup:
    """A theme and its questions, company filled in."""

    key: str
    title: str
    hint: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class PrepContext:
    """Everything one prep sheet shows."""

    user_name: str
    user_zone: str
    generated: str
    day: date  # the meeting's date in the user's zone (else today's): names the saved file
    subject: str
    is_update: bool
    meeting_id: int | None
    meeting_version: int | None
    who: Who
    earlier: tuple[EarlierTalk, ...]
    when: When | None
    goals: str
    contact_goal: str
    pitch: str
    last_time: tuple[Recap, ...]
    thread: tuple[ThreadItem, ...]
    themes: tuple[QuestionGroup, ...]
    tiara: tuple[QuestionGroup, ...]
    ask: tuple[str, ...]
    suggested: tuple[str, ...]
    news: tuple[str, ...]
    reminders: tuple[str, ...]

    @property
    def question_texts(self) -> tuple[str, ...]:
        """The questions this sheet suggests, in order (recorded so later sheets differ)."""
        return tuple(q.text for g in self.themes for q in g.questions)

    @property
    def answered_count(self) -> int:
        """How many suggested questions the user's notes already answer."""
        groups = (*self.themes, *self.tiara)
        return sum(1 for g in groups for q in g.questions if q.answered)
