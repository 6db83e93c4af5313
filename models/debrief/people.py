"""People in a debrief: names and any addresses, from a "People" line or a sentence's cue (pure).

Accepted forms: "cb@x.org", "Charles Babbage <cb@x.org>", "Charles Babbage (cb@x.org)",
"Charles Babbage - cb@x.org", "Grace at Compilers Ltd" (name "Grace", note "at Compilers Ltd"),
several on one line separated by commas, semicolons or "and" when each part is a name. An
address alone is its own name (nothing is invented). In prose, only a cue ("talk to",
"introduce me to", "sprich mit", "contacter") followed by a capitalised name makes a person.
"""

from __future__ import annotations

import re

from coffeechat.models.debrief.fields import PersonMention

ADDRESS = re.compile(r"[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_PARTICLES = frozenset(
    {"van", "von", "de", "da", "del", "der", "den", "le", "la", "du", "di", "bin", "al"}
)
_NOT_NAMES = frozenset({
    "i", "the", "their", "her", "his", "she", "he", "they", "them", "someone", "somebody",
    "a", "an", "my", "our", "your", "it", "this", "that", "also", "and", "or", "maybe",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "linkedin", "slack", "email", "cto", "ceo", "vp", "hr", "recruiting", "people",
    "sie", "er", "ihr", "ihre", "jemand", "jemandem", "elle", "il", "quelqu'un", "son", "sa",
})
_NOT_LOWER_NAMES = frozenset({
    "anyone", "everyone", "folks", "recruiters", "recruiter", "team", "hiring", "manager",
    "ask", "later", "none", "not", "sure", "unknown", "lots", "several", "some", "few", "both",
    "friends", "colleagues", "her", "his", "someone", "nobody", "check", "find", "see",
})
_OWN_PLAN = re.compile(
    r"\b(?:i'?ll|i will|i need to|i want to|i have to|i hope to|i plan to|i'd like to|we'?ll)"
    r"(?: also| again)?\s+$",
    re.I,
)
_THEIR_PLAN = re.compile(
    r"\b(?:she|he|they)(?:'d|'ll| will| would| can| could| might)(?: also)?\s+$", re.I
)
_INTRO = re.compile(
    r"(?:introduc|intro|connect|put|pass|forward|me présenter|présenter|vorstellen)", re.I
)
_NOTE_OPENERS = frozenset({"at", "from", "of", "@", "-", "–", "—", "bei", "von", "chez", "de", ""})
_NAME_TOKEN = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’.-]{0,40}")
_SPLIT_MANY = re.compile(r"\s*(?:;|,|\band\b|\bund\b|\bet\b|&|/)\s*")
_ROLES = (
    r"(?:(?:old|former|ex|new|previous|current|own|good)\s+)?"
    r"(?:colleague|friend|manager|boss|cofounder|co-founder|ex-colleague|teammate|mentor"
    r"|recruiter|lead|director|founder|cto|ceo|kollegin|kollegen|kollege|collègue|ami|amie)"
)
# "her colleague Tom": the relation is a note, the name follows it
_RELATION = re.compile(
    rf"^(?:her|his|their|my|ihre[mn]?|seine[mn]?|sa|son)\s+{_ROLES},?\s+(?=[A-ZÀ-ÖØ-Þ])"
)
_PROSE_CUE = re.compile(
    r"\b(?:talk(?:ing)? to|talk with|speak(?:ing)? (?:to|with)|reach(?:ing)? out to"
    r"|get in touch with|contact|introduc(?:e|ing) me to|intro(?:duce|ing)? (?:me )?to"
    r"|pass(?:ed)? (?:on )?my (?:name|cv|resume|details) to|forward(?:ed)? my (?:cv|resume) to"
    r"|connect(?:ing)? me (?:to|with)|put(?:ting)? me in touch with|"
    r"should meet|should also meet|"
    r"sprich mit|sprechen mit|reden mit|kontakt zu|melden bei|vorstellen|parler à|contacter|"
    r"me présenter à|présenter à|"
    r"écrire à)\s+(?:(?:her|his|their|my|the|a|an|ihre[mn]?|seine[mn]?|sa|son)\s+)?"
    r"(?:(?:old|former|ex|new|previous|current|own|good)\s+)?"
    r"(?:(?:colleague|friend|manager|boss|cofounder|co-founder|ex-colleague|teammate|mentor"
    r"|recruiter|lead|director|founder|cto|ceo|kollegin|kollegen|kollege|collègue|ami|amie)"
    r",?\s+)?",
    re.I,
)


def _name_at(words: list[str]) -> tuple[str, int]:
    """The capitalised name opening ``words`` (up to four tokens) and how many words it took."""
    taken: list[str] = []
    for i, word in enumerate(words[:5]):
        bare = word.strip(",.;:!?()\"'")
        if bare.casefold() in _PARTICLES and taken and i + 1 < len(words):
            taken.append(bare)
            continue
        if not _NAME_TOKEN.fullmatch(bare) or bare.casefold() in _NOT_NAMES or len(taken) >= 4:
            break
        if bare.isupper() and len(bare) <= 4:
            break
        taken.append(bare.rstrip("."))
        if word != bare and not word.endswith("."):
            break  # a comma or bracket ends the name
    while taken and taken[-1].casefold() in _PARTICLES:
        taken.pop()
    return " ".join(taken), len(taken)


def _lower_name_at(words: list[str]) -> tuple[str, int]:
    """A name typed in lower case on a phone ("priya", "priya raman", "priya from data")."""
    bare = [w.strip(",.;:()") for w in words[:3]]
    if not bare or not all(w.isalpha() and w.islower() for w in bare[:2]):
        return "", 0
    if any(w in _NOT_NAMES or w in _NOT_LOWER_NAMES for w in bare[:2]) or len(bare[0]) < 3:
        return "", 0
    if len(words) == 1 or (len(words) > 1 and bare[1] in _NOTE_OPENERS | {"in", "on"}):
        return bare[0], 1
    if len(words) == 2:
        return " ".join(bare), 2
    return "", 0


def _is_whole_name(part: str) -> bool:
    words = part.split()
    return bool(words) and _name_at(words)[1] == len(words)


def named(person: PersonMention) -> bool:
    """True when the mention has an address, starts like a name, or is one or two plain words."""
    words = person.name.split()
    lower = 1 <= len(words) <= 2 and all(w.isalpha() and w.islower() for w in words)
    return person.address is not None or person.name[:1].isupper() or lower


def _looks_like_name(part: str) -> bool:
    found = ADDRESS.search(part)
    if found is not None:
        part = part[: found.start()].rstrip(" <([")
        if not part.strip(" -–—:"):
            return True
    words = part.split()
    name, used = _name_at(words)
    if not name:
        return False
    after = words[used] if used < len(words) else ""
    return after == "" or after[:1] in "(<-–—" or after.casefold() in _NOTE_OPENERS


def person_in_item(item: str) -> PersonMention | None:
    """One person from one entry of a People section, or None when it names nobody."""
    item = item.strip(" -–—,;:.")
    found = ADDRESS.search(item)
    address = found.group(0) if found else None
    if found is not None:
        item = f"{item[: found.start()].rstrip(' <([')} {item[found.end():].lstrip(' >)]')}"
        item = item.strip(" -–—,;:.")
    if not item:
        return None if address is None else PersonMention(name=address, address=address)
    for mark in (",", ":"):
        head, sep, tail = item.rpartition(mark)
        if sep and _is_whole_name(tail) and not _is_whole_name(head):
            return PersonMention(" ".join(tail.split()).rstrip("."), address, head.strip()[:200])
    relation = _RELATION.match(item)
    lead = relation.group(0).strip(" ,") if relation else ""
    item = item[relation.end() :] if relation else item
    name, used = _name_at(item.split())
    if not name and not relation:
        name, used = _lower_name_at(item.split())
    if not name:
        return None if address is None else PersonMention(name=address, address=address)
    rest = " ".join(item.split()[used:]).strip(" ()-–—,:")
    rest = f"{lead}, {rest}" if lead and rest else lead or rest
    return PersonMention(name=name, address=address, note=rest[:200])


def is_name_list(text: str) -> bool:
    """True when the text is only names and addresses ("Grace Hopper, cb@x.org")."""
    parts = [p for p in _SPLIT_MANY.split(text[:2000]) if p.strip()]
    return bool(parts) and all(_looks_like_name(p) for p in parts)


def people_in_item(item: str) -> list[PersonMention]:
    """Everyone named in one entry of a People section (several when it is a list of names)."""
    parts = [p for p in _SPLIT_MANY.split(item[:2000]) if p.strip()]
    if len(parts) > 1 and all(_looks_like_name(p) for p in parts):
        found = [person_in_item(p) for p in parts[:20]]
        return [p for p in found if p is not None]
    one = person_in_item(item)
    return [] if one is None else [one]


def people_in_sentence(sentence: str) -> list[PersonMention]:
    """People a sentence tells the user to contact ("talk to X", "intro me to X <x@y>")."""
    found: list[PersonMention] = []
    for cue in _PROSE_CUE.finditer(sentence[:2000]):
        before = max(0, cue.start() - 24)
        if _OWN_PLAN.search(sentence, before, cue.start()):
            continue  # "I'll talk to Ada again": the user's plan, not someone they were sent to
        if _THEIR_PLAN.search(sentence, before, cue.start()) and not _INTRO.match(cue.group(0)):
            continue  # "she'll talk to Priya about my CV": an offer, Priya is not for the user
        tail = sentence[cue.end(): cue.end() + 200]
        address = ADDRESS.match(tail)
        if address is not None:
            found.append(PersonMention(name=address.group(0), address=address.group(0)))
            continue
        name, used = _name_at(tail.split())
        if not name:
            continue
        after = " ".join(tail.split()[used:])
        mail = ADDRESS.match(after.lstrip("(<[ "))
        found.append(PersonMention(name=name, address=mail.group(0) if mail else None))
        if len(found) >= 10:
            break
    return found
