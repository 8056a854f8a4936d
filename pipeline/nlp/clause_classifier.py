"""The ``clause_classifier`` component: a learned check of the rule detectors' barriers and use cases.

Two logistic regressions (trained by ``python -m pipeline.nlp.train_clauses``, weights in
``patterns/clause_model.json``) give each clause candidate a probability of being a ``frein`` and of
being a ``cas_usage``. The component drops rule spans whose probability is below ``drop_below`` and
adds sentence clauses the rules missed when it is at least ``add_above``. Without the model file it
does nothing (and logs a warning once).
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.nlp.clauses import TARGET_KINDS, ClauseCandidate, FeatureSpace, candidates
from pipeline.nlp.lexicon import CategoryLexicon, PATTERNS_DIR, lemma_text, load_patterns
from pipeline.nlp.spans import make_span, register_extensions
from pipeline.nlp.use_cases import CasUsageDetector

MODEL_PATH = PATTERNS_DIR / "clause_model.json"
LOGGER = logging.getLogger(__name__)


class ClauseModel:
    """Weights and thresholds of the two per-kind logistic regressions (plain JSON, no pickle)."""

    def __init__(self, data: dict):
        self.features = FeatureSpace(data["rule_names"], bool(data.get("rule_features", True)))
        self.width = int(data["vector_width"])
        self.kinds = {kind: {"coef": np.asarray(m["coef"], dtype=np.float32), "intercept": float(m["intercept"]),
                             "drop_below": float(m["drop_below"]), "add_above": float(m["add_above"])}
                      for kind, m in data["kinds"].items()}

    @classmethod
    def load(cls, path: Path) -> "ClauseModel":
        """Read a model file written by ``train_clauses``."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def probabilities(self, doc: Doc, cands: list[ClauseCandidate]) -> dict[str, np.ndarray]:
        """Probability of each candidate for each kind."""
        if not cands:
            return {kind: np.zeros(0) for kind in self.kinds}
        matrix = self.features.matrix(doc, cands)
        return {kind: 1.0 / (1.0 + np.exp(-(matrix @ m["coef"] + m["intercept"]))) for kind, m in self.kinds.items()}


def decide(cands: list[ClauseCandidate], probs: np.ndarray, kind: str, drop_below: float,
           add_above: float) -> tuple[list[int], list[int]]:
    """(indices of the rule spans of ``kind`` kept, indices of the clauses added): added clauses
    are taken by decreasing probability and overlap neither a kept span nor one another."""
    kept = [i for i, c in enumerate(cands) if c.rule_kind == kind and probs[i] >= drop_below]
    taken = {t for i in kept for t in range(cands[i].start, cands[i].end)}
    added = []
    for i in sorted(range(len(cands)), key=lambda j: -probs[j]):
        c = cands[i]
        if c.rule_kind is not None or probs[i] < add_above:
            continue
        tokens = set(range(c.start, c.end))
        if tokens & taken:
            continue
        added.append(i)
        taken |= tokens
    return kept, added


def trim_clause(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Drop the leading punctuation and coordination ("mais", "et") and the trailing punctuation
    of a clause; determiners and prepositions stay (the guide keeps "Faute de", "le remplacement")."""
    while start < end - 1 and (doc[start].is_punct or doc[start].pos_ == "CCONJ"):
        start += 1
    while end > start + 1 and doc[end - 1].is_punct:
        end -= 1
    return start, end


@lru_cache(maxsize=4)
def _cached_model(path: str, mtime: float) -> ClauseModel:
    return ClauseModel.load(Path(path))


class ClauseClassifier:
    """Drop unlikely rule spans and add likely missed clauses, per kind."""

    def __init__(self, nlp: Language, model_path: str = ""):
        register_extensions()
        path = Path(model_path) if model_path else MODEL_PATH
        self.model = _cached_model(str(path), path.stat().st_mtime) if path.exists() else None
        if self.model is None:
            LOGGER.warning("clause_classifier: no model file at %s (run `python -m pipeline.nlp.train_clauses`); "
                           "the component leaves the rule spans unchanged", path)
        self.lexicons = {"frein": CategoryLexicon.from_mapping(load_patterns("freins")["categories"]),
                         "cas_usage": CategoryLexicon.from_mapping(load_patterns("cas_usage")["domains"])}
        self.status_of = CasUsageDetector(nlp)  # its status walk (future, negation) for added use cases

    def _new_span(self, doc: Doc, cand: ClauseCandidate, kind: str, prob: float):
        start, end = trim_clause(doc, cand.start, cand.end)
        tokens = doc[start:end]
        label, _ = self.lexicons[kind].best([(lemma_text(tokens), 1.0), (tokens.text, 0.5)])
        attrs = {"rule": "clause_classifier", "score": round(float(prob), 3)}
        if kind == "cas_usage":
            attrs["status"] = self.status_of.status(tokens.root)
        return make_span(doc, start, end, kind, label, **attrs)

    def __call__(self, doc: Doc) -> Doc:
        if self.model is None:
            return doc
        cands = candidates(doc)
        probs = self.model.probabilities(doc, cands)
        for kind in TARGET_KINDS:
            if kind not in probs:
                continue
            m = self.model.kinds[kind]
            kept, added = decide(cands, probs[kind], kind, m["drop_below"], m["add_above"])
            spans = [cands[i].rule_span for i in kept]
            spans += [self._new_span(doc, cands[i], kind, probs[kind][i]) for i in added]
            doc.spans[kind] = sorted(spans, key=lambda s: s.start)
        return doc


@Language.factory("clause_classifier", default_config={"model_path": ""})
def make_clause_classifier(nlp: Language, name: str, model_path: str) -> ClauseClassifier:
    """spaCy factory of :class:`ClauseClassifier` (``model_path`` empty: the bundled model file)."""
    return ClauseClassifier(nlp, model_path)
