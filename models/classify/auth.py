"""Reading Authentication-Results (RFC 8601), bounded, and judging them for one account.

Anyone can write an Authentication-Results header into a message, so a header counts only
when its authserv-id is the one the user's own provider stamps (learnt from the account's own
mail, see ``learnt_authserv``). The provider prepends its header above whatever the sender
wrote, so the topmost header with a trusted authserv-id is the provider's verdict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from coffeechat.models.classify.model import ParsedMail

_HEADER_CAP = 262_144  # the same cap the parser puts on a header block
_MAX_HEADERS = 10
_VALUE_CAP = 4_000
_MAX_RESULTS = 30
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FIELD = b"authentication-results:"
_RESULT = re.compile(r"^\s*([a-z0-9\-_]{1,30})(?:/[0-9]{1,5})?\s*=\s*([a-z0-9\-_]{1,20})", re.I)
_ID = re.compile(r"^\s*([^\s;=]{1,255})")
# A learnt authserv-id needs this many messages carrying results, and this share of them.
MIN_SAMPLE = 10
MIN_SHARE = 0.6


@dataclass(frozen=True)
class AuthResults:
    """One header: who wrote it (authserv-id, lower-cased; "" when absent) and method=result."""

    authserv_id: str
    results: tuple[tuple[str, str], ...]

    def result(self, method: str) -> str | None:
        """The first result of a method (spf, dkim, dmarc...), lower-cased, or None."""
        return next((r for m, r in self.results if m == method), None)


@dataclass(frozen=True)
class AuthVerdict:
    """What the user's provider said: pass, fail, neutral or unknown, why, and by whom."""

    status: str
    reason: str
    authserv_id: str = ""

    @property
    def failed(self) -> bool:
        """True when the provider's results say the sender is not who the From claims."""
        return self.status == "fail"


UNKNOWN = AuthVerdict("unknown", "no Authentication-Results from the user's provider")


def header_values(raw: bytes) -> tuple[str, ...]:
    """The Authentication-Results values of a message's own header block, top first, bounded."""
    found = _HEADER_END.search(raw, 0, _HEADER_CAP)
    head = raw[: found.start()] if found else raw[:_HEADER_CAP]
    values: list[str] = []
    current: bytearray | None = None
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and current is not None:
            if len(current) < _VALUE_CAP:
                current += b" " + line.strip()
            continue
        if current is not None:
            values.append(current[:_VALUE_CAP].decode("utf-8", "replace"))
            current = None
            if len(values) >= _MAX_HEADERS:
                break
        if line[: len(_FIELD)].lower() == _FIELD:
            current = bytearray(line[len(_FIELD) :].strip())
    if current is not None and len(values) < _MAX_HEADERS:
        values.append(current[:_VALUE_CAP].decode("utf-8", "replace"))
    return tuple(values)


def with_auth_results(mail: ParsedMail, raw: bytes) -> ParsedMail:
    """The parsed message with its Authentication-Results values filled in; never raises."""
    try:
        values = header_values(raw)
    except Exception:  # a header we cannot read is a header we do not trust
        return mail
    return replace(mail, auth_results=values) if values else mail


def _strip_comments(value: str) -> str:
    """The value without (comments) and "quoted strings", in one linear pass."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth:
            continue
        elif char == '"':
            quoted = True
            out.append('""')
        else:
            out.append(char)
    return "".join(out)


def parse(value: str) -> AuthResults:
    """One Authentication-Results value; never raises (garbage gives no results)."""
    pieces = _strip_comments(value[:_VALUE_CAP]).split(";")
    first = pieces[0]
    authserv = ""
    if "=" not in first:  # Microsoft 365 omits the authserv-id and starts with "spf=..."
        found = _ID.match(first)
        authserv = found.group(1).lower().rstrip(".") if found else ""
        pieces = pieces[1:]
    results: list[tuple[str, str]] = []
    for piece in pieces[:_MAX_RESULTS]:
        found = _RESULT.match(piece)
        if found:
            results.append((found.group(1).lower(), found.group(2).lower()))
    return AuthResults(authserv, tuple(results))


def topmost_authserv(values: Iterable[str]) -> str | None:
    """The authserv-id of the first (topmost) header, or None when there is none."""
    for value in values:
        return parse(value).authserv_id
    return None


def judge(values: Iterable[str], trusted: frozenset[str]) -> AuthVerdict:
    """The verdict of the topmost header written by a trusted authserv-id.

    dmarc=fail, or spf=fail with no passing DKIM signature, is a failure: the sending domain
    says this message is not its own. A pass is dmarc=pass or dkim=pass.
    """
    for value in values:
        header = parse(value)
        if header.authserv_id not in trusted:
            continue  # anyone can add a header; only the user's provider's counts
        dmarc, spf, dkim = (header.result(m) for m in ("dmarc", "spf", "dkim"))
        by = header.authserv_id or "(no authserv-id)"
        if dmarc == "fail":
            return AuthVerdict("fail", f"dmarc=fail according to {by}", header.authserv_id)
        if spf == "fail" and dkim != "pass":
            return AuthVerdict(
                "fail", f"spf=fail and dkim={dkim or 'none'} according to {by}", header.authserv_id
            )
        if dmarc == "pass" or dkim == "pass":
            passed = "dmarc" if dmarc == "pass" else "dkim"
            return AuthVerdict("pass", f"{passed}=pass according to {by}", header.authserv_id)
        return AuthVerdict("neutral", f"nothing decisive from {by}", header.authserv_id)
    return UNKNOWN


def judge_mail(mail: ParsedMail, trusted: frozenset[str] | None) -> AuthVerdict:
    """judge() for a parsed message; trusted=None trusts its topmost header (no account)."""
    if trusted is None:
        top = topmost_authserv(mail.auth_results)
        trusted = frozenset() if top is None else frozenset({top})
    return judge(mail.auth_results, trusted)


def learnt_authserv(counts: Mapping[str, int], messages: int) -> frozenset[str]:
    """The provider's authserv-id: topmost on at least MIN_SHARE of MIN_SAMPLE+ messages.

    ``counts`` maps each authserv-id to the number of INBOX messages whose topmost header it
    wrote; ``messages`` counts the INBOX messages that carried any such header. Every message
    the provider accepts gets its header on top, while a forger's header only ever sits on the
    forger's own messages, below the provider's.
    """
    if messages < MIN_SAMPLE:
        return frozenset()
    return frozenset(i for i, n in counts.items() if n >= MIN_SHARE * messages)
