"""Training and evaluation of the axis classifier.

Candidates are linear models over sentence embeddings, optionally next to char n-gram TF-IDF.
They are compared on the same stratified folds; the best out-of-fold macro-F1 wins and is refit on
all examples. Without examples the model is zero-shot (cosine similarity to the axis definitions);
axes without examples get their definition texts as seed examples.
"""
from __future__ import annotations

import warnings
from datetime import datetime, timezone

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from pipeline.axes.data import TrainingSet
from pipeline.axes.definitions import axis_ids, load_axes
from pipeline.axes.evaluation import classification_report, review_threshold
from pipeline.axes.model import CharTfidf, LinearAxisModel, build_features
from pipeline.config import AxesConfig
from pipeline.embeddings import embed_with_cache

# name -> (estimator, uses TF-IDF, regularisation C). C values suit L2-normalised inputs.
CANDIDATES: dict[str, tuple[str, bool, float]] = {
    "lr_emb": ("lr", False, 10.0),
    "svm_emb_calibrated": ("svm", False, 0.5),
    "lr_emb_tfidf": ("lr", True, 100.0),
    "svm_emb_tfidf_calibrated": ("svm", True, 0.5),
}


def fit_candidate(name: str, embeddings: np.ndarray, texts: list[str], y: np.ndarray, weights: np.ndarray,
                  config: AxesConfig) -> LinearAxisModel:
    """Fit one candidate pipeline and return it as a storable linear model."""
    estimator, use_tfidf, c = CANDIDATES[name]
    tfidf = CharTfidf.fit(texts, config.tfidf_max_features) if use_tfidf else None
    x = build_features(embeddings, texts, tfidf, config.tfidf_weight)
    # One BLAS thread: these problems are small and oversubscribed threads were 10x slower.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        if estimator == "lr":
            clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
            clf.fit(x, y, sample_weight=weights)
            coef, intercept = clf.coef_, clf.intercept_
            if len(clf.classes_) == 2:  # binary LR stores one row: softmax([0, s]) == expit(s)
                coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.array([0.0, intercept[0]])
            return LinearAxisModel(name, list(clf.classes_), coef, intercept, "softmax",
                                   tfidf=tfidf, tfidf_weight=config.tfidf_weight)
        svc = LinearSVC(C=c, class_weight="balanced", random_state=config.seed)
        calibrated = CalibratedClassifierCV(svc, method="sigmoid", cv=3, ensemble=False)
        calibrated.fit(x, y, sample_weight=weights)
    fitted = calibrated.calibrated_classifiers_[0]
    return LinearAxisModel(name, list(calibrated.classes_), fitted.estimator.coef_, fitted.estimator.intercept_,
                           "sigmoid_ovr", calib_a=np.array([cal.a_ for cal in fitted.calibrators]),
                           calib_b=np.array([cal.b_ for cal in fitted.calibrators]),
                           tfidf=tfidf, tfidf_weight=config.tfidf_weight)


def usable_candidates(counts: dict[str, int], config: AxesConfig) -> list[str]:
    """Candidates that can be trained on these class counts (calibrated SVMs need >= 3 classes and 5 per class)."""
    present = [n for n in counts.values() if n > 0]
    names = [n for n in config.candidates if n in CANDIDATES]
    if len(present) < 3 or min(present) < 5:
        names = [n for n in names if CANDIDATES[n][0] == "lr"]
    return names or ["lr_emb"]


def cross_validate(embeddings, texts, y, weights, names: list[str], config: AxesConfig) -> tuple[dict, int]:
    """Out-of-fold probabilities of each candidate, all on the same stratified folds."""
    classes = sorted(set(y))
    n_splits = min(config.cv_folds, min(int((y == c).sum()) for c in classes))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=config.seed)
    oof = {name: np.zeros((len(y), len(classes))) for name in names}
    texts = np.asarray(texts, dtype=object)
    for train, test in folds.split(embeddings, y):
        for name in names:
            model = fit_candidate(name, embeddings[train], list(texts[train]), y[train], weights[train], config)
            proba = model.predict_proba(embeddings[test], list(texts[test]))
            for j, cls in enumerate(model.classes):
                oof[name][test, classes.index(cls)] = proba[:, j]
    return oof, n_splits


def zero_shot_model(embedder, cache, config: AxesConfig) -> LinearAxisModel:
    """Cosine similarity to each axis prototype (mean embedding of its definition texts), softmax-scaled."""
    prototypes = []
    for axis in load_axes():
        vector = embed_with_cache(axis.prototype_texts(), embedder, cache).mean(axis=0)
        prototypes.append(vector / np.linalg.norm(vector))
    coef = np.vstack(prototypes).astype(np.float64) / config.zero_shot_temperature
    return LinearAxisModel("zero_shot", axis_ids(), coef, np.zeros(len(prototypes)), "softmax")


def fit_from_training_set(training: TrainingSet, config: AxesConfig, embedder, cache=None) -> tuple[LinearAxisModel, dict]:
    """Choose and fit the classifier for a training set; return the model and its report."""
    counts = training.class_counts()
    report = {"n_examples": int(len(training.examples)), "class_counts": counts,
              "n_corrections": int(training.examples["is_correction"].sum()),
              "n_rejected_rows": int(len(training.rejects)), "embedder": embedder.model_id,
              "training_hash": training.data_hash(), "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if sum(n > 0 for n in counts.values()) < 2:
        model = zero_shot_model(embedder, cache, config)
        report.update(mode="zero_shot", pipeline="zero_shot", cv=None,
                      review={"threshold": 1.0, "note": "zero-shot: every passage is to be reviewed"})
        model.meta = {**report, "classes": model.classes}
        return model, report
    examples = training.examples
    missing = [a for a, n in counts.items() if n == 0]
    texts = list(examples["text"])
    labels = list(examples["axis"])
    weights = list(examples["weight"])
    for axis in load_axes():
        if axis.id in missing:  # definition texts stand in for absent examples
            seeds = axis.prototype_texts()
            texts += seeds
            labels += [axis.id] * len(seeds)
            weights += [1.0] * len(seeds)
    y, w = np.asarray(labels), np.asarray(weights, dtype=float)
    embeddings = embed_with_cache(texts, embedder, cache)
    names = usable_candidates({a: int((y == a).sum()) for a in set(y)}, config)
    report.update(mode="hybrid" if missing else "supervised", axes_from_definitions=missing)
    if min(int((y == c).sum()) for c in set(y)) >= 2:
        oof, n_splits = cross_validate(embeddings, texts, y, w, names, config)
        classes = sorted(set(y))
        scores = {n: classification_report(list(y), p, classes) for n, p in oof.items()}
        best = max(names, key=lambda n: (scores[n]["macro_f1"], -names.index(n)))
        top = oof[best].max(axis=1)
        correct = np.asarray(classes)[oof[best].argmax(axis=1)] == y
        report["cv"] = {"n_splits": n_splits, "seed": config.seed,
                        "candidates": {n: {"macro_f1": s["macro_f1"], "accuracy": s["accuracy"]} for n, s in scores.items()},
                        "chosen": scores[best]}
        report["review"] = review_threshold(top, correct, config.review_accuracy)
    else:
        best = names[0]
        report["cv"] = None
        report["review"] = {"threshold": 1.0, "note": "too few examples for cross-validation: everything reviewed"}
    report["pipeline"] = best
    model = fit_candidate(best, embeddings, texts, y, w, config)
    model.meta = {**report, "classes": model.classes}
    return model, report
