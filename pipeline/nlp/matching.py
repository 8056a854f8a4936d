"""Pattern matchers that only run the patterns a passage can match.

spaCy's ``Matcher`` evaluates every ``IN`` list of every pattern on every token (a Python call each),
so with ~70 patterns the matchers cost more than the parser. Most patterns require a given word
("manquer", "ne", "coût"…): a pattern none of whose required words occurs in the passage cannot
match, and is skipped. The other patterns run in their own matcher, in file order, so the matches
are the ones the combined matcher would return.
"""
from __future__ import annotations

import re

from spacy.matcher import DependencyMatcher, Matcher
from spacy.tokens import Doc

# Matcher attributes compared by equality, and the Token attribute that holds the same string.
WORD_ATTRIBUTES = {"LEMMA": "lemma_", "LOWER": "lower_", "ORTH": "orth_", "TEXT": "orth_"}
_MIN_REPEAT = re.compile(r"^\{(\d*)")


def _is_required(op: str | None) -> bool:
    """True when a token pattern with this ``OP`` must match at least one token."""
    if op in (None, "1", "+"):
        return True
    if op.startswith("{"):
        minimum = _MIN_REPEAT.match(op).group(1)
        return bool(minimum) and int(minimum) > 0
    return False  # "?", "*", "!"


def word_constraints(token_patterns: list[dict]) -> tuple[tuple[str, frozenset], ...]:
    """(Token attribute, allowed strings) that some token of a matching passage must satisfy, one per
    required pattern token constrained by an equality or an ``IN`` list on a word attribute."""
    found = []
    for attrs in token_patterns:
        if not _is_required(attrs.get("OP")):
            continue
        for name, value in attrs.items():
            attribute = WORD_ATTRIBUTES.get(name)
            if attribute is None:
                continue
            if isinstance(value, str):
                found.append((attribute, frozenset([value])))
            elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                found.append((attribute, frozenset(value["IN"])))
    return tuple(found)


def _possible(constraints, words: dict[str, set]) -> bool:
    return all(not words[attribute].isdisjoint(allowed) for attribute, allowed in constraints)


def _doc_words(doc: Doc) -> dict[str, set]:
    return {attribute: {getattr(token, attribute) for token in doc} for attribute in set(WORD_ATTRIBUTES.values())}


class _GatedPatterns:
    """One spaCy matcher per pattern, with the words each pattern requires."""

    matcher_class: type

    def __init__(self, vocab):
        self.vocab = vocab
        self.patterns: list[tuple[object, tuple]] = []

    def _add(self, key: str, pattern: list[dict], token_patterns: list[dict]) -> None:
        matcher = self.matcher_class(self.vocab)
        matcher.add(key, [pattern])
        self.patterns.append((matcher, word_constraints(token_patterns)))

    def __len__(self) -> int:
        return len(self.patterns)

    def _active(self, doc: Doc):
        """(position in the file, matcher) of the patterns whose required words ``doc`` holds."""
        words = _doc_words(doc)
        return [(order, matcher) for order, (matcher, constraints) in enumerate(self.patterns)
                if _possible(constraints, words)]


class GatedDependencyMatcher(_GatedPatterns):
    """A ``DependencyMatcher`` per pattern, called only when the passage holds its required words."""

    matcher_class = DependencyMatcher

    def add(self, key: str, pattern: list[dict]) -> None:
        """Add one dependency pattern under ``key`` (spaCy's node syntax)."""
        self._add(key, pattern, [node["RIGHT_ATTRS"] for node in pattern])

    def __call__(self, doc: Doc) -> list[tuple[int, list[int]]]:
        """``(match_id, token indices)`` in pattern order, as ``DependencyMatcher`` returns them."""
        return [match for _, matcher in self._active(doc) for match in matcher(doc)]


class GatedMatcher(_GatedPatterns):
    """A token ``Matcher`` per pattern, called only when the passage holds its required words."""

    matcher_class = Matcher

    def add(self, key: str, pattern: list[dict]) -> None:
        """Add one token pattern under ``key``."""
        self._add(key, pattern, pattern)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        """``(match_id, start, end)`` sorted by position, then pattern order."""
        found = sorted((start, end, order, key) for order, matcher in self._active(doc)
                       for key, start, end in matcher(doc))
        return [(key, start, end) for start, end, _, key in found]
