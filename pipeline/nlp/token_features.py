"""Per-token features for the learned ``span_tagger``: context vectors, syntax, rule flags, sentence scores.

The vectors come from the ``tok2vec`` output the pipeline already computes (``doc.tensor``), so the
features cost a few array operations per passage, not another model. Each token gets:

* its contextual vector, the mean vector of its sentence, of its clause (the subtree of the nearest
  verb above it) and of a window of five tokens on each side, and the vector of its syntactic head;
* one-hot part of speech and dependency label, a few morphology flags (conditional, future, past,
  infinitive, participle, negation word);
* what the rule components found: inside a rule barrier / use case / actor, and whether its
  sentence holds one; first person in the sentence, first sentence of the passage, relative position;
* the scores (``sentence_scores.py``: how likely a sentence states a barrier, a use case) of its
  sentence, of the sentences before and after it, and the highest of its passage, when the layout
  names sentence kinds.

The layout (tag lists, words) is stored in the model file, so a model always reads the features it
was trained on.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
from spacy.attrs import DEP, HEAD, LOWER, MORPH, POS, SENT_START
from spacy.strings import get_string_id
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
    sentence_kinds: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready form, stored in the model file."""
        return {"pos_tags": list(self.pos_tags), "dep_labels": list(self.dep_labels),
                "negation_words": list(self.negation_words), "first_person": list(self.first_person),
                "width": self.width, "sentence_kinds": list(self.sentence_kinds)}

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureLayout":
        """Read the layout of a model file."""
        return cls(tuple(data["pos_tags"]), tuple(data["dep_labels"]), tuple(data["negation_words"]),
                   tuple(data["first_person"]), int(data["width"]), tuple(data.get("sentence_kinds", ())))

    @property
    def size(self) -> int:
        """Number of features per token."""
        return (5 * self.width + len(self.pos_tags) + len(self.dep_labels) + 1 + 6 + 2 * len(RULE_KINDS) + 4
                + 4 * len(self.sentence_kinds))


def _range_means(cumulative: np.ndarray, shift: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Mean of the rows ``start:end`` (end exclusive, end > start, both in one doc) for each pair, from
    the per-doc cumulative sums (each doc's block has a leading zero row: a row of doc ``d`` is at
    ``position + d``, which ``shift`` holds)."""
    return (cumulative[ends + shift] - cumulative[starts + shift]) / (ends - starts)[:, None]


def _clause_heads(heads: np.ndarray, is_clause: np.ndarray) -> np.ndarray:
    """Index of the nearest verb at or above each token (the sentence root when there is none)."""
    out = np.arange(len(heads))
    for _ in range(50):  # climb all tokens one step at a time; trees are far shallower than 50
        climbing = ~is_clause[out] & (heads[out] != out)
        if not climbing.any():
            break
        out = np.where(climbing, heads[out], out)
    return out


@lru_cache(maxsize=2048)
def _morph_flags(morph: str) -> tuple[bool, bool, bool, bool, bool]:
    """(conditional, future, past, infinitive, participle) from a morphology string."""
    feats = set(morph.split("|"))
    return ("Mood=Cnd" in feats, "Tense=Fut" in feats, "Tense=Past" in feats, "VerbForm=Inf" in feats,
            "VerbForm=Part" in feats)


def _columns(ids: np.ndarray, column_of: Callable[[int], float]) -> np.ndarray:
    """``column_of`` applied to each id, computed once per distinct id."""
    distinct, inverse = np.unique(ids, return_inverse=True)
    return np.array([column_of(int(i)) for i in distinct])[inverse]


def token_features(doc: Doc, layout: FeatureLayout, sentence_scores: np.ndarray | None = None) -> np.ndarray:
    """A (tokens x ``layout.size``) float32 matrix for ``doc`` (after the rule components); ``sentence_scores``
    (sentences x ``layout.sentence_kinds``) when the layout names sentence kinds."""
    return batch_token_features([doc], layout, None if sentence_scores is None else [sentence_scores])


def batch_token_features(docs: list[Doc], layout: FeatureLayout,
                         sentence_scores: list[np.ndarray] | None = None) -> np.ndarray:
    """The features of several docs, their rows one after the other (doc by doc, token by token);
    ``sentence_scores`` holds one (sentences x kinds) array per doc when the layout names sentence kinds.

    The docs are laid end to end and every step is an array operation over the whole batch: per-doc
    numpy calls on fifty-token passages would cost more than the arithmetic (this runs on every passage)."""
    if layout.sentence_kinds:
        if sentence_scores is None or len(sentence_scores) != len(docs):
            raise ValueError("this layout reads sentence scores: give one array per doc")
        sentence_scores = [scores for doc, scores in zip(docs, sentence_scores) if len(doc)]
    docs = [doc for doc in docs if len(doc)]
    if not docs:
        return np.zeros((0, layout.size), dtype=np.float32)
    lengths = np.array([len(doc) for doc in docs])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    n = int(lengths.sum())
    vectors = np.vstack([doc.tensor if doc.tensor is not None and doc.tensor.shape == (len(doc), layout.width)
                         else np.zeros((len(doc), layout.width), dtype=np.float32) for doc in docs]).astype(np.float64)
    strings = docs[0].vocab.strings
    # symbols and hashes in one call per doc, no Token objects
    table = np.vstack([doc.to_array([POS, DEP, HEAD, LOWER, MORPH, SENT_START]) for doc in docs])
    positions = np.arange(n)
    heads = positions + table[:, 2].astype(np.int64)  # relative offsets: two's complement wraps to negatives
    pos_index = {p: i for i, p in enumerate(layout.pos_tags)}
    pos_col = _columns(table[:, 0], lambda i: pos_index.get(strings[i], -1)).astype(np.int64)
    dep_index = {d: i for i, d in enumerate(layout.dep_labels)}
    dep_col = _columns(table[:, 1], lambda i: dep_index.get(strings[i], len(layout.dep_labels))).astype(np.int64)
    pos = np.zeros((n, len(layout.pos_tags)))
    tagged = pos_col >= 0
    pos[positions[tagged], pos_col[tagged]] = 1.0
    dep = np.zeros((n, len(layout.dep_labels) + 1))  # last column: a label the layout does not list
    dep[positions, dep_col] = 1.0
    negations = {get_string_id(w) for w in layout.negation_words}
    first_words = {get_string_id(w) for w in layout.first_person}
    morph = np.zeros((n, 6))
    distinct_morphs, morph_of_token = np.unique(table[:, 4], return_inverse=True)
    morph[:, :5] = np.array([_morph_flags(strings[int(h)] if h else "") for h in distinct_morphs],
                            dtype=float)[morph_of_token]
    morph[:, 5] = _columns(table[:, 3], lambda i: float(i in negations))
    is_first_person = _columns(table[:, 3], lambda i: float(i in first_words))
    clause_pos = [pos_index[p] for p in CLAUSE_HEAD_POS if p in pos_index]
    is_clause = np.isin(pos_col, clause_pos)
    starts = table[:, 5].astype(np.int64) == 1
    starts[offsets] = True  # every doc starts a sentence
    sentence = np.cumsum(starts) - 1
    first_of = np.flatnonzero(starts)
    sent_start = first_of[sentence]
    sent_end = np.append(first_of[1:], n)[sentence]
    inside = np.zeros((n, len(RULE_KINDS)))
    for offset, doc in zip(offsets, docs):
        for k, kind in enumerate(RULE_KINDS):
            for span in doc.spans.get(kind, []):
                inside[offset + span.start:offset + span.end, k] = 1.0
    in_sentence = np.maximum.reduceat(inside, first_of, axis=0)[sentence]
    first_person = np.maximum.reduceat(is_first_person, first_of)[sentence]
    first_sentence = np.isin(first_of, offsets).astype(float)[sentence]
    clause = _clause_heads(heads, is_clause)
    edges = {}
    for offset, doc in zip(offsets, docs):
        for j in np.unique(clause[offset:offset + len(doc)]).tolist():
            token = doc[j - offset]
            edges[j] = (offset + token.left_edge.i, offset + token.right_edge.i + 1)
    clause_start = np.array([edges[j][0] for j in clause.tolist()], dtype=np.int64)
    clause_end = np.array([edges[j][1] for j in clause.tolist()], dtype=np.int64)
    window_start = np.maximum(sent_start, positions - WINDOW)
    window_end = np.minimum(sent_end, positions + WINDOW + 1)
    relative = np.stack([np.minimum(1.0, (positions - sent_start) / 40.0),
                         np.minimum(1.0, (sent_end - positions) / 40.0)], axis=1)
    # cumulative sums per doc, so that a passage's features never depend on the other passages of its batch
    cumulative = np.vstack([block for offset, length in zip(offsets, lengths) for block in (
        np.zeros((1, layout.width)), np.cumsum(vectors[offset:offset + length], axis=0))])
    shift = np.repeat(np.arange(len(docs)), lengths)
    features = np.hstack([
        vectors, _range_means(cumulative, shift, sent_start, sent_end),
        _range_means(cumulative, shift, clause_start, clause_end),
        _range_means(cumulative, shift, window_start, window_end), vectors[heads], pos, dep, morph, inside,
        in_sentence, first_person[:, None], first_sentence[:, None], relative])
    if layout.sentence_kinds:
        features = np.hstack([features, _sentence_context(np.vstack(sentence_scores), first_of, offsets)[sentence]])
    return features.astype(np.float32)


def _sentence_context(scores: np.ndarray, first_of: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per sentence: its scores, those of the sentence before and after it in its doc (0 at the edges)
    and the highest of its doc (``first_of``: first token of each sentence; ``offsets``: of each doc)."""
    if len(scores) != len(first_of):
        raise ValueError(f"{len(scores)} sentence scores for {len(first_of)} sentences")
    opens_doc = np.isin(first_of, offsets)
    before, after = np.zeros_like(scores), np.zeros_like(scores)
    before[1:] = np.where(opens_doc[1:, None], 0.0, scores[:-1])
    after[:-1] = np.where(opens_doc[1:, None], 0.0, scores[1:])
    doc_of = np.cumsum(opens_doc) - 1
    highest = np.maximum.reduceat(scores, np.flatnonzero(opens_doc), axis=0)[doc_of]
    return np.hstack([scores, before, after, highest])
