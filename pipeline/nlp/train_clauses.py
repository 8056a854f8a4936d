"""Train the ``clause_classifier`` model from annotated passages and write ``patterns/clause_model.json``.

Usage: ``python -m pipeline.nlp.train_clauses [--dev tests/data/nlp_dev.jsonl] [--dev2 tests/data/nlp_dev2.jsonl]
[--out PATH] [--limit N]``

Training data: every passage of ``--dev`` plus the passages of ``--dev2`` with an even id number (the
odd ones stay held out for evaluation). Regularisation (log-loss) and the two thresholds per kind
(precision targets, see :func:`precision_thresholds`) are chosen by cross-validation (folds by
passage) on the training passages only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from pipeline.config import REPO_ROOT, NlpConfig
from pipeline.nlp.build import build_nlp
from pipeline.nlp.clause_classifier import MODEL_PATH, decide
from pipeline.nlp.clauses import TARGET_KINDS, FeatureSpace, candidates, char_overlaps
from pipeline.nlp.evaluate import find_occurrence

DEV = REPO_ROOT / "tests" / "data" / "nlp_dev.jsonl"
DEV2 = REPO_ROOT / "tests" / "data" / "nlp_dev2.jsonl"
C_GRID = (0.03, 0.1, 0.3, 1.0)
DROP_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
ADD_GRID = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
ADD_PRECISION = 0.75
DROP_PRECISION = 0.3
MIN_DECISIONS = 5


def training_items(dev: Path, dev2: Path) -> list[dict]:
    """Passages of ``dev`` and the even-numbered passages of ``dev2``, with gold char ranges per kind."""
    items = []
    for path, even_only in ((dev, False), (dev2, True)):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            number = re.search(r"(\d+)$", item["id"])
            if even_only and (number is None or int(number.group(1)) % 2):
                continue
            gold = {kind: [] for kind in TARGET_KINDS}
            for m in item.get("mentions", []):
                if m["kind"] in gold:
                    start = find_occurrence(item["text"], m["text"], int(m.get("occurrence", 1)))
                    if start >= 0:
                        gold[m["kind"]].append((start, start + len(m["text"])))
            items.append({"id": item["id"], "text": item["text"], "gold": gold})
    return items


def _overlap_counts(pred: list[tuple[int, int]], gold: list[tuple[int, int]]) -> int:
    used, tp = set(), 0
    for gs, ge in gold:
        for j, (ps, pe) in enumerate(pred):
            if j not in used and ps < ge and gs < pe:
                used.add(j)
                tp += 1
                break
    return tp


def simulate(passages: list[dict], probs: np.ndarray, kind: str, drop: float, add: float) -> tuple[float, float]:
    """(overlap precision, overlap F1) of ``kind`` over ``passages`` when spans are kept/added with
    these thresholds (one-to-one matching, as in ``evaluate.score``)."""
    tp = n_pred = n_gold = 0
    for p in passages:
        pr = probs[p["rows"]]
        kept, added = decide(p["cands"], pr, kind, drop, add)
        doc = p["doc"]
        pred = [(doc[p["cands"][i].start].idx, doc[p["cands"][i].end - 1].idx + len(doc[p["cands"][i].end - 1]))
                for i in kept + added]
        tp += _overlap_counts(pred, p["gold"][kind])
        n_pred += len(pred)
        n_gold += len(p["gold"][kind])
    prec, rec = tp / max(1, n_pred), tp / max(1, n_gold)
    return prec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def simulate_f1(passages: list[dict], probs: np.ndarray, kind: str, drop: float, add: float) -> float:
    """Overlap F1 of :func:`simulate`."""
    return simulate(passages, probs, kind, drop, add)[1]


def build_matrix(items: list[dict], rule_features: bool = False) -> tuple[list[dict], np.ndarray, dict[str, np.ndarray], np.ndarray, FeatureSpace]:
    """Parse the passages with the rule components only; candidates, features, labels, groups."""
    nlp = build_nlp(NlpConfig())
    disabled = [n for n in ("clause_classifier", "frein_cas_usage_linker") if n in nlp.pipe_names]
    docs = list(nlp.pipe((it["text"] for it in items), disable=disabled))
    rules = sorted({s._.rule for d in docs for k in TARGET_KINDS for s in d.spans.get(k, []) if s._.rule})
    space = FeatureSpace(rules, rule_features)
    passages, rows, labels, groups = [], [], {k: [] for k in TARGET_KINDS}, []
    for g, (item, doc) in enumerate(zip(items, docs)):
        cands = candidates(doc)
        first = len(rows)
        rows += list(space.matrix(doc, cands)) if cands else []
        for c in cands:
            start, end = doc[c.start].idx, doc[c.end - 1].idx + len(doc[c.end - 1])
            for kind in TARGET_KINDS:
                labels[kind].append(int(char_overlaps(start, end, item["gold"][kind])))
            groups.append(g)
        passages.append({"doc": doc, "cands": cands, "gold": item["gold"], "rows": np.arange(first, len(rows))})
    return passages, np.vstack(rows), {k: np.asarray(v) for k, v in labels.items()}, np.asarray(groups), space


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Weights of a standardised logistic regression, folded back to raw features."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=3000).fit((x - mean) / scale, y)
    coef = model.coef_[0] / scale
    return coef, float(model.intercept_[0] - coef @ mean)


def _out_of_fold(x, y, groups, c, folds=5) -> np.ndarray:
    probs = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        coef, intercept = _fit(x[train], y[train], c)
        probs[test] = 1.0 / (1.0 + np.exp(-(x[test] @ coef + intercept)))
    return probs


def precision_thresholds(passages: list[dict], kind: str, probs: np.ndarray, y: np.ndarray,
                         is_rule: np.ndarray) -> tuple[float, float]:
    """(drop_below, add_above) from out-of-fold probabilities. The rules were written on these same
    passages, so a joint F1 search always prefers the rules alone; instead, each decision is taken
    where it pays on its own: clauses are added when the clause classifier alone (no rule span kept,
    non-overlapping clauses, one-to-one matching) reaches ``ADD_PRECISION`` (adding spans helps F1
    whenever their precision exceeds F1 / 2), a rule span is dropped when the
    spans below the threshold are mostly wrong (precision at most ``DROP_PRECISION``)."""
    add = 1.01
    for t in sorted(ADD_GRID):
        chosen = (~is_rule) & (probs >= t)
        if chosen.sum() >= MIN_DECISIONS and simulate(passages, probs, kind, 1.01, t)[0] >= ADD_PRECISION:
            add = t
            break
    drop = 0.0
    for t in sorted(DROP_GRID, reverse=True):
        chosen = is_rule & (probs < t)
        if chosen.sum() >= MIN_DECISIONS and y[chosen].mean() <= DROP_PRECISION:
            drop = t
            break
    return drop, add


def train(items: list[dict], log=print, rule_features: bool = False) -> dict:
    """The model dictionary (weights, thresholds, CV figures) trained on ``items``."""
    passages, x, labels, groups, space = build_matrix(items, rule_features)
    log(f"{len(items)} passages, {len(x)} candidates, positives: "
        + ", ".join(f"{k}={int(v.sum())}" for k, v in labels.items()))
    folds = min(5, len(items))
    out = {"vector_width": int(passages[0]["doc"].vocab.vectors_length), "rule_names": space.rule_names,
           "rule_features": rule_features, "n_passages": len(items), "n_candidates": int(len(x)), "kinds": {}}
    for kind in TARGET_KINDS:
        y = labels[kind]
        is_rule = np.concatenate([[c.rule_kind == kind for c in p["cands"]] for p in passages])
        best = None
        for c in C_GRID:
            probs = _out_of_fold(x, y, groups, c, folds)
            loss = -np.mean(y * np.log(probs + 1e-9) + (1 - y) * np.log(1 - probs + 1e-9))
            if best is None or loss < best[0]:
                best = (loss, c, probs)
        loss, c, probs = best
        drop, add = precision_thresholds(passages, kind, probs, y, is_rule)
        baseline = simulate_f1(passages, probs, kind, 0.0, 1.01)
        f1 = simulate_f1(passages, probs, kind, drop, add)
        log(f"{kind}: C={c} (CV log-loss {loss:.3f}); drop<{drop}, add>={add}; "
            f"CV overlap F1 rules-only {baseline:.3f} -> {f1:.3f}")
        coef, intercept = _fit(x, y, c)
        out["kinds"][kind] = {"coef": [round(float(v), 6) for v in coef], "intercept": intercept, "C": c,
                              "drop_below": drop, "add_above": add, "cv_f1": round(f1, 4),
                              "cv_f1_rules_only": round(baseline, 4), "n_positive": int(y.sum())}
    return out


def write_model(model: dict, path: Path) -> None:
    """Write the model JSON atomically (temporary file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clause_model.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(model, handle)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--dev2", type=Path, default=DEV2)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--rule-features", action="store_true", help="also use the rule hits as features")
    parser.add_argument("--limit", type=int, default=0, help="train on the first N passages only (tests)")
    args = parser.parse_args(argv)
    items = training_items(args.dev, args.dev2)
    if args.limit:
        items = items[:args.limit]
    model = train(items, rule_features=args.rule_features)
    write_model(model, args.out)
    print(f"model written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
