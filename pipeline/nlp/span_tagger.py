"""The ``span_tagger`` component: learned token taggers that check and complete the rule barriers and use cases.

The rules know the constructions someone wrote down; the contributions use many more ("le cadastre
solaire mis en ligne par le syndicat a été consulté par 3 000 foyers", "les données naturalistes
arrivent dans des formats très différents"). For each kind (``frein``, ``cas_usage``) a logistic
regression over :func:`token_features` (context vectors of the pipeline's ``tok2vec``, syntax, what
the rules found, and the scores of the token's sentence from ``sentence_scores.py``) gives each token
the probability that it lies in a mention of that kind. Then, per kind, the candidates are the rule
spans and the runs of tokens above ``candidate_threshold`` the rules missed (trimmed like the rule
spans, headed by a verb or a noun; ``span_scorer.py``), and

* use cases: a second logistic regression scores each candidate as a whole span, and those scoring at
  least its ``threshold`` are kept;
* barriers: a rule span whose tokens average under ``keep_threshold`` is dropped, every run is kept.
  (A span scorer for barriers gave no gain in out-of-fold F1 on the training sets and dropped
  textbook barriers of one-sentence passages, "Nous manquons de compétences en science des données.")

An added run is labelled by the rule detector of its kind (``rule = "frein_tagger"`` or
``"cas_usage_tagger"``, ``score`` its span score or mean token probability).

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
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from pipeline.nlp.barriers import FreinDetector
from pipeline.nlp.lexicon import PATTERNS_DIR
from pipeline.nlp.sentence_scores import SentenceModel, doc_sentence_scores
from pipeline.nlp.span_scorer import Candidate, SpanScorer, candidate_features, candidates
from pipeline.nlp.token_features import FeatureLayout, batch_token_features
from pipeline.nlp.use_cases import CasUsageDetector

MODEL_PATH = PATTERNS_DIR / "span_tagger.json"
TAGGED_KINDS = ("frein", "cas_usage")
RULE_NAMES = {"frein": "frein_tagger", "cas_usage": "cas_usage_tagger"}
LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaggerModel:
    """Standardised logistic regression over token features, how its runs become candidates, and what
    decides among the candidates: a span scorer, or (``spans`` None) the mean token probability of a
    rule span against ``keep_threshold``, every run being kept."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    candidate_threshold: float
    max_gap: int
    min_tokens: int
    keep_threshold: float | None = None
    spans: SpanScorer | None = None

    @classmethod
    def from_dict(cls, data: dict, size: int) -> "TaggerModel":
        """Read one kind's entry of the model file; weights that do not match ``size`` features raise ``ValueError``."""
        if ("spans" in data) == ("keep_threshold" in data):
            raise ValueError("a tagger needs either a span scorer or a keep threshold")
        model = cls(np.asarray(data["mean"]), np.asarray(data["scale"]), np.asarray(data["coef"]),
                    float(data["intercept"]), float(data["candidate_threshold"]), int(data["max_gap"]),
                    int(data["min_tokens"]), float(data["keep_threshold"]) if "keep_threshold" in data else None,
                    SpanScorer.from_dict(data["spans"]) if "spans" in data else None)
        if not len(model.mean) == len(model.scale) == len(model.coef) == size:
            raise ValueError(f"{len(model.coef)} weights for {size} features")
        return model

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Probability, for each row of ``features``, that the token lies inside a mention."""
        # the standardisation folded into the weights: one product, no standardised copy of the features
        weights = self.coef / self.scale
        return 1.0 / (1.0 + np.exp(-(features @ weights + (self.intercept - self.mean @ weights))))

    def candidates(self, doc: Doc, kind: str, probabilities: np.ndarray) -> list[Candidate]:
        """The rule spans of ``kind`` and the runs of ``probabilities`` the rules missed."""
        return candidates(doc, kind, probabilities, self.candidate_threshold, self.max_gap, self.min_tokens)


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

    def batch_probabilities(self, docs: list[Doc]) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
        """For each doc, the per-token probabilities of each kind (features computed once for the batch)
        and its (sentences x kinds) sentence scores."""
        scores = doc_sentence_scores(self.sentences, docs)
        x = batch_token_features(docs, self.layout, scores).astype(np.float64)  # once for both kinds
        cuts = np.cumsum([len(doc) for doc in docs])[:-1]
        by_kind = {kind: np.split(model.probabilities(x), cuts) for kind, model in self.taggers.items()}
        return [({kind: by_kind[kind][i] for kind in by_kind}, scores[i]) for i in range(len(docs))]

    def checked_spans(self, doc: Doc, kind: str, probabilities: dict[str, np.ndarray], sentence_scores: np.ndarray,
                      new_span: Callable[[Doc, int, int, float], Span]) -> list[Span]:
        """The candidates of ``kind`` its span scorer (or keep threshold) keeps, in text order: rule spans as
        they are, runs made mentions by ``new_span`` (tokens ``start:end`` and their score)."""
        model, own = self.taggers[kind], probabilities[kind]
        found = model.candidates(doc, kind, own)
        if not found:
            return []
        if model.spans is None:
            scores = np.array([own[start:end].mean() for start, end, _ in found])
            keep = [span is None or score >= model.keep_threshold for (_, _, span), score in zip(found, scores)]
        else:
            scores = model.spans.probabilities(candidate_features(doc, kind, found, probabilities, sentence_scores,
                                                                  self.layout))
            keep = scores >= model.spans.threshold
        kept = [span if span is not None else new_span(doc, start, end, float(score))
                for (start, end, span), score, keeping in zip(found, scores, keep) if keeping]
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
            computed = dict(zip(map(id, filled), models.batch_probabilities(filled))) if filled else {}
            for doc in batch:
                if len(doc):
                    self._apply(models, doc, *computed[id(doc)])
                yield doc

    def _new_span(self, kind: str, doc: Doc, start: int, end: int, confidence: float) -> Span:
        """A mention of ``kind`` the tagger adds, labelled by the rule detector of its kind."""
        make = self.barriers.barrier_span if kind == "frein" else self.use_cases.use_case_span
        return make(doc, start, end, doc[start:end].root, RULE_NAMES[kind], confidence)

    def _apply(self, models: SpanTaggerModels, doc: Doc, probabilities: dict[str, np.ndarray],
               sentence_scores: np.ndarray) -> None:
        """Checked spans of each kind, from probabilities computed before either kind changed."""
        for kind in models.taggers:
            doc.spans[kind] = models.checked_spans(doc, kind, probabilities, sentence_scores,
                                                   partial(self._new_span, kind))


@Language.factory("span_tagger", default_config={"model_path": ""})
def make_span_tagger(nlp: Language, name: str, model_path: str) -> SpanTagger:
    """spaCy factory of :class:`SpanTagger` (``model_path`` empty: the bundled model file); labels and
    statuses come from the pipeline's rule detectors (new ones when the pipeline has none)."""
    barriers = nlp.get_pipe("frein_detector") if "frein_detector" in nlp.pipe_names else FreinDetector(nlp)
    use_cases = nlp.get_pipe("cas_usage_detector") if "cas_usage_detector" in nlp.pipe_names else CasUsageDetector(nlp)
    return SpanTagger(barriers, use_cases, model_path)
