"""The ``cas_usage_tagger`` component: a learned token tagger that checks and completes the rule use cases.

The rules know the constructions someone wrote down; the contributions use many more ("le cadastre
solaire mis en ligne par le syndicat a été consulté par 3 000 foyers", "nous prévoyons un inventaire
des biens sans maître"). A logistic regression over :func:`token_features` (context vectors of the
pipeline's ``tok2vec``, syntax, what the rules found) gives each token the probability that it lies
in a use case. Then:

* a rule use case whose tokens average under ``keep_threshold`` is dropped;
* a run of tokens above ``add_threshold`` in one sentence (gaps of up to ``max_gap`` tokens, at least
  ``min_tokens``) that no rule use case overlaps becomes a use case, with the domain and status the
  rule detector gives (``rule = "cas_usage_tagger"``, ``score`` = mean probability).

Weights: ``patterns/cas_usage_tagger.json`` (plain JSON), written by ``python -m
pipeline.nlp.train_use_case_tagger`` from the annotated development and training sets (never from
``data/gold``). Without the file the component changes nothing and warns once.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from pipeline.nlp.lexicon import PATTERNS_DIR
from pipeline.nlp.spans import phrase
from pipeline.nlp.token_features import FeatureLayout, batch_token_features
from pipeline.nlp.use_cases import CasUsageDetector

MODEL_PATH = PATTERNS_DIR / "cas_usage_tagger.json"
RULE_NAME = "cas_usage_tagger"
ADDED_ROOT_POS = {"VERB", "NOUN", "PROPN"}
LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaggerModel:
    """Standardised logistic regression over token features, with its decoding settings."""

    layout: FeatureLayout
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    keep_threshold: float
    add_threshold: float
    max_gap: int
    min_tokens: int

    @classmethod
    def load(cls, path: Path) -> "TaggerModel":
        """Read a model file written by ``train_use_case_tagger`` (plain JSON, no pickle)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        layout = FeatureLayout.from_dict(data["layout"])
        model = cls(layout, np.asarray(data["mean"]), np.asarray(data["scale"]), np.asarray(data["coef"]),
                    float(data["intercept"]), float(data["keep_threshold"]), float(data["add_threshold"]),
                    int(data["max_gap"]), int(data["min_tokens"]))
        if not len(model.mean) == len(model.scale) == len(model.coef) == layout.size:
            raise ValueError(f"{path}: {len(model.coef)} weights for {layout.size} features")
        return model

    def probabilities(self, doc: Doc) -> np.ndarray:
        """Probability, for each token of ``doc``, that it lies inside a use case."""
        return self.batch_probabilities([doc])[0]

    def batch_probabilities(self, docs: list[Doc]) -> list[np.ndarray]:
        """:meth:`probabilities` of several docs at once (the same values, fewer array calls)."""
        x = batch_token_features(docs, self.layout)
        p = 1.0 / (1.0 + np.exp(-(((x - self.mean) / self.scale) @ self.coef + self.intercept)))
        return np.split(p, np.cumsum([len(doc) for doc in docs])[:-1])


def token_runs(doc: Doc, probabilities: np.ndarray, threshold: float, max_gap: int, min_tokens: int) -> list[tuple[int, int]]:
    """(start, end) token ranges where ``probabilities >= threshold``, within one sentence, bridging gaps
    of up to ``max_gap`` tokens, starting on a non-punctuation token and at least ``min_tokens`` long."""
    on = probabilities >= threshold
    sentence = np.empty(len(doc), dtype=np.int64)
    for k, sent in enumerate(doc.sents):
        sentence[sent.start:sent.end] = k
    runs, i = [], 0
    while i < len(doc):
        if not on[i] or doc[i].is_punct or doc[i].is_space:
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


@lru_cache(maxsize=4)
def _cached_model(path: str, mtime: float) -> TaggerModel:
    return TaggerModel.load(Path(path))


class UseCaseTagger:
    """Drop the rule use cases the tagger finds unlikely; add the ones the rules missed."""

    def __init__(self, detector: CasUsageDetector, model_path: str = ""):
        path = Path(model_path) if model_path else MODEL_PATH
        self.detector = detector
        self.model = _cached_model(str(path), path.stat().st_mtime) if path.exists() else None
        if self.model is None:
            LOGGER.warning("cas_usage_tagger: no model file at %s (run `python -m pipeline.nlp.train_use_case_tagger`);"
                           " the rule use cases are kept as they are", path)

    def __call__(self, doc: Doc) -> Doc:
        if self.model is None or len(doc) == 0:
            return doc
        return self._apply(doc, self.model.probabilities(doc))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """What ``nlp.pipe`` calls: the features of each batch of docs are computed together."""
        for batch in minibatch(docs, size=batch_size):
            if self.model is None:
                yield from batch
                continue
            yield from (self._apply(doc, p) if len(doc) else doc
                        for doc, p in zip(batch, self.model.batch_probabilities(batch)))

    def _apply(self, doc: Doc, probabilities: np.ndarray) -> Doc:
        """Keep the likely rule use cases of ``doc`` and add the runs the rules missed."""
        model = self.model
        rule_spans = list(doc.spans.get("cas_usage", []))
        kept: list[Span] = [s for s in rule_spans if probabilities[s.start:s.end].mean() >= model.keep_threshold]
        for start, end in token_runs(doc, probabilities, model.add_threshold, model.max_gap, model.min_tokens):
            if any(s.start < end and start < s.end for s in rule_spans):
                continue
            start, end = phrase(doc, start, end)  # no leading filler, no trailing punctuation or preposition
            if end - start < model.min_tokens or doc[start:end].root.pos_ not in ADDED_ROOT_POS:
                continue  # a fragment without a verb or a noun at its head is not a use
            confidence = float(probabilities[start:end].mean())
            kept.append(self.detector.use_case_span(doc, start, end, doc[start:end].root, RULE_NAME, confidence))
        doc.spans["cas_usage"] = sorted(kept, key=lambda s: s.start)
        return doc


@Language.factory("cas_usage_tagger", default_config={"model_path": ""})
def make_cas_usage_tagger(nlp: Language, name: str, model_path: str) -> UseCaseTagger:
    """spaCy factory of :class:`UseCaseTagger` (``model_path`` empty: the bundled model file); labels and
    statuses come from the pipeline's ``cas_usage_detector`` (a new one when the pipeline has none)."""
    detector = nlp.get_pipe("cas_usage_detector") if "cas_usage_detector" in nlp.pipe_names else CasUsageDetector(nlp)
    return UseCaseTagger(detector, model_path)
