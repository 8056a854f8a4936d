"""Metrics of the axis classifier: scores, confusion, calibration and the review threshold."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def classification_report(y_true: list[str], proba: np.ndarray, classes: list[str], n_bins: int = 10) -> dict:
    """Accuracy, macro-F1, per-axis precision/recall/F1, confusion matrix and calibration of ``proba``."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(classes)[proba.argmax(axis=1)]
    labels = [c for c in classes if c in set(y_true) | set(y_pred)]
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro",
                                         zero_division=0)), 4),
        "per_axis": {lab: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                           "support": int(s)} for lab, p, r, f, s in zip(labels, precision, recall, f1, support)},
        "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
        "calibration": calibration(y_true, proba, classes, n_bins),
    }


def calibration(y_true: np.ndarray, proba: np.ndarray, classes: list[str], n_bins: int = 10) -> dict:
    """Reliability bins of the top probability, expected calibration error and multiclass Brier score."""
    index = {c: i for i, c in enumerate(classes)}
    onehot = np.zeros_like(proba)
    for row, label in enumerate(y_true):
        if label in index:
            onehot[row, index[label]] = 1.0
    top = proba.max(axis=1)
    correct = onehot[np.arange(len(top)), proba.argmax(axis=1)] == 1.0
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (top > lo) & (top <= hi) if lo > 0 else (top >= lo) & (top <= hi)
        if mask.any():
            conf, acc = float(top[mask].mean()), float(correct[mask].mean())
            ece += mask.mean() * abs(acc - conf)
            bins.append({"from": round(lo, 2), "to": round(hi, 2), "n": int(mask.sum()),
                         "confidence": round(conf, 4), "accuracy": round(acc, 4)})
    brier = float(((proba - onehot) ** 2).sum(axis=1).mean()) if len(top) else float("nan")
    return {"bins": bins, "ece": round(float(ece), 4), "brier": round(brier, 4)}


def review_threshold(top_probability: np.ndarray, correct: np.ndarray, target_accuracy: float) -> dict:
    """Lowest threshold t such that predictions with probability >= t are right at least ``target_accuracy``.

    Computed on out-of-fold predictions. Passages below t are flagged ``a_revoir``. When no
    threshold reaches the target, t = 1.0 (everything is reviewed).
    """
    order = np.argsort(top_probability)
    p, c = top_probability[order], correct[order].astype(float)
    suffix_accuracy = np.cumsum(c[::-1])[::-1] / np.arange(len(c), 0, -1)
    ok = np.flatnonzero(suffix_accuracy >= target_accuracy)
    if not len(ok):
        return {"threshold": 1.0, "target_accuracy": target_accuracy, "coverage": 0.0, "accuracy_above": None}
    first = int(ok[0])
    threshold = float(np.floor(p[first] * 1e4) / 1e4)  # floor: the boundary passage stays above
    above = top_probability >= threshold
    return {"threshold": threshold, "target_accuracy": target_accuracy,
            "coverage": round(float(above.mean()), 4), "accuracy_above": round(float(correct[above].mean()), 4)}
