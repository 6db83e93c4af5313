"""The user's advice lines said back to the contact, in English, or not at all (pure).

The one place that turns a line the user wrote under "Their advice" into words addressed to
the person who gave it; the thank-you and the kept news of an update both use it. A line is
said back in one of two shapes, whatever form the user wrote it in:

- "Try the community meetups", "You should learn Rust", "I should learn Rust", "Ada
  recommended I learn Rust", "She said I should learn Rust": *you suggested I learn Rust*;
- "Don't apply through the portal", "Never ...", "You shouldn't ...": *you advised me not
  to apply through the portal*.

Only what can be reworded safely is: a line is refused (``None``) when it is a filler ("none",
"n/a", "-"), a question, over ``MAX_CHARS``, not advice in one of those forms ("patience", "her
manager is a nightmare", "she seems burnt out"), talks about someone in the third person ("she",
"his", the contact's own first name) once reworded, or holds a judgement or a swear word. Asides
are cut first: at ";", at " (", and at a dash (" - honestly I think..."); an aside that says what
the user will do ("- I'll go to the one on Thursday") is kept as the user's plan. Quotes are
removed only when they enclose the whole line, balanced. Whoever the words are addressed to
("polish your CV", "send me your deck" as the contact said it) is turned to the user's side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longer than this (after the asides are cut) is not a line to quote in a short email.
MAX_CHARS = 200
_MAX_INPUT = 1000  # a debrief item is one line of at most 998 characters

# English verbs that open advice in the imperative ("learn dbt", "try the meetups"). A line
# opening with any other word is not quoted (T2 holds for these).
_VERBS = """
    add aim apply approach ask attend avoid be bring broaden brush build call change check
    choose collect consider contact contribute cut do document double drop email emphasise
    emphasize explore find focus follow frame get give go highlight invest join keep lead
    lean learn let list look make meet mention message move narrow network offer pair pick
    pin pitch polish post practice practise prepare present publish put quit reach read
    record reconsider reframe rehearse research revise rewrite say see send set share ship
    show sign skip speak specialise specialize spend start stay stop study tailor take talk
    target teach tell think track treat trim try update use visit volunteer wait watch work
    write
"""
VERBS = frozenset(_VERBS.split())
_FILLERS = frozenset({
    "none", "nothing", "n/a", "na", "nope", "no", "nil", "nobody", "tbd", "not really",
    "nothing much", "none really", "nothing really", "no advice", "none given",
})  # fmt: skip
# Words that judge someone or swear: a line holding one is never sent to the contact.
_JUDGEMENT = re.compile(
    r"\b(nightmare|mess|messy|toxic|burn(?:t|ed)[ -]?out|burnout|idiot\w*|stupid|crazy|insane"
    r"|awful|terrible|horrible|useless|lazy|incompetent|hate[sd]?|sucks?|shit\w*|fuck\w*|damn"
    r"|crap\w*|bitch\w*|bastard|ass|asshole|arse\w*|wtf|weird|boring|annoying|clueless|jerk"
    r"|rude|arrogant|bitter|miserable|hopeless|pathetic|dumb|creepy|sketchy|dodgy"
    r"|bullshit|hell|disaster|loser|nasty)\b",
    re.IGNORECASE,
)
_THIRD = re.compile(r"\b(she|he|her|hers|him|his|she's|he's|herself|himself)\b", re.IGNORECASE)
# An aside starts at ";", " (", a dash, or a comma that opens a new clause about someone or
# something ("apply before March, the team is chaos right now"): the remark is the user's.
_ASIDE = re.compile(
    r"\s*(?:;|\s\(|\s[-–—]+\s|,\s+(?=(?:the|this|that|it|it's|they|they're|she|he|her|his"
    r"|their|which|who|but|because|since|though|although|honestly|apparently|frankly)\b))",
    re.IGNORECASE,
)
_PLAN = re.compile(r"^(?:i'll|i will|i'm going to|i am going to|i plan to|i want to)\s", re.I)
_PAIRS = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“", "‚": "‘"}
_REPORTING = (
    r"(?:said|says|thinks|thought|suggested|suggests|recommended|recommends|advised|advises"
    r"|told me|tells me|feels|felt|believes|reckons|mentioned|insisted)(?: that)?"
)
_MODAL = r"(?:should|could|ought to|need to|must|might want to|may want to|had better|'d better)"
_NEGATIVE = re.compile(r"^(?:don'?t|do not|never|shouldn'?t|should not)\s+(?P<rest>.+)$", re.I)
_SHOULD = re.compile(rf"^(?P<who>i|you)\s+{_MODAL}\s+(?P<neg>not\s+|never\s+)?(?P<rest>.+)$", re.I)
_SHOULD_NOT = re.compile(r"^(?P<who>i|you)\s+(?:shouldn'?t|mustn'?t)\s+(?P<rest>.+)$", re.I)
_TO = re.compile(r"^(?:me\s+)?(?P<neg>not\s+)?to\s+(?P<rest>.+)$", re.I)
_I_BARE = re.compile(r"^i\s+(?P<rest>.+)$", re.I)
_WHY_NOT = re.compile(r"^why not\s+(?P<rest>.+)\?$", re.I)
_NOT_ACTIONS_WORDS = """a an the this that these those my your their his her its any some too so
    really ever again once more less"""
_NOT_ACTIONS = frozenset(_NOT_ACTIONS_WORDS.split())
_SECOND = re.compile(r"\b(you|your|yours|yourself|you're|you've|you'll|you'd)\b", re.I)
_SWAP = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
    "i'm": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd",
    "your": "my", "yours": "mine", "yourself": "myself", "you're": "I'm", "you've": "I've",
    "you'll": "I'll", "you'd": "I'd",
}  # fmt: skip
_PERSON_WORD = re.compile(
    r"\b(?:i|me|my|mine|myself|i'm|i've|i'll|i'd|you|your|yours|yourself|you're|you've"
    r"|you'll|you'd)\b",
    re.IGNORECASE,
)
# "you" as a subject (after these) is "I"; elsewhere it is an object, "me".
_SUBJECT_BEFORE = re.compile(
    r"(?:^|\b(?:if|when|so|that|because|before|after|until|once|while|and|or|as)\s+|,\s*)$",
    re.IGNORECASE,
)


# Whose side a line is written from: the contact's ("You should..."), the user's ("I should",
# "she said I..."), or either (an imperative).
_CONTACT, _USER, _EITHER = "contact", "user", "either"
_VERB_AFTER = re.compile(
    r"\s+(?:should|can|could|will|would|might|must|are|were|have|had|do|did|want|need|know"
    r"|think|get|go|feel|like)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Advice:
    """A line of advice said back: what the user was told to do, or not to do, and their plan."""

    action: str  # a verb phrase from the user's side: "learn Rust", "apply through the portal"
    negative: bool = False  # "not to": don't, never, shouldn't
    plan: str = ""  # the user's own words about what they will do, a sentence, or ""

    @property
    def said(self) -> str:
        """The advice as a clause to the contact: "you suggested I learn Rust"."""
        if self.negative:
            return f"you advised me not to {self.action}"
        return f"you suggested I {self.action}"

    @property
    def thanked(self) -> str:
        """The advice after "thank you for": "suggesting I learn Rust"."""
        if self.negative:
            return f"advising me not to {self.action}"
        return f"suggesting I {self.action}"


def phrase_advice(line: str, contact: str = "") -> Advice | None:
    """``line`` as advice said back to ``contact`` (their name), or None when it is not quotable."""
    text = _unquoted(" ".join(line[:_MAX_INPUT].split()))
    if not text or _is_filler(text):
        return None
    head, aside = _cut(text)
    head = head.strip().rstrip(".!,:; ")
    if not head or len(head) > MAX_CHARS or _JUDGEMENT.search(head):
        return None
    found = _form(head, _first_name(contact))
    if found is None:
        return None
    action, negative, side = found
    turned = _from_user_side(action, side)
    if turned is None or not _safe(turned, contact):
        return None
    return Advice(_lower_first(turned), negative, _plan(aside, contact))


def _unquoted(text: str) -> str:
    """Without quotes that enclose the whole line (and only then), keeping its end mark."""
    end = ""
    if text[-1:] in ".!" and len(text) > 2:
        text, end = text[:-1], text[-1]
    close = _PAIRS.get(text[:1])
    if close and len(text) > 2 and text.endswith(close):
        inner = text[1:-1]
        # An apostrophe inside a word ("don't") is no closing quote.
        nested = re.search(r"(?<!\w)['’]|['’](?!\w)", inner) if close in "'’" else close in inner
        if not nested:
            return inner.strip()
    return text + end


def _is_filler(text: str) -> bool:
    plain = text.casefold().strip(" .!-–—?…")
    return not any(ch.isalnum() for ch in text) or plain in _FILLERS


def _cut(text: str) -> tuple[str, str]:
    """The advice before its first aside, and that aside (without its mark)."""
    found = _ASIDE.search(text)
    if found is None:
        return text, ""
    return text[: found.start()], text[found.end() :].strip().rstrip(")").strip()


def _form(text: str, name: str) -> tuple[str, bool, str] | None:
    """(action, negative, whose side it is written from) for the forms advice comes in."""
    if text.endswith("?"):
        why = _WHY_NOT.match(text)
        return _form(why["rest"], name) if why else None
    subject = r"(?:she|he|they" + (rf"|{re.escape(name)}(?:\s+\w+)?" if name else "") + ")"
    reported = re.match(rf"^{subject}\s+{_REPORTING}\s+(?P<rest>.+)$", text, re.IGNORECASE)
    if reported:
        return _after_reporting(reported["rest"])
    negative = _NEGATIVE.match(text)
    if negative:
        # "Never a dull moment" is no advice: what follows "don't" must be an action.
        if negative["rest"].split()[0].casefold() in _NOT_ACTIONS:
            return None
        return negative["rest"], True, _EITHER
    for pattern, neg in ((_SHOULD_NOT, True), (_SHOULD, False)):
        should = pattern.match(text)
        if should:
            side = _CONTACT if should["who"].lower() == "you" else _USER
            return should["rest"], neg or bool(should.groupdict().get("neg")), side
    if text.split()[0].casefold() in VERBS:
        return text, False, _EITHER
    return None


def _after_reporting(rest: str) -> tuple[str, bool, str] | None:
    """What follows "she said", "Ada recommended": "I should X", "me to X", "I X", "to X"."""
    for pattern, neg in ((_SHOULD_NOT, True), (_SHOULD, False)):
        should = pattern.match(rest)
        if should and should["who"].lower() == "i":
            return should["rest"], neg or bool(should.groupdict().get("neg")), _USER
    to = _TO.match(rest)
    if to:
        return to["rest"], bool(to["neg"]), _USER
    bare = _I_BARE.match(rest)
    if bare and bare["rest"].split()[0].casefold() in VERBS:
        return bare["rest"], False, _USER
    return None


def _from_user_side(action: str, side: str) -> str | None:
    """The action in the user's words: "polish your CV" (said by the contact) is "polish my CV".

    Said by the contact ("You should..."), every I and you swap; an imperative is taken as their
    words when it says "you"; written from the user's side, "you" has no clear meaning: refused.
    """
    second = _SECOND.search(action) is not None
    if side == _USER and second:
        return None
    if side != _CONTACT and not second:
        return action
    action = action.replace("’", "'")

    def swap(found: re.Match[str]) -> str:
        word = found.group(0).casefold()
        if word == "you":
            subject = _SUBJECT_BEFORE.search(action, 0, found.start()) or _VERB_AFTER.match(
                action, found.end()
            )
            return "I" if subject else "me"
        return _SWAP[word]

    swapped = _PERSON_WORD.sub(swap, action)
    return re.sub(r"\bI are\b", "I am", re.sub(r"\bI were\b", "I was", swapped))


def _safe(text: str, contact: str) -> bool:
    """No one in the third person, not the contact by name, no judgement, no question."""
    if _THIRD.search(text) or _JUDGEMENT.search(text) or "?" in text:
        return False
    names = [n for n in contact.split() if len(n) > 1]
    return not any(re.search(rf"\b{re.escape(n)}\b", text) for n in names)


def _plan(aside: str, contact: str) -> str:
    """The aside as the user's plan ("I'll go on Thursday."), when that is what it is."""
    aside = aside.rstrip(".!,;: ")
    if not _PLAN.match(aside) or len(aside) > MAX_CHARS or not _safe(aside, contact):
        return ""
    return f"{aside[0].upper()}{aside[1:]}."


def _first_name(contact: str) -> str:
    parts = contact.split()
    return parts[0] if parts else ""


def _lower_first(text: str) -> str:
    """Lower the first letter unless the word looks like a name or acronym ("AWS", "SQL")."""
    word = text.split()[0]
    if word.casefold() in VERBS or (len(word) > 1 and word[1:].islower()):
        return text[:1].lower() + text[1:]
    return text
