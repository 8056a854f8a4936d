"""Data files of the NLP stage (YAML next to the code) and lexicon-based category scoring."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

PATTERNS_DIR = Path(__file__).resolve().parent / "patterns"


@lru_cache(maxsize=None)
def load_patterns(name: str) -> dict:
    """Parsed content of ``patterns/<name>.yaml`` (cached)."""
    path = PATTERNS_DIR / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


_WORD = re.compile(r"\w+")


def _term_regex(term: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)")


@dataclass(frozen=True)
class CategoryLexicon:
    """Weighted terms per category; the best-scoring category labels a span."""

    # (category, ((term, its whole-word regex, weight), ...)); the plain term is a cheap pre-check
    categories: tuple[tuple[str, tuple[tuple[str, re.Pattern, float], ...]], ...]
    fallback: str = "autre"

    @property
    def _by_first_word(self) -> dict[str, list[tuple[int, frozenset, re.Pattern, float]]]:
        """(category index, words, regex, weight) of every term, under the first word of the term."""
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            for k, (_, terms) in enumerate(self.categories):
                for term, regex, weight in terms:
                    words = _WORD.findall(term)
                    index.setdefault(words[0] if words else "", []).append((k, frozenset(words), regex, weight))
            object.__setattr__(self, "_index", index)
        return index

    @classmethod
    def from_mapping(cls, mapping: dict, fallback: str = "autre") -> "CategoryLexicon":
        """Build from ``{category: {strong: [...], terms: [...]}}`` (strong weighs 3, terms 1)."""
        cats = []
        for category, spec in mapping.items():
            weighted = [(t.lower(), _term_regex(t), 3.0) for t in spec.get("strong", [])]
            weighted += [(t.lower(), _term_regex(t), 1.0) for t in spec.get("terms", [])]
            cats.append((category, tuple(weighted)))
        return cls(tuple(cats), fallback)

    def scores(self, weighted_texts: Iterable[tuple[str, float]]) -> dict[str, float]:
        """Score of every category over texts given with a weight (each term counted once per text)."""
        totals = [0.0] * len(self.categories)
        index = self._by_first_word
        for text, text_weight in weighted_texts:
            if not text:
                continue
            text = text.lower()
            words = set(_WORD.findall(text))
            # a whole-word match of a term needs each of its words among the text's words: only the
            # terms filed under a word of the text can match (a few, not the hundreds of the lexicon)
            for word in words | {""}:
                for k, term_words, regex, weight in index.get(word, ()):
                    if term_words <= words and regex.search(text):
                        totals[k] += weight * text_weight
        return {category: total for (category, _), total in zip(self.categories, totals) if total}

    def best(self, weighted_texts: Iterable[tuple[str, float]], default: str | None = None) -> tuple[str, float]:
        """(category, share of the total score); ``default`` (or the fallback) when nothing matches."""
        scores = self.scores(weighted_texts)
        if not scores:
            return (default or self.fallback), 0.0
        # ties go to the category listed first in the YAML file (dict order)
        category = max(scores, key=lambda c: scores[c])
        return category, scores[category] / sum(scores.values())


def lemma_text(tokens: Iterable) -> str:
    """Lower-cased lemmas of tokens joined by spaces (for lexicon look-ups)."""
    return " ".join(t.lemma_.lower() for t in tokens)
