"""Span-level decision of the ``span_tagger``: which candidate use cases become mentions.

The token taggers give each token a probability of lying in a mention; whether a whole stretch of
text is a mention shows better over the stretch: how its probabilities spread (a few confident words
in a long rule span, or an even run), how long it is against its sentence, whether the rules found it
and with what confidence, its part of speech, its status, the sentence scores around it, how many
other candidates its sentence holds (not how long its passage is: that depends on how a text was cut,
and penalised long real paragraphs). The candidates of a kind are

* every rule span of that kind, and
* every run of tokens whose probability reaches ``candidate_threshold`` (within one sentence, gaps of
  up to ``max_gap`` tokens, at least ``min_tokens`` once trimmed like the rule spans, headed by a verb
  or a noun) that no rule span overlaps;

a logistic regression over :data:`SPAN_FEATURES` scores each, and those scoring at least the kind's
``threshold`` are kept (barriers get the candidates but no scorer: see ``span_tagger.py``). It is
trained by ``train_span_tagger`` on candidates drawn from out-of-fold token probabilities, as it
meets them on unseen text.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

import numpy as np
from spacy.attrs import IS_PUNCT, IS_SPACE, SENT_START
from spacy.tokens import Doc, Span

from pipeline.nlp.logistic import ThresholdedLogistic
from pipeline.nlp.sentence_scores import SENTENCE_KINDS
from pipeline.nlp.spans import phrase
from pipeline.nlp.token_features import FeatureLayout
from pipeline.nlp.use_case_filter import STATUSES

ADDED_ROOT_POS = {"VERB", "NOUN", "PROPN"}
SPAN_FEATURES = (
    "prob_mean", "prob_min", "prob_max", "prob_std", "share_prob_0_5", "other_kind_prob_mean", "log_tokens",
    "from_rules", "sentence_score", "sentence_score_other_kind", "passage_max_sentence_score",
    "previous_sentence_score", "next_sentence_score", "root_verb", "root_noun", "first_person_in_sentence",
    "negation_in_sentence", "share_of_sentence", "candidates_in_sentence", "rule_score",
    "has_verb", "has_number", "has_proper_noun", "starts_with_infinitive",
    *(f"status_{status}" for status in STATUSES))


class Candidate(NamedTuple):
    """A stretch of tokens that may become a mention: a rule span (``span``) or a tagger run (``span`` None)."""

    start: int
    end: int
    span: Span | None


def token_runs(doc: Doc, probabilities: np.ndarray, threshold: float, max_gap: int, min_tokens: int) -> list[tuple[int, int]]:
    """(start, end) token ranges where ``probabilities >= threshold``, within one sentence, bridging gaps
    of up to ``max_gap`` tokens, starting on a non-punctuation token and at least ``min_tokens`` long."""
    on = probabilities >= threshold
    if not on.any():
        return []
    sentence = np.cumsum(doc.to_array(SENT_START) == 1)
    blank = doc.to_array([IS_PUNCT, IS_SPACE]).any(axis=1)
    runs, i = [], 0
    while i < len(doc):
        if not on[i] or blank[i]:
            i += 1
            continue
        last, j = i, i + 1
        while j < len(doc) and sentence[j] == sentence[i] and (on[j] or j - last <= max_gap):
            if on[j]:
                last = j
            j += 1
        if last - i + 1 >= min_tokens:
            runs.append((i, last + 1))
        i = last + 1
    return runs


def candidates(doc: Doc, kind: str, probabilities: np.ndarray, candidate_threshold: float, max_gap: int,
               min_tokens: int) -> list[Candidate]:
    """The rule spans of ``kind``, then the runs of ``probabilities`` the rules did not cover."""
    rule_spans = list(doc.spans.get(kind, []))
    found = [Candidate(s.start, s.end, s) for s in rule_spans]
    for start, end in token_runs(doc, probabilities, candidate_threshold, max_gap, min_tokens):
        if any(s.start < end and start < s.end for s in rule_spans):
            continue
        start, end = phrase(doc, start, end)  # no leading filler, no trailing punctuation or preposition
        if end - start >= min_tokens and doc[start:end].root.pos_ in ADDED_ROOT_POS:
            found.append(Candidate(start, end, None))
    return found


def span_features(doc: Doc, found: list[Candidate], own: np.ndarray, other: np.ndarray, own_scores: np.ndarray,
                  other_scores: np.ndarray, first_person: set[str], negation_words: set[str]) -> np.ndarray:
    """One row of :data:`SPAN_FEATURES` per candidate. ``own``/``other``: token probabilities of the
    candidate's kind and of the other kind; ``own_scores``/``other_scores``: their sentence scores."""
    sentences = list(doc.sents)
    starts = [s.start for s in sentences]
    index = [bisect_right(starts, c.start) - 1 for c in found]
    per_sentence = np.bincount(index, minlength=len(sentences)) if found else np.zeros(0)
    rows = []
    for candidate, i in zip(found, index):
        start, end, span = candidate
        probs, tokens, sentence = own[start:end], doc[start:end], sentences[i]
        words = {t.lower_ for t in sentence}
        status = span._.status if span is not None else None
        rows.append([
            probs.mean(), probs.min(), probs.max(), probs.std(), (probs >= 0.5).mean(), other[start:end].mean(),
            np.log(end - start), span is not None, own_scores[i], other_scores[i], own_scores.max(),
            own_scores[i - 1] if i else 0.0, own_scores[i + 1] if i + 1 < len(sentences) else 0.0,
            tokens.root.pos_ == "VERB", tokens.root.pos_ == "NOUN", bool(words & first_person),
            bool(words & negation_words), (end - start) / len(sentence), per_sentence[i],
            (span._.score or 0.0) if span is not None else 0.0, any(t.pos_ == "VERB" for t in tokens),
            any(t.pos_ == "NUM" for t in tokens), any(t.pos_ == "PROPN" for t in tokens),
            tokens[0].pos_ == "VERB" and "Inf" in tokens[0].morph.get("VerbForm"),
            *(status == s for s in STATUSES)])
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(SPAN_FEATURES))


def candidate_features(doc: Doc, kind: str, found: list[Candidate], probabilities: dict[str, np.ndarray],
                       sentence_scores: np.ndarray, layout: FeatureLayout) -> np.ndarray:
    """:func:`span_features` of ``kind``'s candidates, from both kinds' token probabilities and the doc's
    (sentences x ``SENTENCE_KINDS``) scores: what the tagger and its trainer both compute."""
    other = next(k for k in SENTENCE_KINDS if k != kind)
    return span_features(doc, found, probabilities[kind], probabilities[other],
                         sentence_scores[:, SENTENCE_KINDS.index(kind)], sentence_scores[:, SENTENCE_KINDS.index(other)],
                         set(layout.first_person), set(layout.negation_words))


class SpanScorer(ThresholdedLogistic):
    """Standardised logistic regression over :data:`SPAN_FEATURES`, with the score a candidate needs."""

    @classmethod
    def from_dict(cls, data: dict) -> "SpanScorer":
        """Read a kind's span scorer; weights that do not match :data:`SPAN_FEATURES` raise ``ValueError``."""
        names = tuple(data.get("features", ()))
        if names != SPAN_FEATURES:
            raise ValueError(f"span scorer trained on other features ({len(names)} named, {len(SPAN_FEATURES)} expected)")
        return cls(**cls.fields_of(data))

    def to_dict(self) -> dict:
        """Plain-JSON form (read back by :meth:`from_dict`)."""
        return {"features": list(SPAN_FEATURES), **self.weights_dict()}
