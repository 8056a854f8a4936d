"""Per-token features for the learned ``cas_usage_tagger``: context vectors, syntax and rule flags.

The vectors come from the ``tok2vec`` output the pipeline already computes (``doc.tensor``), so the
features cost a few array operations per passage, not another model. Each token gets:

* its contextual vector, the mean vector of its sentence, of its clause (the subtree of the nearest
  verb above it) and of a window of five tokens on each side, and the vector of its syntactic head;
* one-hot part of speech and dependency label, a few morphology flags (conditional, future, past,
  infinitive, participle, negation word);
* what the rule components found: inside a rule barrier / use case / actor, and whether its
  sentence holds one; first person in the sentence, first sentence of the passage, relative position.

The layout (tag lists, words) is stored in the model file, so a model always reads the features it
was trained on.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from spacy.tokens import Doc

RULE_KINDS = ("frein", "cas_usage", "acteur")
WINDOW = 5
CLAUSE_HEAD_POS = ("VERB", "AUX")


@dataclass(frozen=True)
class FeatureLayout:
    """The categorical vocabularies and word lists the features are built from."""

    pos_tags: tuple[str, ...]
    dep_labels: tuple[str, ...]
    negation_words: tuple[str, ...]
    first_person: tuple[str, ...]
    width: int

    def to_dict(self) -> dict:
        """JSON-ready form, stored in the model file."""
        return {"pos_tags": list(self.pos_tags), "dep_labels": list(self.dep_labels),
                "negation_words": list(self.negation_words), "first_person": list(self.first_person),
                "width": self.width}

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureLayout":
        """Read the layout of a model file."""
        return cls(tuple(data["pos_tags"]), tuple(data["dep_labels"]), tuple(data["negation_words"]),
                   tuple(data["first_person"]), int(data["width"]))

    @property
    def size(self) -> int:
        """Number of features per token."""
        return 5 * self.width + len(self.pos_tags) + len(self.dep_labels) + 1 + 6 + 2 * len(RULE_KINDS) + 4


def _range_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Mean of ``values[start:end]`` for each (start, end) pair (end exclusive, end > start)."""
    cumulative = np.vstack([np.zeros((1, values.shape[1]), dtype=np.float64), np.cumsum(values, axis=0)])
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)[:, None]


def _clause_heads(heads: np.ndarray, is_clause: np.ndarray) -> np.ndarray:
    """Index of the nearest verb at or above each token (the sentence root when there is none)."""
    out = np.empty(len(heads), dtype=np.int64)
    for i in range(len(heads)):
        j, steps = i, 0
        while not is_clause[j] and heads[j] != j and steps < 50:
            j, steps = heads[j], steps + 1
        out[i] = j
    return out


@lru_cache(maxsize=512)
def _morph_flags(morph: str) -> tuple[bool, bool, bool, bool, bool]:
    """(conditional, future, past, infinitive, participle) from a morphology string."""
    feats = set(morph.split("|"))
    return ("Mood=Cnd" in feats, "Tense=Fut" in feats, "Tense=Past" in feats, "VerbForm=Inf" in feats,
            "VerbForm=Part" in feats)


def token_features(doc: Doc, layout: FeatureLayout) -> np.ndarray:
    """A (tokens x ``layout.size``) float32 matrix for ``doc`` (after the rule components)."""
    n = len(doc)
    if n == 0:
        return np.zeros((0, layout.size), dtype=np.float32)
    tensor = doc.tensor if doc.tensor is not None and doc.tensor.shape == (n, layout.width) else None
    vectors = np.zeros((n, layout.width), dtype=np.float64) if tensor is None else np.asarray(tensor, dtype=np.float64)
    pos_index = {p: i for i, p in enumerate(layout.pos_tags)}
    dep_index = {d: i for i, d in enumerate(layout.dep_labels)}
    negations, first_words = set(layout.negation_words), set(layout.first_person)
    heads = np.empty(n, dtype=np.int64)
    is_clause = np.zeros(n, dtype=bool)
    pos = np.zeros((n, len(layout.pos_tags)))
    dep = np.zeros((n, len(layout.dep_labels) + 1))  # last column: a label the layout does not list
    morph = np.zeros((n, 6))
    is_first_person = np.zeros(n, dtype=bool)
    for t in doc:  # one pass: each token object is built once
        i, tag, lower = t.i, t.pos_, t.lower_
        heads[i] = t.head.i
        is_clause[i] = tag in CLAUSE_HEAD_POS
        if tag in pos_index:
            pos[i, pos_index[tag]] = 1.0
        dep[i, dep_index.get(t.dep_, len(layout.dep_labels))] = 1.0
        morph[i, :5] = _morph_flags(str(t.morph))
        morph[i, 5] = lower in negations
        is_first_person[i] = lower in first_words
    sent_start = np.empty(n, dtype=np.int64)
    sent_end = np.empty(n, dtype=np.int64)
    first_sentence = np.zeros(n)
    first_person = np.zeros(n)
    inside = np.zeros((n, len(RULE_KINDS)))
    for k, kind in enumerate(RULE_KINDS):
        for span in doc.spans.get(kind, []):
            inside[span.start:span.end, k] = 1.0
    in_sentence = np.zeros_like(inside)
    for k, sent in enumerate(doc.sents):
        a, b = sent.start, sent.end
        sent_start[a:b], sent_end[a:b] = a, b
        first_sentence[a:b] = float(k == 0)
        first_person[a:b] = float(is_first_person[a:b].any())
        in_sentence[a:b] = inside[a:b].max(axis=0)
    positions = np.arange(n)
    clause = _clause_heads(heads, is_clause)
    edges = {j: (doc[j].left_edge.i, doc[j].right_edge.i + 1) for j in set(clause.tolist())}
    clause_start = np.array([edges[j][0] for j in clause], dtype=np.int64)
    clause_end = np.array([edges[j][1] for j in clause], dtype=np.int64)
    window_start = np.maximum(sent_start, positions - WINDOW)
    window_end = np.minimum(sent_end, positions + WINDOW + 1)
    relative = np.stack([np.minimum(1.0, (positions - sent_start) / 40.0),
                         np.minimum(1.0, (sent_end - positions) / 40.0)], axis=1)
    features = np.hstack([
        vectors, _range_means(vectors, sent_start, sent_end), _range_means(vectors, clause_start, clause_end),
        _range_means(vectors, window_start, window_end), vectors[heads], pos, dep, morph, inside, in_sentence,
        first_person[:, None], first_sentence[:, None], relative])
    return features.astype(np.float32)
