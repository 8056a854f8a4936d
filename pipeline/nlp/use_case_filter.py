"""The ``cas_usage_filter`` component: a learned check of the use cases found by the rules.

In whole paragraphs of real contributions most sentences describe the authority, its context or its
wishes for the State, and the generic data verbs of the rules ("suivre", "gérer", "exploiter") fire on
some of them ("Le département gère 34 collèges publics", "Nous suivons avec attention les travaux de
l'Arcep"). A logistic regression over a few readable features of each rule span (which rule fired, data
words outside the subject, first person, first sentence of the passage, numbers, domain evidence,
barrier around it…) gives the probability that the span is a use case; spans under the threshold are
dropped. Weights: ``patterns/cas_usage_filter.json``, written by
``python -m pipeline.nlp.train_use_case_filter`` from the development sets (never from ``data/gold``).
Without the file the component keeps every span and warns once.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.nlp.lexicon import PATTERNS_DIR, CategoryLexicon, lemma_text, load_patterns
from pipeline.nlp.logistic import ThresholdedLogistic

MODEL_PATH = PATTERNS_DIR / "cas_usage_filter.json"
STATUSES = ("realise", "en_projet", "impossible")
GENERIC_LABELS = ("autre", "services_publics_relation_usager")
LOGGER = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _vocabulary() -> dict:
    spec = load_patterns("cas_usage")
    words = spec["filter_words"]
    return {"data": frozenset(w.lower() for w in words["data"]),
            "first_person": frozenset(w.lower() for w in words["first_person"]),
            "analytics": frozenset(w.lower() for w in spec["analytics_verbs"]),
            "lexicon": CategoryLexicon.from_mapping(spec["domains"])}


def span_features(span: Span, rules: list[str]) -> dict[str, float]:
    """The named features of one ``cas_usage`` span of a doc that went through the rule detectors."""
    vocab = _vocabulary()
    doc, sent, tokens = span.doc, span.sent, list(span)
    subject = {t.i for c in span.root.children if c.dep_.startswith("nsubj") for t in c.subtree}
    lemmas = {t.lemma_.lower() for t in tokens if t.i not in subject}
    freins = list(doc.spans.get("frein", []))
    domain = vocab["lexicon"].scores([(lemma_text(tokens), 1.0)])
    features = {f"rule={rule}": float(span._.rule == rule) for rule in rules}
    features.update({
        "rule_score": float(span._.score or 0.0),
        "log_length": float(np.log1p(len(span))),
        "sentence_share": len(span) / max(1, len(sent)),
        "first_person_in_sentence": float(any(t.lower_ in vocab["first_person"] for t in sent)),
        "first_person_in_span": float(any(t.lower_ in vocab["first_person"] for t in tokens)),
        "data_words": float(len(lemmas & vocab["data"])),
        "analytics_verb": float(bool(lemmas & vocab["analytics"])),
        "inside_barrier": float(any(f.start < span.end and span.start < f.end for f in freins)),
        "barrier_in_sentence": float(any(f.sent == sent for f in freins)),
        "starts_nominal": float(tokens[0].pos_ in ("DET", "NOUN", "PROPN")),
        "starts_verbal": float(tokens[0].pos_ in ("VERB", "AUX")),
        "domain_strength": max(domain.values(), default=0.0) / 3.0,
        "generic_label": float(span.label_ in GENERIC_LABELS),
        "first_sentence": float(sent.start == 0),
        "has_number": float(any(t.like_num for t in tokens)),
    })
    features.update({f"status={s}": float(span._.status == s) for s in STATUSES})
    return features


@dataclass(frozen=True)
class FilterModel(ThresholdedLogistic):
    """Standardised logistic regression over :func:`span_features` (named ``names``; ``rules``: the rule
    names with a feature of their own), with its threshold."""

    names: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> "FilterModel":
        """Read a model file written by ``train_use_case_filter`` (plain JSON, no pickle)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**cls.fields_of(data), names=tuple(data["features"]), rules=tuple(data["rules"]))

    def probability(self, span: Span) -> float:
        """Probability that ``span`` is a use case."""
        features = span_features(span, list(self.rules))
        return float(self.probabilities(np.asarray([[features[name] for name in self.names]]))[0])


@lru_cache(maxsize=4)
def _cached_model(path: str, mtime: float) -> FilterModel:
    return FilterModel.load(Path(path))


class UseCaseFilter:
    """Drop the rule use cases the model finds unlikely."""

    def __init__(self, model_path: str = ""):
        path = Path(model_path) if model_path else MODEL_PATH
        self.model = _cached_model(str(path), path.stat().st_mtime) if path.exists() else None
        if self.model is None:
            LOGGER.warning("cas_usage_filter: no model file at %s (run `python -m pipeline.nlp.train_use_case_filter`);"
                           " every rule use case is kept", path)

    def __call__(self, doc: Doc) -> Doc:
        if self.model is None or not doc.spans.get("cas_usage"):
            return doc
        doc.spans["cas_usage"] = [s for s in doc.spans["cas_usage"] if self.model.probability(s) >= self.model.threshold]
        return doc


@Language.factory("cas_usage_filter", default_config={"model_path": ""})
def make_cas_usage_filter(nlp: Language, name: str, model_path: str) -> UseCaseFilter:
    """spaCy factory of :class:`UseCaseFilter` (``model_path`` empty: the bundled model file)."""
    return UseCaseFilter(model_path)
