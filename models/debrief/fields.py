"""The fields of a debrief, and which of them may ever reach the contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# What the thank-you and updates may quote to the contact. Everything else (what the user
# learned or thought, their next step) is private to the user.
PUBLIC_FIELDS: tuple[str, ...] = ("advice", "people")


@dataclass(frozen=True)
class PersonMention:
    """Someone the contact suggested talking to (the contact is the introducer)."""

    name: str
    address: str | None = None
    note: str = ""


@dataclass(frozen=True)
class PromiseMention:
    """Something the user said they would do, with its due date when one was written."""

    text: str
    due: date | None = None


@dataclass(frozen=True)
class DebriefFields:
    """A parsed debrief; every text is one clean line, in the order the user wrote it."""

    learned: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    people: tuple[PersonMention, ...] = ()
    promises: tuple[PromiseMention, ...] = ()
    offers: tuple[str, ...] = ()
    next_step: tuple[str, ...] = ()
    unplaced: tuple[str, ...] = ()  # text under no heading: kept as a private note
    # The items of ``advice`` placed from text under no advice heading (by a cue such as "she
    # suggested"): the user's own record, never quoted to the contact.
    unheaded_advice: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the reply held nothing (an empty or template-only answer)."""
        return not any(
            (self.learned, self.advice, self.people, self.promises, self.offers,
             self.next_step, self.unplaced)
        )  # fmt: skip
