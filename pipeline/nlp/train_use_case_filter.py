"""Train the ``cas_usage_filter`` model and write ``patterns/cas_usage_filter.json``.

Usage: ``python -m pipeline.nlp.train_use_case_filter [--train FILE ...] [--heldout FILE ...] [--out PATH]``

Examples are the use cases the rule detectors find in annotated passages (default: every development
and training set, ``pipeline/nlp/annotations.py``; the gold test set is refused), labelled by
whether they overlap an annotated use case. ``--heldout`` files are then scored with the rules alone and
with the filter (overlap P/R/F1 of ``cas_usage``, as ``make evaluate-nlp``).

Regularisation and threshold are constants, chosen once by training on ``nlp_dev``, ``nlp_dev2`` and the
odd-numbered passages of ``nlp_dev3a/b/c`` and scoring their even-numbered passages.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.config import NlpConfig
from pipeline.nlp.annotations import heldout_comparison, training_command
from pipeline.nlp.build import build_nlp
from pipeline.nlp.logistic import rounded
from pipeline.nlp.use_case_filter import MODEL_PATH, FilterModel, UseCaseFilter, span_features

C = 1.0
THRESHOLD = 0.3
# the filter sees what it sees in the pipeline: the rule detectors' output
AFTER_DETECTORS = ("cas_usage_filter", "span_tagger", "frein_cas_usage_linker")


def _docs(passages: pd.DataFrame):
    nlp = build_nlp(NlpConfig())
    skip = [name for name in AFTER_DETECTORS if name in nlp.pipe_names]
    return zip(passages.passage_id, nlp.pipe(passages.text.tolist(), disable=skip))


def train(passages: pd.DataFrame, mentions: pd.DataFrame, sources: list[str]) -> dict:
    """The model dictionary: feature names, standardisation, weights, threshold, training counts."""
    rules = sorted(build_nlp(NlpConfig()).get_pipe("cas_usage_detector").meta)
    gold = {pid: list(zip(g.start, g.end)) for pid, g in mentions[mentions.kind == "cas_usage"].groupby("passage_id")}
    rows, labels = [], []
    for pid, doc in _docs(passages):
        for span in doc.spans.get("cas_usage", []):
            rows.append(span_features(span, rules))
            labels.append(int(any(s < span.end_char and span.start_char < e for s, e in gold.get(pid, []))))
    if len(set(labels)) < 2:
        raise ValueError("the training passages give rule use cases of one class only")
    names = list(rows[0])
    x, y = np.asarray([[r[n] for n in names] for r in rows]), np.asarray(labels)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit((x - mean) / scale, y)
    return {"features": names, "rules": rules, "mean": rounded(mean), "scale": rounded(scale), "coef": rounded(fitted.coef_[0]),
            "intercept": round(float(fitted.intercept_[0]), 6), "threshold": THRESHOLD, "C": C,
            "trained_on": sources, "n_passages": int(len(passages)), "n_candidates": int(len(y)),
            "n_positive": int(y.sum())}


def heldout_report(paths: list[Path], model_path: Path) -> str:
    """Overlap P/R/F1 of use cases on ``paths``: rules alone, then rules and filter."""
    return heldout_comparison(paths, _docs, UseCaseFilter(str(model_path)), ("rules only", "rules + filter"))


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    return training_command(
        argv, __doc__.splitlines()[0], MODEL_PATH, train, FilterModel.load,
        lambda m: f"{m['n_passages']} passages, {m['n_candidates']} rule use cases ({m['n_positive']} right)",
        heldout_report)


if __name__ == "__main__":
    raise SystemExit(main())
