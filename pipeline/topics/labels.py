"""Choosing the terms of a topic's label: distinctive, specific n-grams before generic words.

A topic's words (KeyBERTInspired + MMR) are close to its documents but often start with words
every topic of this corpus shares ("commune", "collectivité"). The label instead ranks candidate
terms by c-TF-IDF distinctiveness (frequent in the topic, rare elsewhere), favours 2–3-grams and
puts the generic words of ``weak_label_words_fr.txt`` last.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

WEAK_WORDS_FILE = Path(__file__).with_name("weak_label_words_fr.txt")
NGRAM_BONUS = 0.5  # score multiplier per extra word of an n-gram
WEAK_PENALTY = 0.2  # score multiplier of a term made only of weak words


@lru_cache(maxsize=1)
def weak_label_words() -> frozenset[str]:
    """Lemmas that carry meaning but are too common in this corpus to make a label alone."""
    return frozenset(line.strip().lower() for line in WEAK_WORDS_FILE.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


def candidate_scores(lemma_docs: Sequence[str], keys: Sequence[str], candidates: Mapping[str, Sequence[str]]
                     ) -> dict[str, dict[str, float]]:
    """Distinctiveness of each candidate term in its topic: coverage x concentration.

    Coverage is the share of the topic's documents containing the term, concentration the share of
    all documents containing it that belong to the topic. Counting documents, not occurrences,
    keeps a term repeated in one long text from labelling the whole topic. A term found in a
    single document of a topic of four or more scores 0.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    vocab = sorted({t for terms in candidates.values() for t in terms if t})
    if not vocab:
        return {k: {} for k in candidates}
    present = CountVectorizer(vocabulary=vocab, token_pattern=r"\S+", lowercase=False, ngram_range=(1, 3),
                              binary=True).transform(list(lemma_docs)).tocsc()
    keys = np.asarray([str(k) for k in keys], dtype=object)
    total = np.asarray(present.sum(axis=0)).ravel()
    column = {t: j for j, t in enumerate(vocab)}
    out = {}
    for key, terms in candidates.items():
        rows = np.flatnonzero(keys == key)
        in_topic = np.asarray(present[rows].sum(axis=0)).ravel() if len(rows) else np.zeros(len(vocab))
        scores = {}
        for term in terms:
            if not term:
                continue
            j = column[term]
            if in_topic[j] == 0 or (len(rows) >= 4 and in_topic[j] < 2):
                scores[term] = 0.0
            else:
                scores[term] = float(in_topic[j] / len(rows) * in_topic[j] / total[j])
        out[key] = scores
    return out


def rank_label_terms(lemma_docs: Sequence[str], keys: Sequence[str], candidates: Mapping[str, Sequence[str]]
                     ) -> dict[str, list[str]]:
    """Each topic's candidate terms, best label terms first (see the module docstring).

    Terms absent from the topic's documents are dropped; ties keep the candidates' order.
    """
    weak = weak_label_words()
    scores = candidate_scores(lemma_docs, keys, candidates)
    ranked = {}
    for key, terms in candidates.items():
        weighted = []
        for order, term in enumerate(dict.fromkeys(t for t in terms if t)):
            base = scores[key].get(term, 0.0)
            if base <= 0:
                continue
            tokens = term.split()
            base *= 1 + NGRAM_BONUS * (len(tokens) - 1)
            if set(tokens) <= weak:
                base *= WEAK_PENALTY
            weighted.append((-base, order, term))
        ranked[key] = [term for _, _, term in sorted(weighted)]
    return ranked
