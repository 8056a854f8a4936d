"""Detection of personal data in one text: e-mails, phones, postal addresses and person names."""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from pipeline.config import PrivacyConfig
from pipeline.privacy.lexicons import fold, lexicons, name_key
from pipeline.privacy.names import NameDetector
from pipeline.privacy.patterns import AddressFinder, find_emails, find_phones

KIND_ORDER = {"email": 0, "telephone": 1, "adresse": 2, "personne": 3}
PLACEHOLDER_RE = re.compile(r"\[(?:PERSONNE|EMAIL|TELEPHONE|ADRESSE)_\d+\]")
DEFAULT_ALLOW_LIST = PrivacyConfig().allow_list


class PiiSpan(NamedTuple):
    """One piece of personal data: character offsets, kind and the verbatim text."""

    start: int
    end: int
    kind: str  # email, telephone, adresse or personne
    text: str


class Candidate(NamedTuple):
    start: int
    end: int
    kind: str
    key: str  # what identifies the item (normalised address, phone digits, e-mail, name)
    rule: str


@lru_cache(maxsize=8)
def name_detector(allow_list: tuple[str, ...]) -> NameDetector:
    """A cached :class:`NameDetector` for one allow-list."""
    return NameDetector(allow_list)


@lru_cache(maxsize=1)
def address_finder() -> AddressFinder:
    """The cached address finder."""
    return AddressFinder()


def protected_ranges(text: str) -> list[tuple[int, int]]:
    """Ranges never changed: fictional-corpus marker lines and placeholders already in the text."""
    ranges = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
    prefixes = lexicons().protected_line_prefixes
    pos = 0
    for line in text.split("\n"):
        if line.lstrip().startswith(prefixes):
            ranges.append((pos, pos + len(line)))
        pos += len(line) + 1
    return ranges


def resolve_overlaps(candidates: Iterable[Candidate], protected: list[tuple[int, int]]) -> list[Candidate]:
    """Keep non-overlapping candidates: e-mail > phone > address > person, then the longest."""
    kept: list[Candidate] = []
    ranked = sorted(candidates, key=lambda c: (KIND_ORDER[c.kind], -(c.end - c.start), c.start))
    for cand in ranked:
        if cand.end <= cand.start:
            continue
        if any(cand.start < e and s < cand.end for s, e in protected):
            continue
        if any(cand.start < k.end and k.start < cand.end for k in kept):
            continue
        kept.append(cand)
    return sorted(kept, key=lambda c: (c.start, c.end))


def find_names_in(text: str, names: Iterable[str], rule: str = "connu") -> list[Candidate]:
    """Capitalised occurrences of known ``names`` in ``text`` (accent- and case-insensitive match,
    every word of the occurrence starting with a capital)."""
    folded = fold(text)
    found = []
    for name in sorted(set(names), key=len, reverse=True):
        words = name_key(name).split()
        if not words:
            continue
        pattern = r"(?<![\w\-@.])" + r"[ \u00a0]+".join(re.escape(w) for w in words) + r"(?![\w\-@])"
        for match in re.finditer(pattern, folded):
            original = text[match.start():match.end()]
            if all(w[:1].isupper() for w in original.split() if name_key(w) not in {"de", "du", "le", "la"}):
                found.append(Candidate(match.start(), match.end(), "personne", original, rule))
    return found


def detect(text: str, entities: Iterable[tuple[int, int, str]] = (), allow_list: tuple[str, ...] = DEFAULT_ALLOW_LIST,
           extra_names: Iterable[str] = ()) -> list[Candidate]:
    """All personal data in ``text``, overlaps resolved. ``entities``: NER spans ``(start, end,
    label)``; ``extra_names``: names known for the contribution (sender)."""
    detector = name_detector(tuple(allow_list))
    cands = [Candidate(s, e, "email", k, "regex") for s, e, k in find_emails(text)]
    cands += [Candidate(s, e, "telephone", k, "regex") for s, e, k in find_phones(text)]
    cands += [Candidate(s, e, "adresse", k, "regex") for s, e, k in address_finder().find(text)]
    for start, end, rule in [*detector.rule_spans(text), *detector.ner_spans(text, entities)]:
        cands.append(Candidate(start, end, "personne", text[start:end], rule))
    cands += [c for c in find_names_in(text, extra_names, "expediteur")
              if not detector.place_context(text, c.start)]
    return resolve_overlaps(cands, protected_ranges(text))


def find_personal_data(text: str, nlp=None, allow_list: Iterable[str] | None = None,
                       extra_names: Iterable[str] = ()) -> list[PiiSpan]:
    """Spans of personal data in one text, sorted by offset.

    Without ``nlp`` only the rules run (regexes, titles, first names, signatures); with a spaCy
    ``Language`` its ``PER`` entities are used too. ``allow_list`` defaults to the configuration's."""
    allowed = tuple(allow_list) if allow_list is not None else DEFAULT_ALLOW_LIST
    entities = []
    if nlp is not None:
        from pipeline.privacy.ner import entities_of

        entities = entities_of(nlp, [text])[0]
    return [PiiSpan(c.start, c.end, c.kind, text[c.start:c.end])
            for c in detect(text, entities, allowed, extra_names)]
