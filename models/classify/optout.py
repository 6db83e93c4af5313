"""Spotting a clear request to stop: "please don't contact me", "remove me", "not interested"."""

from __future__ import annotations

import re

from coffeechat.models.classify.model import ParsedMail
from coffeechat.models.classify.quoting import new_text

_STOP = re.compile(
    r"(?:please\s+|kindly\s+)?(?:do\s+not|don't|don’t|dont)\s+(?:ever\s+)?(?:contact|e-?mail|write\s+to"
    r"|reach\s+out\s+to|message|call)\s+me(?:\s+again|\s+anymore|\s+any\s+more|\s+further)?"
    r"|(?:stop|quit)\s+(?:contacting|e-?mailing|emailing|writing\s+to|messaging)\s+me"
    r"|(?:remove|take)\s+me\s+(?:from|off)\s+(?:your|this|the)\s+(?:list|mailing|contacts?|database)"
    r"|unsubscribe\s+me|no\s+further\s+(?:contact|emails?)|leave\s+me\s+alone"
    r"|(?:i\s*(?:'m|’m|am)\s+)?not\s+interested(?:\s*[.!,]|\s*$|,?\s+(?:thanks|thank\s+you)"
    r"|\s+at\s+(?:this|the\s+moment))"
    r"|i\s+(?:have|'ve)\s+no\s+interest"
    # German, French, Spanish, Dutch, Swedish
    r"|kontaktieren\s+sie\s+mich\s+(?:bitte\s+)?nicht\s+mehr|kein\s+interesse"
    r"|(?:merci\s+de\s+)?ne\s+(?:plus\s+)?me\s+(?:plus\s+)?contacter|pas\s+intéressée?"
    r"|no\s+me\s+(?:contacte|contactes|escriba|escribas)(?:\s+más)?|no\s+estoy\s+interesad[oa]"
    r"|neem\s+geen\s+contact\s+(?:meer\s+)?met\s+mij\s+op|geen\s+interesse"
    r"|kontakta\s+mig\s+inte|inte\s+intresserad",
    re.IGNORECASE,
)
# A stop request with a time limit or a channel preference is not an opt-out.
_QUALIFIER = re.compile(
    r"^\W*(?:until|before|after|till|on\s+(?:this|my|weekends?)|at\s+(?:this|my|work)|via|by"
    r"|through|here|during|in\s+(?:this|that|the)\s|today|tomorrow|this\s+week|next\s+week"
    r"|in\s+\w+ing|anymore\s+about\s+(?:this|that))\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"\b(?:not\s+that|doesn't\s+mean|isn't\s+that|hesitate|if|whether|in\s+case)\b[^.!?]{0,40}$",
    re.IGNORECASE,
)
# "not interested in moving, but happy to chat" is not a refusal of the conversation.
_INTEREST_IN = re.compile(r"\s+(?:in|an|à|en|aan|i|para)\b", re.IGNORECASE)


def opt_out_phrase(text: str) -> str | None:
    """The first clear stop request in the text, or None; qualified or negated ones don't count."""
    for match in _STOP.finditer(text[:5000]):
        after = text[match.end() : match.end() + 40]
        before = text[max(0, match.start() - 60) : match.start()]
        if _QUALIFIER.match(after) or _NEGATED.search(before):
            continue
        if "nteres" in match.group(0).lower() and _INTEREST_IN.match(after):
            continue
        return " ".join(match.group(0).split())
    return None


def is_opt_out(mail: ParsedMail) -> bool:
    """True when the new part of the message clearly asks us to stop writing."""
    # the phrase is sought in the first 5,000 characters; 20,000 leave room for the signature cut
    return opt_out_phrase(new_text(mail.text_new[:20_000], drop_signature=True)) is not None
