"""Regular-expression detectors: e-mail addresses, French phone numbers and postal addresses.

Postal addresses: a street address needs a number ("12 rue des Lilas", "3 bis, avenue du Général
Leclerc") or is a post box ("BP 12", "CS 30001"). A postcode and city written right after it (same
line after a comma, or the next line) belong to the address and are replaced with it. A postcode
and city standing alone ("75001 Paris", "69003 Lyon") are kept: they name a commune, which the
analysis needs, not a person's home.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.privacy.lexicons import alternation, fold, lexicons

_SEP = r"[ \u00a0\u202f.\-]"
EMAIL_RE = re.compile(
    r"(?<![\w.%+\-])[\w][\w.%+\-]*"
    r"(?:@|[ \u00a0]?[\[(][ ]?(?:at|arobase|@)[ ]?[\])][ \u00a0]?|[ ]arobase[ ])"
    r"[A-Za-z0-9][A-Za-z0-9\-]*(?:(?:\.|[ ]?[\[(](?:dot|point)[\])][ ]?)[A-Za-z0-9\-]+)*"
    r"(?:\.|[ ]?[\[(](?:dot|point)[\])][ ]?)[A-Za-z]{2,}(?![\w\-])",
    re.IGNORECASE,
)
PHONE_RE = re.compile(
    r"(?<![\w+])(?:"
    rf"(?:\+|00){_SEP}?33{_SEP}?(?:\(0\){_SEP}?)?[1-9](?:{_SEP}?\d){{8}}"
    rf"|\(\+33\){_SEP}?(?:\(0\){_SEP}?)?[1-9](?:{_SEP}?\d){{8}}"
    rf"|(?:\+|00){_SEP}?(?:262|269|508|590|594|596|687|689){_SEP}?(?:\(0\){_SEP}?)?\d(?:{_SEP}?\d){{8}}"
    rf"|0[1-9](?:[ \u00a0\u202f.\-/]?\d){{8}}"
    r")(?!\d)"
)
_OBFUSCATED_AT = re.compile(r"[ \u00a0]?[\[(][ ]?(?:at|arobase|@)[ ]?[\])][ \u00a0]?|[ ]arobase[ ]", re.I)
_OBFUSCATED_DOT = re.compile(r"[ ]?[\[(](?:dot|point)[\])][ ]?", re.I)
_ABBREVIATIONS = {"st", "ste", "gal", "gl", "mal", "dr", "pr", "av", "bd"}
_TYPE_CANON = {"av": "avenue", "av.": "avenue", "bd": "boulevard", "bld": "boulevard", "bvd": "boulevard",
               "pl.": "place", "fbg": "faubourg", "r.": "rue", "allee": "allee"}


def email_key(text: str) -> str:
    """Canonical form of an e-mail address (obfuscations undone, lowercase)."""
    text = _OBFUSCATED_AT.sub("@", text)
    return _OBFUSCATED_DOT.sub(".", text).strip().lower()


def phone_key(text: str) -> str:
    """Canonical national form of a phone number: '+33 (0)1 23…' and '01 23…' give '0123…'."""
    digits = re.sub(r"\(0\)", "", text)
    digits = re.sub(r"\D", "", digits)
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif text.lstrip().startswith(("+33", "(+33")):
        digits = "0" + digits[2:]
    return digits


class AddressFinder:
    """Finds street addresses with a number and post boxes, with the postcode and city after them."""

    def __init__(self) -> None:
        spec = lexicons().address
        self.strict = {fold(t) for t in spec["street_types_strict"]}
        types = alternation(list(spec["street_types_strict"]) + list(spec["street_types_loose"]))
        suffixes = alternation(spec["number_suffixes"])
        self.start_re = re.compile(
            rf"(?<![\w,./°-])(?P<num>\d{{1,4}}(?:[ ]?(?:{suffixes})\b|[A-Da-d]\b)?)[ \u00a0]?,?[ \u00a0]+"
            rf"(?P<type>{types})(?=[ \u00a0,])", re.IGNORECASE)
        self.box_re = re.compile(rf"(?<![\w])(?:{'|'.join(spec['postbox'])})[ \u00a0]?\d{{1,6}}\b", re.IGNORECASE)
        self.particles = {fold(p) for p in spec["name_particles"]}
        self.months = {fold(m) for m in spec["months"]}
        word = r"(?!(?i:cedex)\b)[A-ZÀ-Þ][\w'’\-]*"
        city = rf"{word}(?:[ \-](?:(?:sur|sous|en|le|la|les|lès|de|du|des|d'|l')[ \-])?{word})*"
        self.tail_re = re.compile(
            rf"[ \u00a0]*[,\-–]?[ \u00a0]*(?:\n[ \u00a0]*)?(?:(?i:{'|'.join(spec['postbox'])})[ \u00a0]?\d{{1,6}}"
            rf"[ \u00a0]*[,\-–]?[ \u00a0]*(?:\n[ \u00a0]*)?)?\d{{2}}[ ]?\d{{3}}[ \u00a0]+{city}"
            r"(?:[ \u00a0]+(?i:cedex)(?:[ \u00a0]?\d{1,2})?)?")
        self.token_re = re.compile(r"[^\s,;:()\[\]]+")

    def _street_name_end(self, text: str, pos: int, street_type: str) -> tuple[int, str]:
        """End offset and text of the street name that starts at ``pos`` ('' when none)."""
        line_end = len(text)
        for stop in ",;:()\n":
            found = text.find(stop, pos)
            if found != -1:
                line_end = min(line_end, found)
        postcode = re.search(r"\b\d{2} ?\d{3}\b", text[pos:line_end])
        if postcode:
            line_end = pos + postcode.start()
        tokens = list(self.token_re.finditer(text, pos, line_end))
        kept: list[re.Match] = []
        for token in tokens:
            word = token.group().rstrip(".")
            lower = fold(word)
            elided = re.match(r"^[dlDL]['’]\w", word) is not None  # "d'Eau", "l'Église"
            if word[:1].isupper() or word[:1].isdigit() or elided or lower in self.particles or lower in self.months:
                kept.append(token)
                if token.group().endswith(".") and lower not in _ABBREVIATIONS:
                    break
            else:
                break
        while kept and fold(kept[-1].group()) in self.particles:
            kept.pop()
        if not any(t.group()[:1].isupper() or t.group()[:1].isdigit() for t in kept):
            # all-lowercase street names ("rue des trois ponts") only after an unambiguous street
            # type and up to a delimiter close by
            if fold(street_type) not in self.strict or not 0 < len(tokens) <= 4:
                return pos, ""
            kept = tokens
        end = kept[-1].end()
        if text[end - 1] == "." and fold(kept[-1].group()).rstrip(".") not in _ABBREVIATIONS:
            end -= 1  # sentence full stop, not an abbreviation
        return end, text[pos:end]

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Spans ``(start, end, key)`` of postal addresses; ``key`` identifies the address."""
        found: list[tuple[int, int, str]] = []
        for match in self.start_re.finditer(text):
            street_type = match.group("type")
            end, name = self._street_name_end(text, match.end(), street_type)
            if not name:
                continue
            canon_type = _TYPE_CANON.get(fold(street_type), fold(street_type))
            number = re.sub(r"\s+", "", fold(match.group("num")))
            key = " ".join([number, canon_type, *fold(name).replace("'", " ").split()])
            tail = self.tail_re.match(text, end)
            found.append((match.start(), tail.end() if tail else end, key))
        for match in self.box_re.finditer(text):
            if any(s <= match.start() < e for s, e, _ in found):
                continue
            tail = self.tail_re.match(text, match.end())
            key = re.sub(r"[\s.]", "", fold(match.group()))
            found.append((match.start(), tail.end() if tail else match.end(), key))
        return sorted(found)


def find_emails(text: str) -> list[tuple[int, int, str]]:
    """Spans ``(start, end, key)`` of e-mail addresses."""
    return [(m.start(), m.end(), email_key(m.group())) for m in EMAIL_RE.finditer(text)]


def find_phones(text: str) -> list[tuple[int, int, str]]:
    """Spans ``(start, end, key)`` of French phone numbers (national and international formats)."""
    return [(m.start(), m.end(), phone_key(m.group())) for m in PHONE_RE.finditer(text)]


def leak_report(texts: Iterable[str]) -> dict[str, int]:
    """Count the e-mail addresses and phone numbers still present in ``texts`` (regex only).

    Returns ``{"email": n, "telephone": n}``; both are 0 on properly pseudonymised outputs."""
    counts = {"email": 0, "telephone": 0}
    for text in texts:
        if not isinstance(text, str):
            continue
        counts["email"] += len(EMAIL_RE.findall(text))
        counts["telephone"] += len(PHONE_RE.findall(text))
    return counts
