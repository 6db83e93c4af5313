"""The debrief's section headings, in English, German, French and Spanish, however written.

A heading is a line whose first words name a field ("Advice:", "2) Their advice", "**Tips**",
"NÄCHSTER SCHRITT -", "Personnes à contacter :"), optionally followed on the same line by the
first answer. Everything here works on one line at a time, already capped in length.
"""

from __future__ import annotations

import re
import unicodedata

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "learned": (
        "what i learned", "what i learnt", "learned", "learnt", "learnings", "i learned",
        "takeaways", "key takeaways", "notes", "my notes", "lessons", "insights",
        "what did you learn", "what i heard", "what did i learn",
        "gelernt", "was ich gelernt habe", "erkenntnisse", "notizen",
        "appris", "ce que j'ai appris", "j'ai appris", "à retenir", "enseignements",
        "lo que aprendí", "aprendí", "aprendizajes",
    ),
    "advice": (
        "their advice", "advice", "her advice", "his advice", "tips", "tip", "any advice",
        "recommendations", "suggestions", "advice given", "what they advised", "pointers",
        "what did they advise", "what did she advise", "what did he advise", "any tips",
        "ratschläge", "ratschlag", "rat", "tipps", "ihr rat", "sein rat", "empfehlungen",
        "conseils", "conseil", "ses conseils", "leurs conseils", "recommandations",
        "sus consejos", "consejos", "su consejo", "consejo", "recomendaciones",
    ),
    "people": (
        "people they suggested", "who they suggested", "people suggested", "suggested people",
        "people she suggested", "people he suggested", "people to talk to", "people", "intros",
        "introductions", "referrals", "contacts",
        "who to talk to", "people to contact", "people to meet", "names", "talk to",
        "people mentioned", "who should i talk to", "who to contact", "who should i contact",
        "kontakte", "personen", "ansprechpartner", "leute", "mit wem reden",
        "personnes à contacter", "personnes", "à contacter", "gens à contacter",
        "personnes à rencontrer",
        "personnes suggérées", "personnes proposées", "contacts suggérés",
        "personas sugeridas", "personas", "contactos", "a quién contactar",
    ),
    "promises": (
        "what i promised", "i promised", "promised", "promises", "my promises",
        "commitments", "what i said i'd do", "i owe", "what i owe", "what did i promise",
        "versprochen", "was ich versprochen habe", "versprechen", "zusagen",
        "promis", "ce que j'ai promis", "j'ai promis", "promesses", "engagements",
        "lo que prometí", "prometí", "promesas", "compromisos",
    ),
    "offers": (
        "what they offered", "offered", "offers", "they offered", "offer", "she offered",
        "he offered", "offered to", "what did they offer", "what did she offer",
        "angeboten", "angebote", "angebot", "was sie angeboten haben", "hat angeboten",
        "proposé", "proposés", "propositions", "ce qu'ils ont proposé", "offert", "offres",
        "ce qu'elle a proposé", "ce qu'il a proposé",
        "lo que ofrecieron", "lo que ofreció", "ofrecieron", "ofreció", "ofertas",
    ),
    "next_step": (
        "next step", "next steps", "follow up", "follow-up", "followup", "follow ups",
        "follow-ups", "next", "what's next", "to do", "todo", "to-do", "action items",
        "next actions", "my next step", "my next steps", "what next",
        "nächster schritt", "nächste schritte", "wie geht es weiter", "als nächstes",
        "prochaine étape", "prochaines étapes", "la suite", "suite", "à faire",
        "próximo paso", "próximos pasos", "siguiente paso", "siguientes pasos",
    ),
}
HEADINGS: dict[str, str] = {
    phrase: field for field, phrases in _SYNONYMS.items() for phrase in phrases
}
_LONGEST = max(len(p) for p in HEADINGS)

# A list marker: "-", "*", "•", "–", "1.", "2)", "(3)", "a)", "#", markdown emphasis.
_MARKER = re.compile(r"(?:[-*•·–—+>#]+|\(?\d{1,2}[.)]|[a-f]\))\s*")
_SEPARATOR = re.compile(r"\s*(?::|\?\s|\s[-–—]\s|[-–—]$)\s*")
# Field words that open a list item without a colon ("- promised to send the deck").
_BARE_WORDS = frozenset({
    "learned", "learnt", "promised", "offered", "gelernt", "versprochen", "angeboten",
    "appris", "promis", "proposé",
})
_DASHES = frozenset("-*•·–—+")
_EMPTY_ANSWERS = frozenset({
    "", "-", "--", "—", "–", "n/a", "na", "none", "nothing", "nope", "no", "nil", "tbd", "?",
    "...", "…", "none yet", "nothing yet", "nothing really", "not really",
    "nobody", "no one", "nobody really", "no one really", "nobody yet", "niemand",
    "personne", "nichts", "keine", "keiner", "nein", "rien", "aucun", "aucune", "non", "néant",
    "nada", "nadie", "ninguno", "ninguna",
})


def normalise(phrase: str) -> str:
    """Lower case, one kind of apostrophe, single spaces, no emphasis or closing punctuation."""
    phrase = phrase.replace("’", "'").replace("*", "").replace("_", " ").casefold()
    return " ".join(phrase.split()).strip(" .:?!;,-–—")


def _emoji_marker(text: str) -> int:
    """Length of a leading run of emoji/symbols used as a bullet ("✅ ", "👉🏽 "), else 0."""
    end = 0
    for ch in text[:8]:
        if unicodedata.category(ch) in ("So", "Sk") or ch in "\ufe0f\u200d":
            end += 1
        else:
            break
    return end if end and text[end : end + 1].isspace() else 0


def strip_marker(line: str) -> tuple[str, bool]:
    """The line without its list marker, and whether it had one."""
    stripped = line.strip()
    if emoji := _emoji_marker(stripped):
        return stripped[emoji:].strip(), True
    found = _MARKER.match(stripped)
    if found is None or found.end() == 0:
        return stripped, False
    rest = stripped[found.end():].strip()
    return rest, True


def is_empty_answer(text: str) -> bool:
    """True for placeholders a user leaves under a heading they did not answer."""
    return normalise(text) in _EMPTY_ANSWERS or not any(ch.isalnum() for ch in text)


def _bare_head(text: str) -> tuple[str, str] | None:
    """A list item opened by a field word and a space ("- learned their QA is automated")."""
    first, _, rest = text.partition(" ")
    field = HEADINGS.get(normalise(first)) if normalise(first) in _BARE_WORDS else None
    return (field, rest.strip()) if field and rest.strip() else None


def split_heading(line: str) -> tuple[str, str] | None:
    """(field, rest of the line) when the line opens a section, else None."""
    text, bulleted = strip_marker(line)
    text = text.strip("*_ ")
    if not text or len(text) > 2000:
        return None
    whole = normalise(text)
    # "- my notes" is an item; "1. Notes" and "**Notes**" are headings.
    dashed = line.lstrip()[:1] in _DASHES and not line.lstrip().startswith("**")
    if whole in HEADINGS and not dashed:
        return HEADINGS[whole], ""
    found = _SEPARATOR.search(text, 0, min(len(text), _LONGEST + 8))
    if found is None:
        return _bare_head(text) if bulleted else None
    head = normalise(text[: found.start()])
    field = HEADINGS.get(head)
    if field is None:
        return None
    return field, text[found.end():].strip(" *_")
