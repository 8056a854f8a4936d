"""Sentence scores: how likely each sentence is to state a barrier, or to describe a use case.

A token tagger sees a few words around each token; whether a sentence is about an obstacle ("les
données naturalistes arrivent dans des formats très différents") shows in its words as a whole. A
logistic regression per kind over

* the TF-IDF of the sentence's lemma unigrams and bigrams (sublinear counts, L2-normalised),
* the mean static word vector of the sentence (``fr_core_news_md``'s vectors, standardised), and
* whether the rule detectors found a barrier or a use case in it,

gives each sentence a probability per kind. Both run on what the parse already holds (lemmas and
vectors): no other model. The span tagger (``span_tagger.py``) reads these probabilities as two more
features of every token of the sentence. TF-IDF is computed here, not by scikit-learn, so training
and the pipeline read exactly the same numbers; the model is plain JSON inside the tagger's file.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from spacy.attrs import ORTH
from spacy.tokens import Doc, Span

SENTENCE_KINDS = ("frein", "cas_usage")


def sentence_terms(sent: Span) -> list[str]:
    """Lower-cased lemmas of the sentence's words (no punctuation, space or number), then their bigrams."""
    lemmas = [t.lemma_.lower() for t in sent if not (t.is_punct or t.is_space or t.like_num)]
    return lemmas + [f"{a} {b}" for a, b in zip(lemmas, lemmas[1:])]


def _cumulative_vectors(docs: list[Doc]) -> np.ndarray:
    """Cumulative sums of the static vectors of the tokens of ``docs`` laid end to end, with a leading zero row."""
    table = docs[0].vocab.vectors
    rows = table.find(keys=np.concatenate([doc.to_array(ORTH) for doc in docs]))
    vectors = np.where(rows[:, None] >= 0, table.data[np.maximum(rows, 0)], 0.0).astype(np.float64)
    return np.vstack([np.zeros((1, table.shape[1])), np.cumsum(vectors, axis=0)])


@dataclass
class SentenceRows:
    """What the sentence model reads of a list of sentences: terms, mean vectors, rule flags."""

    terms: list[list[str]]
    vectors: np.ndarray
    rule_flags: np.ndarray

    @classmethod
    def of_docs(cls, docs: list[Doc]) -> "SentenceRows":
        """The rows of every sentence of ``docs``, doc after doc, in sentence order."""
        terms, vectors, flags = [], [], []
        cumulative = _cumulative_vectors(docs) if docs else None
        offset = 0
        for doc in docs:
            spans = {kind: [(s.start, s.end) for s in doc.spans.get(kind, [])] for kind in SENTENCE_KINDS}
            for sent in doc.sents:
                terms.append(sentence_terms(sent))
                # what ``sent.vector`` gives (unknown words count as zero vectors), without a call per token
                vectors.append((cumulative[offset + sent.end] - cumulative[offset + sent.start]) / len(sent))
                flags.append([float(any(a < sent.end and sent.start < b for a, b in spans[kind]))
                              for kind in SENTENCE_KINDS])
            offset += len(doc)
        width = docs[0].vocab.vectors_length if docs else 0
        return cls(terms, np.asarray(vectors, dtype=np.float64).reshape(len(terms), width),
                   np.asarray(flags, dtype=np.float64).reshape(len(terms), len(SENTENCE_KINDS)))

    def __len__(self) -> int:
        return len(self.terms)

    def subset(self, rows: np.ndarray) -> "SentenceRows":
        """The rows at the given indices."""
        return SentenceRows([self.terms[i] for i in rows], self.vectors[rows], self.rule_flags[rows])


@dataclass
class SentenceModel:
    """Vocabulary, IDF, vector standardisation and one logistic regression per kind."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    vector_mean: np.ndarray
    vector_scale: np.ndarray
    vector_weight: float
    coef: np.ndarray  # kinds x (terms + vector width + rule flags)
    intercept: np.ndarray
    kinds: tuple[str, ...] = SENTENCE_KINDS

    @classmethod
    def vocabulary_of(cls, rows: SentenceRows, min_df: int, vector_weight: float) -> "SentenceModel":
        """A model with the vocabulary (terms in at least ``min_df`` sentences, smoothed IDF as
        scikit-learn computes it) and vector standardisation of ``rows``; weights still zero."""
        df = Counter(term for terms in rows.terms for term in set(terms))
        vocabulary = {term: i for i, term in enumerate(sorted(t for t, n in df.items() if n >= min_df))}
        idf = np.array([math.log((1 + len(rows)) / (1 + df[t])) + 1.0 for t in vocabulary])
        scale = rows.vectors.std(axis=0)
        scale[scale == 0] = 1.0
        width = len(vocabulary) + rows.vectors.shape[1] + len(SENTENCE_KINDS)
        return cls(vocabulary, idf, rows.vectors.mean(axis=0), scale, vector_weight,
                   np.zeros((len(SENTENCE_KINDS), width)), np.zeros(len(SENTENCE_KINDS)))

    def design(self, rows: SentenceRows) -> sparse.csr_matrix:
        """The feature matrix of ``rows``: TF-IDF block, weighted standardised vectors, rule flags."""
        data, indices, indptr = [], [], [0]
        for terms in rows.terms:
            counts = Counter(self.vocabulary[t] for t in terms if t in self.vocabulary)
            columns = sorted(counts)
            weights = np.array([(1.0 + math.log(counts[c])) * self.idf[c] for c in columns])
            norm = float(np.sqrt((weights ** 2).sum())) if len(weights) else 0.0
            data.extend((weights / norm).tolist() if norm else [])
            indices.extend(columns if norm else [])
            indptr.append(len(indices))
        tfidf = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), len(self.vocabulary)))
        dense = ((rows.vectors - self.vector_mean) / self.vector_scale
                 * self.vector_weight / math.sqrt(max(1, rows.vectors.shape[1])))
        return sparse.hstack([tfidf, sparse.csr_matrix(dense), sparse.csr_matrix(rows.rule_flags)]).tocsr()

    def probabilities(self, rows: SentenceRows) -> np.ndarray:
        """(sentences x kinds) probabilities."""
        if not len(rows):
            return np.zeros((0, len(self.kinds)))
        return 1.0 / (1.0 + np.exp(-(self.design(rows) @ self.coef.T + self.intercept)))

    def to_dict(self) -> dict:
        """JSON-ready form (terms in column order)."""
        return {"kinds": list(self.kinds), "terms": sorted(self.vocabulary, key=self.vocabulary.get),
                "idf": [round(float(v), 6) for v in self.idf],
                "vector_mean": [round(float(v), 6) for v in self.vector_mean],
                "vector_scale": [round(float(v), 6) for v in self.vector_scale],
                "vector_weight": self.vector_weight, "coef": [[round(float(v), 6) for v in row] for row in self.coef],
                "intercept": [round(float(v), 6) for v in self.intercept]}

    @classmethod
    def from_dict(cls, data: dict) -> "SentenceModel":
        """Read the form :meth:`to_dict` writes; sizes that do not match raise ``ValueError``."""
        terms = data["terms"]
        width = len(terms) + len(data["vector_mean"]) + len(SENTENCE_KINDS)
        if any(len(row) != width for row in data["coef"]) or len(data["idf"]) != len(terms):
            raise ValueError(f"sentence model: weights of the wrong size for {width} features")
        model = cls({t: i for i, t in enumerate(terms)}, np.asarray(data["idf"]), np.asarray(data["vector_mean"]),
                    np.asarray(data["vector_scale"]), float(data["vector_weight"]), np.asarray(data["coef"]),
                    np.asarray(data["intercept"]), tuple(data["kinds"]))
        if model.coef.shape != (len(model.kinds), width) or len(model.intercept) != len(model.kinds):
            raise ValueError(f"sentence model: weights of shape {model.coef.shape} for {width} features")
        return model


def doc_sentence_scores(model: SentenceModel, docs: list[Doc]) -> list[np.ndarray]:
    """For each doc, its (sentences x kinds) probabilities."""
    probabilities = model.probabilities(SentenceRows.of_docs(docs))
    counts = [sum(1 for _ in doc.sents) for doc in docs]
    return np.split(probabilities, np.cumsum(counts)[:-1]) if docs else []
