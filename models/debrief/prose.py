"""Sentences without a heading, placed by their cues, conservatively (pure).

Advice and people may be quoted to the contact, so a sentence goes there only on an explicit
cue ("she suggested", "advised", "recommended", "told me to"; "talk to X", "introduce me to X").
Promises ("I said I'd", "I'll send", "I promised"), offers ("offered to", "happy to intro") and
next steps ("next step", "I'm going to") are private. Anything else is kept as an unplaced note
unless it says it was learned ("I learned", "turns out", "apparently").
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+")
# A full stop after these is no end of sentence ("e.g. Rust", "Dr. Okafor", "A. Lovelace").
_ABBREVIATIONS = frozenset({
    "e.g.", "i.e.", "etc.", "vs.", "approx.", "dr.", "mr.", "mrs.", "ms.", "prof.", "st.",
    "no.", "z.b.", "bzw.", "ca.", "u.a.", "p.ex.", "cf.", "mme.", "m.", "inc.", "ltd.", "co.",
})
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("promises", re.compile(
        r"\b(i promised|i said i'?d|i said i would|i told (?:her|him|them) i'?d"
        r"|i owe (?:her|him|them)|i'?ll send|i will send|i'?ll share|i will share|i'?ll forward"
        r"|i'?ll get back|i agreed to|i'?m (?:going to|gonna) send|ich habe versprochen"
        r"|ich schicke (?:ihr|ihm)|versprochen|j'ai promis"
        r"|je (?:lui )?(?:ai dit que je|vais lui envoyer|lui enverrai|enverrai))\b", re.I)),
    ("offers", re.compile(
        r"\b(offered|offers to|(?:she|he|they)(?:'ll| will| would| can| could)"
        r" (?:intro|introduce|connect|forward|refer|pass|review|look over|send me|ask around"
        r"|put in a word|keep me in mind)"
        r"|happy to (?:intro|introduce|review|connect"
        r"|forward|refer|look)|(?:she|he|they) said (?:she|he|they)'?d (?:intro|introduce|connect"
        r"|forward|refer|review|send)|bot an|hat angeboten|angeboten|a proposé|m'a proposé"
        r"|propose de|proposé de|recommend(?:ed)? me|refer(?:red)? me|put my name forward"
        r"|pass(?:ed)? (?:on )?my (?:cv|name|resume|details))\b", re.I)),
    ("advice", re.compile(
        r"\b(suggested|suggests|advised|advises|recommended|recommends|told me to|said i should"
        r"|thinks i should|her advice|his advice|their advice|advice was|tip was|main tip"
        r"|riet mir|rät mir|empfahl|empfohlen|empfiehlt|meinte,? ich sollte|m'a conseillé"
        r"|conseille de|conseillé de|suggère|a suggéré|recommande)\b", re.I)),
    ("next_step", re.compile(
        r"\b(next step|next steps|next,? i|i'?m going to|i'?m gonna|i plan to|i'?ll (?:apply|try"
        r"|look|read|go|start|update|reach|write|sign|follow)|als nächstes|nächster schritt"
        r"|prochaine étape|je vais)\b", re.I)),
    ("learned", re.compile(
        r"\b(i learned|i learnt|learned that|turns out|found out|apparently|ich habe gelernt"
        r"|gelernt|erfahren|j'ai appris|appris que)\b", re.I)),
)


# Dictated or thumbed text with no punctuation at all: a long run is split where a new clause
# with its own cue begins ("... she said i should ... i promised to ... and she offered to ...").
_RUN_ON_WORDS = 25
_CLAUSE = re.compile(
    r"(?<!\band)(?<!\bbut)(?<!\bso)(?<!\bthen)(?<!\balso)\s+"
    r"(?=(?:(?:and|but|so|then|also)\s+)?(?:that\s|(?:she|he|they|i)\s+(?:said|told"
    r"|suggested|recommended|advised|offered|promised|mentioned|learned|learnt|found out"
    r"|agreed)\b))",
    re.I,
)
_CONJUNCTION = re.compile(r"^(?:and|but|so|then|also)\s+(?=\w)", re.I)


def _clauses(sentence: str) -> list[str]:
    if len(sentence.split()) < _RUN_ON_WORDS or any(ch in sentence for ch in ",;:.!?"):
        return [sentence]
    parts = (_CONJUNCTION.sub("", part.strip()) for part in _CLAUSE.split(sentence))
    return [part for part in parts if part]


def sentences(text: str) -> list[str]:
    """The sentences of a line of prose, each trimmed (a long unpunctuated run by its clauses)."""
    found: list[list[str]] = []
    last = ""  # the last word of the previous piece: linear, whatever is merged
    for piece in _SENTENCE_END.split(text):
        if found and (last in _ABBREVIATIONS or (len(last) == 2 and last[0].isalpha())):
            found[-1].append(piece)
        elif piece.strip():
            found.append([piece])
        words = piece.rsplit(None, 1)
        last = words[-1].casefold() if words else last
    whole = [" ".join(parts).strip() for parts in found]
    return [clause for sentence in whole for clause in _clauses(sentence)]


# "I suggested we meet again" is not their advice: the cue must not follow "I" or "we".
_OWN_SUBJECT = re.compile(r"\b(?:i|we)\s+$", re.I)


# "Advice was to drop the objective": the advice itself is what follows the lead-in.
_ADVICE_LEAD = re.compile(
    r"^(?:(?:her|his|their|the|main|my|one)\s+)?(?:advice|tip)\s+was\s*(?::\s*|to\s+)", re.I
)


def without_lead(field: str, sentence: str) -> str:
    """The sentence without a lead-in that names its field ("Advice was to ...")."""
    found = _ADVICE_LEAD.match(sentence) if field == "advice" else None
    rest = sentence[found.end() :].strip() if found else ""
    return rest if rest else sentence


def place(sentence: str) -> str:
    """The field a sentence of prose belongs to, by its first cue, else "unplaced"."""
    for field, cue in _CUES:
        found = cue.search(sentence)
        if found is None:
            continue
        before = max(0, found.start() - 4)
        if field == "advice" and _OWN_SUBJECT.search(sentence, before, found.start()):
            continue
        return field
    return "unplaced"
