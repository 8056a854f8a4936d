"""The ``span_tagger`` component: learned token taggers that check and complete the rule barriers and use cases.

The rules know the constructions someone wrote down; the contributions use many more ("le cadastre
solaire mis en ligne par le syndicat a été consulté par 3 000 foyers", "les données naturalistes
arrivent dans des formats très différents"). For each kind (``frein``, ``cas_usage``) a logistic
regression over :func:`token_features` (context vectors of the pipeline's ``tok2vec``, syntax, what
the rules found, and the scores of the token's sentence from ``sentence_scores.py``) gives each token
the probability that it lies in a mention of that kind. Then, per kind:

* a rule span whose tokens average under ``keep_threshold`` is dropped;
* a run of tokens above ``add_threshold`` in one sentence (gaps of up to ``max_gap`` tokens, at least
  ``min_tokens``) that no rule span overlaps becomes a mention once trimmed like the rule spans and
  headed by a verb or a noun, labelled by the rule detector of its kind (``rule = "frein_tagger"`` or
  ``"cas_usage_tagger"``, ``score`` from the mean probability).

The features are computed once per batch of docs, before either kind changes its spans. Weights:
``patterns/span_tagger.json`` (plain JSON), written by ``python -m pipeline.nlp.train_span_tagger``
from the annotated development and training sets (never from ``data/gold``). Without the file the
component changes nothing and warns once.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from spacy.attrs import IS_PUNCT, IS_SPACE, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from pipeline.nlp.barriers import FreinDetector
from pipeline.nlp.lexicon import PATTERNS_DIR
from pipeline.nlp.sentence_scores import SentenceModel, doc_sentence_scores
from pipeline.nlp.spans import phrase
from pipeline.nlp.token_features import FeatureLayout, batch_token_features
from pipeline.nlp.use_cases import CasUsageDetector

MODEL_PATH = PATTERNS_DIR / "span_tagger.json"
TAGGED_KINDS = ("frein", "cas_usage")
RULE_NAMES = {"frein": "frein_tagger", "cas_usage": "cas_usage_tagger"}
ADDED_ROOT_POS = {"VERB", "NOUN", "PROPN"}
LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaggerModel:
    """Standardised logistic regression over token features, with its decoding settings."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    keep_threshold: float
    add_threshold: float
    max_gap: int
    min_tokens: int

    @classmethod
    def from_dict(cls, data: dict, size: int) -> "TaggerModel":
        """Read one kind's entry of the model file; weights that do not match ``size`` features raise ``ValueError``."""
        model = cls(np.asarray(data["mean"]), np.asarray(data["scale"]), np.asarray(data["coef"]),
                    float(data["intercept"]), float(data["keep_threshold"]), float(data["add_threshold"]),
                    int(data["max_gap"]), int(data["min_tokens"]))
        if not len(model.mean) == len(model.scale) == len(model.coef) == size:
            raise ValueError(f"{len(model.coef)} weights for {size} features")
        return model

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Probability, for each row of ``features``, that the token lies inside a mention."""
        # the standardisation folded into the weights: one product, no standardised copy of the features
        weights = self.coef / self.scale
        return 1.0 / (1.0 + np.exp(-(features @ weights + (self.intercept - self.mean @ weights))))


@dataclass(frozen=True)
class SpanTaggerModels:
    """The model file: feature layout, sentence model and one tagger per kind."""

    layout: FeatureLayout
    sentences: SentenceModel
    taggers: dict[str, TaggerModel]

    @classmethod
    def load(cls, path: Path) -> "SpanTaggerModels":
        """Read a model file written by ``train_span_tagger`` (plain JSON, no pickle)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        layout = FeatureLayout.from_dict(data["layout"])
        try:
            taggers = {kind: TaggerModel.from_dict(data["taggers"][kind], layout.size) for kind in TAGGED_KINDS}
            sentences = SentenceModel.from_dict(data["sentences"])
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        return cls(layout, sentences, taggers)

    def batch_probabilities(self, docs: list[Doc]) -> list[dict[str, np.ndarray]]:
        """For each doc, the per-token probabilities of each kind (features computed once for the batch)."""
        scores = doc_sentence_scores(self.sentences, docs) if self.layout.sentence_kinds else None
        x = batch_token_features(docs, self.layout, scores).astype(np.float64)  # once for both kinds
        cuts = np.cumsum([len(doc) for doc in docs])[:-1]
        by_kind = {kind: np.split(model.probabilities(x), cuts) for kind, model in self.taggers.items()}
        return [{kind: by_kind[kind][i] for kind in by_kind} for i in range(len(docs))]


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


def checked_spans(doc: Doc, kind: str, model: TaggerModel, probabilities: np.ndarray,
                  new_span: Callable[[Doc, int, int, float], Span]) -> list[Span]:
    """The rule spans of ``kind`` the probabilities keep, plus the runs the rules missed (``new_span``
    makes a mention of tokens ``start:end`` with its confidence), in text order."""
    rule_spans = list(doc.spans.get(kind, []))
    kept: list[Span] = [s for s in rule_spans if probabilities[s.start:s.end].mean() >= model.keep_threshold]
    for start, end in token_runs(doc, probabilities, model.add_threshold, model.max_gap, model.min_tokens):
        if any(s.start < end and start < s.end for s in rule_spans):
            continue
        start, end = phrase(doc, start, end)  # no leading filler, no trailing punctuation or preposition
        if end - start < model.min_tokens or doc[start:end].root.pos_ not in ADDED_ROOT_POS:
            continue  # a fragment without a verb or a noun at its head is not a mention
        kept.append(new_span(doc, start, end, float(probabilities[start:end].mean())))
    return sorted(kept, key=lambda s: s.start)


@lru_cache(maxsize=4)
def _cached_models(path: str, mtime: float) -> SpanTaggerModels:
    return SpanTaggerModels.load(Path(path))


class SpanTagger:
    """Drop the rule barriers and use cases the taggers find unlikely; add the ones the rules missed."""

    def __init__(self, barriers: FreinDetector, use_cases: CasUsageDetector, model_path: str = ""):
        self.path = Path(model_path) if model_path else MODEL_PATH
        self._models: SpanTaggerModels | None = None
        self._warned = False
        self.barriers, self.use_cases = barriers, use_cases

    @property
    def models(self) -> SpanTaggerModels | None:
        """The model file, read at first use (a pipeline built to retrain it never reads it); ``None``
        without a file (with one warning); a file that does not match this code raises ``ValueError``."""
        if self._models is None and self.path.exists():
            self._models = _cached_models(str(self.path), self.path.stat().st_mtime)
        if self._models is None and not self._warned:
            self._warned = True
            LOGGER.warning("span_tagger: no model file at %s (run `python -m pipeline.nlp.train_span_tagger`);"
                           " the rule barriers and use cases are kept as they are", self.path)
        return self._models

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """What ``nlp.pipe`` calls: the features of each batch of docs are computed together."""
        for batch in minibatch(docs, size=batch_size):
            models = self.models
            if models is None:
                yield from batch
                continue
            filled = [doc for doc in batch if len(doc)]
            probabilities = dict(zip(map(id, filled), models.batch_probabilities(filled))) if filled else {}
            for doc in batch:
                if len(doc):
                    self._apply(models, doc, probabilities[id(doc)])
                yield doc

    def _new_span(self, kind: str, doc: Doc, start: int, end: int, confidence: float) -> Span:
        """A mention of ``kind`` the tagger adds, labelled by the rule detector of its kind."""
        make = self.barriers.barrier_span if kind == "frein" else self.use_cases.use_case_span
        return make(doc, start, end, doc[start:end].root, RULE_NAMES[kind], confidence)

    def _apply(self, models: SpanTaggerModels, doc: Doc, probabilities: dict[str, np.ndarray]) -> None:
        """Checked spans of each kind, from probabilities computed before either kind changed."""
        for kind, model in models.taggers.items():
            doc.spans[kind] = checked_spans(doc, kind, model, probabilities[kind], partial(self._new_span, kind))


@Language.factory("span_tagger", default_config={"model_path": ""})
def make_span_tagger(nlp: Language, name: str, model_path: str) -> SpanTagger:
    """spaCy factory of :class:`SpanTagger` (``model_path`` empty: the bundled model file); labels and
    statuses come from the pipeline's rule detectors (new ones when the pipeline has none)."""
    barriers = nlp.get_pipe("frein_detector") if "frein_detector" in nlp.pipe_names else FreinDetector(nlp)
    use_cases = nlp.get_pipe("cas_usage_detector") if "cas_usage_detector" in nlp.pipe_names else CasUsageDetector(nlp)
    return SpanTagger(barriers, use_cases, model_path)
