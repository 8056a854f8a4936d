"""Train the ``span_tagger`` models (sentence scores, then one token tagger per kind): ``patterns/span_tagger.json``.

Usage: ``python -m pipeline.nlp.train_span_tagger [--train FILE ...] [--heldout FILE ...] [--out PATH]``

On the annotated passages (default: every development and training set, ``pipeline/nlp/annotations.py``;
the gold test set is refused), parsed as the tagger sees them (after the rule detectors and the
``cas_usage_filter``; run this after the filter's training):

1. the sentence model: each sentence labelled by whether it overlaps an annotated barrier / use case;
2. the token taggers: each token an example, labelled by whether it lies inside an annotated mention of
   the kind, with :func:`token_features`. The sentence scores among those features are out of fold
   (models fitted on the other source files), as the taggers will meet them on unseen text;
3. the span scorers (``span_scorer.py``): each candidate an example, labelled by whether it overlaps an
   annotated mention of its kind; the candidates and their features come from out-of-fold token
   probabilities (taggers fitted on the other source files), again as on unseen text.

``--heldout`` files are then scored (overlap P/R/F1 of both kinds, as ``make evaluate-nlp``) with the
rules and filter alone and with the tagger.

Regularisation, thresholds and decoding are constants, chosen once by training on ``nlp_dev``,
``nlp_dev2``, ``nlp_dev3a/b/c`` and ``data/annotations/nlp/train_*`` and scoring ``nlp_dev4a/b/c/d``
(the span thresholds: by the out-of-fold F1 of those training sets).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from pipeline.config import NlpConfig
from pipeline.nlp.annotations import heldout_comparison, training_command
from pipeline.nlp.build import build_nlp
from pipeline.nlp.logistic import rounded
from pipeline.nlp.sentence_scores import SENTENCE_KINDS, SentenceModel, SentenceRows
from pipeline.nlp.span_scorer import SpanScorer, candidate_features, candidates
from pipeline.nlp.span_tagger import MODEL_PATH, TAGGED_KINDS, SpanTagger, SpanTaggerModels
from pipeline.nlp.token_features import FeatureLayout, batch_token_features

C = 0.1
SENTENCE_C = 3.0
MIN_DF = 2
VECTOR_WEIGHT = 1.0
FOLDS = 5
# Barriers: rule spans kept when their tokens average >= 0.5, runs >= 0.75 added (stop 15). Use cases:
# runs >= 0.5 become candidates beside the rule spans and a span scorer keeps those scoring >= 0.5 (the
# best out-of-fold F1 of the training sets: 0.790 against 0.779 for stop 15's decoding; for barriers a
# scorer gave 0.774 against 0.774, and dropped textbook one-sentence barriers).
DECODING = {"frein": {"candidate_threshold": 0.75, "keep_threshold": 0.5, "max_gap": 6, "min_tokens": 3},
            "cas_usage": {"candidate_threshold": 0.5, "max_gap": 6, "min_tokens": 3}}
SPAN_C = 1.0
SPAN_THRESHOLDS = {"cas_usage": 0.5}
AFTER_TAGGER = ("span_tagger", "frein_cas_usage_linker")
LAYOUT = FeatureLayout(
    pos_tags=("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
              "SCONJ", "SYM", "VERB", "X", "SPACE"),
    dep_labels=("nsubj", "nsubj:pass", "obj", "obl", "obl:arg", "obl:mod", "obl:agent", "nmod", "amod", "advmod",
                "advcl", "acl", "acl:relcl", "xcomp", "ccomp", "conj", "cc", "case", "det", "mark", "aux",
                "aux:pass", "aux:tense", "cop", "ROOT", "punct", "appos", "parataxis", "fixed", "flat:name", "iobj",
                "expl:subj", "expl:comp", "expl:pass", "dep", "nummod", "csubj"),
    negation_words=("pas", "ne", "n'", "n’", "aucun", "aucune", "jamais", "plus", "sans"),
    first_person=("nous", "notre", "nos", "on"),
    width=96, sentence_kinds=SENTENCE_KINDS)


def _docs(passages: pd.DataFrame):
    """(passage id, doc as the tagger sees it) for each passage."""
    nlp = build_nlp(NlpConfig())
    skip = [name for name in AFTER_TAGGER if name in nlp.pipe_names]
    return zip(passages.passage_id, nlp.pipe(passages.text.tolist(), disable=skip, batch_size=32))


def _overlapping(ranges: list[tuple[int, int]], spans: list[tuple[int, int]]) -> np.ndarray:
    """1 for each character range ``(start, end)`` of ``ranges`` that overlaps one of ``spans``."""
    return np.array([any(s < end and start < e for s, e in spans) for start, end in ranges], dtype=np.int8)


def _fit(x, y, c: float, class_weight=None) -> LogisticRegression:
    if len(set(np.asarray(y).tolist())) < 2:
        raise ValueError("the training passages give examples of one class only")
    return LogisticRegression(C=c, max_iter=3000, class_weight=class_weight).fit(x, y)


def fit_sentence_model(rows: SentenceRows, labels: dict[str, np.ndarray]) -> SentenceModel:
    """The sentence model of ``rows`` (vocabulary, then one regression per kind)."""
    model = SentenceModel.vocabulary_of(rows, MIN_DF, VECTOR_WEIGHT)
    design = model.design(rows)
    for k, kind in enumerate(model.kinds):
        fitted = _fit(design, labels[kind], SENTENCE_C)
        model.coef[k], model.intercept[k] = fitted.coef_[0], fitted.intercept_[0]
    return model


def _standardised_fit(x: np.ndarray, y: np.ndarray, c: float, class_weight=None):
    """(mean, scale, fitted regression) of ``x`` standardised."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale, _fit((x - mean) / scale, y, c, class_weight)


def out_of_fold_token_probabilities(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per token, the probability from a tagger fitted on the other groups (source files)."""
    out = np.zeros(len(x))
    for fit_rows, score_rows in GroupKFold(n_splits=min(FOLDS, len(set(groups.tolist())))).split(x, groups=groups):
        mean, scale, fitted = _standardised_fit(x[fit_rows], y[fit_rows], C, "balanced")
        out[score_rows] = fitted.predict_proba((x[score_rows] - mean) / scale)[:, 1]
    return out


def fit_span_scorer(kind: str, docs: list, gold: dict, pids: list[str], probabilities: dict[str, list[np.ndarray]],
                    sentence_scores: list[np.ndarray]) -> tuple[SpanScorer, int]:
    """The span scorer of ``kind`` over the candidates of ``docs`` (and how many candidates it saw)."""
    settings = DECODING[kind]
    rows, labels = [], []
    for i, (pid, doc) in enumerate(zip(pids, docs)):
        found = candidates(doc, kind, probabilities[kind][i], settings["candidate_threshold"], settings["max_gap"],
                           settings["min_tokens"])
        if not found:
            continue
        rows.append(candidate_features(doc, kind, found, {k: v[i] for k, v in probabilities.items()},
                                       sentence_scores[i], LAYOUT))
        labels.append(_overlapping([(doc[c.start].idx, doc[c.end - 1].idx + len(doc[c.end - 1])) for c in found],
                                   gold[kind].get(pid, [])))
    mean, scale, fitted = _standardised_fit(np.vstack(rows), np.concatenate(labels), SPAN_C)
    return SpanScorer(mean, scale, fitted.coef_[0], float(fitted.intercept_[0]), SPAN_THRESHOLDS[kind]), sum(map(len, labels))


def out_of_fold_scores(rows: SentenceRows, labels: dict[str, np.ndarray], groups: np.ndarray) -> np.ndarray:
    """(sentences x kinds) scores, each from a sentence model fitted on the other groups."""
    scores = np.zeros((len(rows), len(SENTENCE_KINDS)))
    folds = GroupKFold(n_splits=min(FOLDS, len(set(groups.tolist()))))
    for fit_rows, score_rows in folds.split(np.zeros(len(rows)), groups=groups):
        model = fit_sentence_model(rows.subset(fit_rows), {k: v[fit_rows] for k, v in labels.items()})
        scores[score_rows] = model.probabilities(rows.subset(score_rows))
    return scores


def train(passages: pd.DataFrame, mentions: pd.DataFrame, sources: list[str]) -> dict:
    """The model dictionary: feature layout, sentence model, one tagger per kind, decoding settings, counts."""
    pids, docs = zip(*[(pid, doc) for pid, doc in _docs(passages) if len(doc)])
    gold = {kind: {pid: list(zip(g.start, g.end)) for pid, g in mentions[mentions.kind == kind].groupby("passage_id")}
            for kind in TAGGED_KINDS}
    rows = SentenceRows.of_docs(list(docs))
    sents = [(pid, s) for pid, doc in zip(pids, docs) for s in doc.sents]
    sentence_labels = {kind: np.concatenate([_overlapping([(s.start_char, s.end_char)], gold[kind].get(pid, []))
                                             for pid, s in sents]) for kind in SENTENCE_KINDS}
    files = np.array([pid.split(":")[0] for pid, _ in sents])
    groups = files if len(set(files.tolist())) >= FOLDS else np.array([pid for pid, _ in sents])
    oof = out_of_fold_scores(rows, sentence_labels, groups)
    per_doc = np.split(oof, np.cumsum([sum(1 for _ in doc.sents) for doc in docs])[:-1])
    x = np.vstack([batch_token_features(list(docs[i:i + 128]), LAYOUT, per_doc[i:i + 128])
                   for i in range(0, len(docs), 128)])
    token_files = np.repeat([pid.split(":")[0] for pid in pids], [len(doc) for doc in docs])
    token_groups = token_files if len(set(files.tolist())) >= FOLDS else np.repeat(pids, [len(doc) for doc in docs])
    cuts = np.cumsum([len(doc) for doc in docs])[:-1]
    taggers, positives, oof_probabilities = {}, {}, {}
    for kind in TAGGED_KINDS:
        y = np.concatenate([_overlapping([(t.idx, t.idx + len(t)) for t in doc], gold[kind].get(pid, []))
                            for pid, doc in zip(pids, docs)])
        mean, scale, fitted = _standardised_fit(x, y, C, "balanced")
        positives[kind] = int(y.sum())
        oof_probabilities[kind] = np.split(out_of_fold_token_probabilities(x, y, token_groups), cuts)
        taggers[kind] = {"mean": rounded(mean), "scale": rounded(scale), "coef": rounded(fitted.coef_[0]),
                         "intercept": round(float(fitted.intercept_[0]), 6), **DECODING[kind]}
    n_candidates = {}
    for kind in SPAN_THRESHOLDS:
        scorer, n_candidates[kind] = fit_span_scorer(kind, list(docs), gold, list(pids), oof_probabilities, per_doc)
        taggers[kind]["spans"] = scorer.to_dict()
    return {"layout": LAYOUT.to_dict(), "sentences": fit_sentence_model(rows, sentence_labels).to_dict(),
            "taggers": taggers, "C": C, "sentence_C": SENTENCE_C, "span_C": SPAN_C, "trained_on": sources,
            "n_passages": int(len(docs)), "n_sentences": len(rows), "n_tokens": int(len(x)),
            "n_positive": positives, "n_candidates": n_candidates}


def heldout_report(paths: list[Path], model_path: Path) -> str:
    """Overlap P/R/F1 of barriers and use cases on ``paths``: rules and filter, then with the tagger."""
    nlp = build_nlp(NlpConfig())
    component = SpanTagger(nlp.get_pipe("frein_detector"), nlp.get_pipe("cas_usage_detector"), str(model_path))
    return heldout_comparison(paths, _docs, component, ("rules + filter", "+ tagger"), TAGGED_KINDS)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    return training_command(
        argv, __doc__.splitlines()[0], MODEL_PATH, train, SpanTaggerModels.load,
        lambda m: (f"{m['n_passages']} passages, {m['n_sentences']} sentences, {m['n_tokens']} tokens"
                   f" ({', '.join(f'{n} in a {k}' for k, n in m['n_positive'].items())}),"
                   f" candidate spans {m['n_candidates']}"),
        heldout_report)


if __name__ == "__main__":
    raise SystemExit(main())
