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

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.config import NlpConfig
from pipeline.io import write_json
from pipeline.nlp.annotations import ANNOTATED_FILES, load_annotated
from pipeline.nlp.build import build_nlp
from pipeline.nlp.evaluate import score
from pipeline.nlp.stage import doc_mentions
from pipeline.nlp.use_case_filter import MODEL_PATH, FilterModel, UseCaseFilter, span_features
from pipeline.nlp.use_cases import link_impossible_use_cases

C = 1.0
THRESHOLD = 0.3
# the filter sees what it sees in the pipeline: the rule detectors' output
AFTER_DETECTORS = ("cas_usage_filter", "cas_usage_tagger", "frein_cas_usage_linker")


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
    return {"features": names, "rules": rules, "mean": [round(float(v), 6) for v in mean],
            "scale": [round(float(v), 6) for v in scale], "coef": [round(float(v), 6) for v in fitted.coef_[0]],
            "intercept": round(float(fitted.intercept_[0]), 6), "threshold": THRESHOLD, "C": C,
            "trained_on": sources, "n_passages": int(len(passages)), "n_candidates": int(len(y)),
            "n_positive": int(y.sum())}


def heldout_report(paths: list[Path], model_path: Path) -> str:
    """Overlap P/R/F1 of use cases on ``paths``: rules alone, then rules and filter."""
    passages, gold = load_annotated(paths)
    component = UseCaseFilter(str(model_path))
    plain, filtered = [], []
    for pid, doc in _docs(passages):
        plain += doc_mentions(link_impossible_use_cases(doc), pid)
        filtered += doc_mentions(link_impossible_use_cases(component(doc)), pid)
    lines = [f"held out: {', '.join(p.name for p in paths)} ({len(passages)} passages)"]
    for name, rows in (("rules only", plain), ("rules + filter", filtered)):
        table = score(gold, pd.DataFrame(rows))
        row = table[(table["mode"] == "overlap") & (table.kind == "cas_usage") & (table.label == "(tous)")].iloc[0]
        lines.append(f"  {name:15} cas_usage P {row.precision:.3f} R {row.recall:.3f} F1 {row.f1:.3f}"
                     f"  ({row.n_pred} predicted, {row.n_gold} gold)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, nargs="+", default=ANNOTATED_FILES)
    parser.add_argument("--heldout", type=Path, nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    shared = {p.resolve() for p in args.train} & {p.resolve() for p in args.heldout}
    if shared:
        parser.error(f"file(s) both trained on and held out: {sorted(map(str, shared))}")
    try:
        passages, mentions = load_annotated(args.train)
        model = train(passages, mentions, [p.name for p in args.train])
    except ValueError as exc:
        parser.error(str(exc))
    write_json(model, args.out)
    FilterModel.load(args.out)  # fail here, not in the pipeline, if the file does not load
    print(f"{model['n_passages']} passages, {model['n_candidates']} rule use cases ({model['n_positive']} right); "
          f"written to {args.out}")
    if args.heldout:
        print(heldout_report(args.heldout, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
