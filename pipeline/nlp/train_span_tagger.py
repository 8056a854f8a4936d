"""Train the ``cas_usage_tagger`` model and write ``patterns/cas_usage_tagger.json``.

Usage: ``python -m pipeline.nlp.train_use_case_tagger [--train FILE ...] [--heldout FILE ...] [--out PATH]``

Each token of the annotated passages (default: every development and training set,
``pipeline/nlp/annotations.py``; the gold test set is refused) is an example, labelled by whether it
lies inside an annotated use case, with the features :func:`token_features` reads from the pipeline
as the tagger sees it (after the rule detectors and the ``cas_usage_filter``). Run it after the
filter's training: the tagger learns on the filter's output.

``--heldout`` files are then scored (overlap P/R/F1 of ``cas_usage``, as ``make evaluate-nlp``) with
the rules and filter alone and with the tagger.

Regularisation, thresholds and decoding are constants, chosen once by training on ``nlp_dev``,
``nlp_dev2``, ``nlp_dev3a/b/c`` and ``data/annotations/nlp/train_*`` and scoring ``nlp_dev4a/b/c/d``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.config import NlpConfig
from pipeline.nlp.annotations import heldout_comparison, training_command
from pipeline.nlp.build import build_nlp
from pipeline.nlp.token_features import FeatureLayout, token_features
from pipeline.nlp.use_case_tagger import MODEL_PATH, TaggerModel, UseCaseTagger

C = 0.1
KEEP_THRESHOLD = 0.4
ADD_THRESHOLD = 0.8
MAX_GAP = 6
MIN_TOKENS = 3
AFTER_TAGGER = ("cas_usage_tagger", "frein_cas_usage_linker")
LAYOUT = FeatureLayout(
    pos_tags=("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
              "SCONJ", "SYM", "VERB", "X", "SPACE"),
    dep_labels=("nsubj", "nsubj:pass", "obj", "obl", "obl:arg", "obl:mod", "obl:agent", "nmod", "amod", "advmod",
                "advcl", "acl", "acl:relcl", "xcomp", "ccomp", "conj", "cc", "case", "det", "mark", "aux",
                "aux:pass", "aux:tense", "cop", "ROOT", "punct", "appos", "parataxis", "fixed", "flat:name", "iobj",
                "expl:subj", "expl:comp", "expl:pass", "dep", "nummod", "csubj"),
    negation_words=("pas", "ne", "n'", "n’", "aucun", "aucune", "jamais", "plus", "sans"),
    first_person=("nous", "notre", "nos", "on"),
    width=96)


def _docs(passages: pd.DataFrame):
    """(passage id, doc as the tagger sees it) for each passage."""
    nlp = build_nlp(NlpConfig())
    skip = [name for name in AFTER_TAGGER if name in nlp.pipe_names]
    return zip(passages.passage_id, nlp.pipe(passages.text.tolist(), disable=skip, batch_size=32))


def _labels(doc, spans: list[tuple[int, int]]) -> np.ndarray:
    """1 for the tokens that overlap an annotated use case (character offsets)."""
    labels = np.zeros(len(doc), dtype=np.int8)
    for t in doc:
        end = t.idx + len(t)
        labels[t.i] = any(s < end and t.idx < e for s, e in spans)
    return labels


def train(passages: pd.DataFrame, mentions: pd.DataFrame, sources: list[str]) -> dict:
    """The model dictionary: feature layout, standardisation, weights, decoding settings, counts."""
    gold = {pid: list(zip(g.start, g.end)) for pid, g in mentions[mentions.kind == "cas_usage"].groupby("passage_id")}
    blocks, labels = [], []
    for pid, doc in _docs(passages):
        blocks.append(token_features(doc, LAYOUT))
        labels.append(_labels(doc, gold.get(pid, [])))
    x, y = np.vstack(blocks), np.concatenate(labels)
    if len(set(y.tolist())) < 2:
        raise ValueError("the training passages give tokens of one class only")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit((x - mean) / scale, y)
    return {"layout": LAYOUT.to_dict(), "mean": [round(float(v), 6) for v in mean],
            "scale": [round(float(v), 6) for v in scale], "coef": [round(float(v), 6) for v in fitted.coef_[0]],
            "intercept": round(float(fitted.intercept_[0]), 6), "keep_threshold": KEEP_THRESHOLD,
            "add_threshold": ADD_THRESHOLD, "max_gap": MAX_GAP, "min_tokens": MIN_TOKENS, "C": C,
            "trained_on": sources, "n_passages": int(len(passages)), "n_tokens": int(len(y)),
            "n_positive": int(y.sum())}


def heldout_report(paths: list[Path], model_path: Path) -> str:
    """Overlap P/R/F1 of use cases on ``paths``: rules and filter, then with the tagger."""
    component = UseCaseTagger(build_nlp(NlpConfig()).get_pipe("cas_usage_detector"), str(model_path))
    return heldout_comparison(paths, _docs, component, ("rules + filter", "+ tagger"))


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    return training_command(
        argv, __doc__.splitlines()[0], MODEL_PATH, train, TaggerModel.load,
        lambda m: f"{m['n_passages']} passages, {m['n_tokens']} tokens ({m['n_positive']} in a use case)",
        heldout_report)


if __name__ == "__main__":
    raise SystemExit(main())
