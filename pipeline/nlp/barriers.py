"""The ``frein_detector`` component: statements of obstacles, with a category and an object."""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from pipeline.nlp.lexicon import CategoryLexicon, lemma_text, load_patterns
from pipeline.nlp.rules import canonical_object, dependency_candidates, token_candidates
from pipeline.nlp.spans import (compile_matchers, make_span, register_extensions, select_non_overlapping,
                                subject_of)

MAX_TOKENS = 30


SUBJECT_START_POS = {"DET", "PRON", "NOUN", "PROPN"}


def merge_coordinated(doc: Doc, kept: list, labelled: dict) -> list:
    """Join a barrier and the next one when only "et"/"ou" separates them and the second has no
    subject of its own ("sont anciennes | et | peu fiables"): one obstacle with two predicates."""
    merged: list = []
    for cand in kept:
        prev = merged[-1] if merged else None
        if (prev is not None and cand.start - prev.end == 1 and doc[prev.end].pos_ == "CCONJ"
                and doc[cand.start].pos_ not in SUBJECT_START_POS and doc[prev.start].sent == doc[cand.start].sent):
            if labelled[id(cand)][1] > labelled[id(prev)][1] and labelled[id(prev)][0] != labelled[id(cand)][0]:
                labelled[id(prev)] = (labelled[id(cand)][0], labelled[id(cand)][1], labelled[id(prev)][2])
            prev.end = cand.end
            continue
        merged.append(cand)
    return merged


class FreinDetector:
    """Find barrier clauses from dependency and token patterns; label them with the lexicons."""

    def __init__(self, nlp: Language, max_tokens: int = MAX_TOKENS):
        register_extensions()
        spec = load_patterns("freins")
        self.dep_matcher, self.tok_matcher, self.meta = compile_matchers(nlp, spec)
        self.lexicon = CategoryLexicon.from_mapping(spec["categories"])
        self.max_tokens = max_tokens

    def _label(self, doc: Doc, cand) -> tuple[str, float, str | None]:
        tokens = doc[cand.start:cand.end]
        obj = canonical_object(cand)
        if cand.label is not None:
            return cand.label, 1.0, obj
        # the trigger word says most about the nature ("hétérogènes" is quality even when "transmis")
        texts = [(lemma_text(tokens), 1.0), (tokens.text, 0.5), (obj or "", 1.0), (cand.anchor.lemma_, 2.0)]
        subject = subject_of(cand.anchor)
        if subject is not None and cand.start <= subject.i < cand.end:
            # the agent of "les éditeurs refusent..." says more than the object
            texts.append((lemma_text(subject.subtree), 1.5))
        label, share = self.lexicon.best(texts)
        return label, share, obj

    def barrier_span(self, doc: Doc, start: int, end: int, anchor: Token, rule: str, confidence: float) -> Span:
        """A ``frein`` span over tokens ``start:end`` found by a learned component: category from the
        lexicons (its words, its head word); the score weighs ``confidence`` by how clearly it is named."""
        tokens = doc[start:end]
        label, share = self.lexicon.best([(lemma_text(tokens), 1.0), (tokens.text, 0.5), (anchor.lemma_, 2.0)])
        return make_span(doc, start, end, "frein", label, rule=rule, score=round(confidence * (0.7 + 0.3 * share), 3))

    def _fallback(self, cand) -> bool:
        return self.meta[cand.rule].get("extend") == "clause"

    def __call__(self, doc: Doc) -> Doc:
        candidates = dependency_candidates(doc, self.dep_matcher, self.meta, self.max_tokens, cut_clauses=True)
        candidates += token_candidates(doc, self.tok_matcher, self.meta, self.max_tokens)
        labelled = {}
        for cand in candidates:
            label, share, obj = self._label(doc, cand)
            if label == "autre" and self.meta[cand.rule].get("needs_category"):
                continue  # a generic difficulty about nothing the lexicons know ("la tâche est difficile")
            labelled[id(cand)] = (label, share, obj)
        kept = select_non_overlapping([c for c in candidates if id(c) in labelled and not self._fallback(c)])
        taken = {i for c in kept for i in range(c.start, c.end)}
        # clause-level fallbacks (unparsable negations) only where no parsed barrier was found
        kept += [c for c in select_non_overlapping([c for c in candidates if id(c) in labelled and self._fallback(c)])
                 if not taken & set(range(c.start, c.end))]
        spans = []
        for cand in merge_coordinated(doc, sorted(kept, key=lambda c: c.start), labelled):
            label, share, obj = labelled[id(cand)]
            score = round(cand.score * (0.7 + 0.3 * share), 3)
            spans.append(make_span(doc, cand.start, cand.end, "frein", label, canonical=obj, rule=cand.rule,
                                   score=score))
        doc.spans["frein"] = spans
        return doc


@Language.factory("frein_detector", default_config={"max_tokens": MAX_TOKENS})
def make_frein_detector(nlp: Language, name: str, max_tokens: int) -> FreinDetector:
    """spaCy factory of :class:`FreinDetector`."""
    return FreinDetector(nlp, max_tokens)
