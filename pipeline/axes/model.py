"""Features and the stored linear model of the axis classifier.

Every pipeline we train is linear on [sentence embedding | weighted char n-gram TF-IDF], so a
trained model is fully described by arrays (coefficients, intercepts, sigmoid calibration
parameters, IDF weights) and a vocabulary. We store those in ``.npz`` (loaded with
``allow_pickle=False``) plus a JSON metadata file, and rebuild ``predict_proba`` ourselves:
loading a model never executes code. See ``pipeline/axes/README.md`` for the format.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

FORMAT_VERSION = 1
MODEL_FILE, META_FILE = "axes_model.npz", "axes_model.json"
ARRAY_KEYS = {"coef", "intercept", "calib_a", "calib_b", "tfidf_idf"}
TFIDF_ANALYZER = dict(analyzer="char_wb", ngram_range=(3, 5), lowercase=True)


class ModelIntegrityError(ValueError):
    """A stored model is incomplete, modified after saving, or holds unexpected content."""


@dataclass
class CharTfidf:
    """Char n-gram TF-IDF (sublinear tf, smooth idf, L2 rows) defined only by vocabulary + idf."""

    vocabulary: list[str]
    idf: np.ndarray

    @classmethod
    def fit(cls, texts: list[str], max_features: int, min_df: int = 2) -> "CharTfidf":
        """Learn the vocabulary and IDF weights from training texts."""
        counter = CountVectorizer(**TFIDF_ANALYZER, min_df=min(min_df, len(texts)), max_features=max_features)
        counts = counter.fit_transform(texts)
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
        return cls(list(counter.get_feature_names_out()), idf.astype(np.float64))

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        """TF-IDF rows of ``texts`` over the fixed vocabulary."""
        counter = CountVectorizer(**TFIDF_ANALYZER, vocabulary={t: i for i, t in enumerate(self.vocabulary)})
        counts = counter.transform(texts).astype(np.float64).tocsr()
        counts.data = 1.0 + np.log(counts.data)
        return normalize(sp.csr_matrix(counts.multiply(self.idf[None, :])), norm="l2")


def build_features(embeddings: np.ndarray, texts: list[str], tfidf: CharTfidf | None, tfidf_weight: float):
    """Design matrix: embeddings alone, or embeddings next to weighted TF-IDF (sparse)."""
    if tfidf is None:
        return np.asarray(embeddings, dtype=np.float64)
    return sp.hstack([sp.csr_matrix(embeddings.astype(np.float64)), tfidf.transform(texts) * tfidf_weight]).tocsr()


@dataclass
class LinearAxisModel:
    """A linear axis classifier: softmax over scores, or one-vs-rest sigmoid calibration then normalisation."""

    pipeline: str
    classes: list[str]
    coef: np.ndarray  # (n_classes, n_features)
    intercept: np.ndarray  # (n_classes,)
    link: str = "softmax"  # or "sigmoid_ovr" (CalibratedClassifierCV, method="sigmoid")
    calib_a: np.ndarray | None = None
    calib_b: np.ndarray | None = None
    tfidf: CharTfidf | None = None
    tfidf_weight: float = 0.0
    meta: dict = field(default_factory=dict)

    def features(self, embeddings: np.ndarray, texts: list[str]):
        """Design matrix for this model."""
        return build_features(embeddings, texts, self.tfidf, self.tfidf_weight)

    def predict_proba(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        """Class probabilities (n, n_classes), columns in ``classes`` order."""
        x = self.features(embeddings, texts)
        scores = np.asarray(x @ self.coef.T) + self.intercept
        if self.link == "softmax":
            return softmax(scores, axis=1)
        proba = expit(-(self.calib_a * scores + self.calib_b))
        total = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1.0 / len(self.classes))
        return np.divide(proba, total, out=uniform, where=total != 0)

    @property
    def version(self) -> str:
        """Short hash identifying the saved model (set by :func:`save_model`)."""
        return self.meta.get("model_version", "unsaved")


def _arrays(model: LinearAxisModel) -> dict[str, np.ndarray]:
    arrays = {"coef": model.coef.astype(np.float64), "intercept": model.intercept.astype(np.float64)}
    if model.link == "sigmoid_ovr":
        arrays["calib_a"], arrays["calib_b"] = model.calib_a.astype(np.float64), model.calib_b.astype(np.float64)
    if model.tfidf is not None:
        arrays["tfidf_idf"] = model.tfidf.idf.astype(np.float64)
    return arrays


def _checksum(header: dict) -> str:
    payload = json.dumps({k: v for k, v in header.items() if k != "checksum"}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def save_model(model: LinearAxisModel, directory: Path) -> str:
    """Write ``axes_model.npz`` and ``axes_model.json`` in ``directory``; return the model version."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tmp_npz = directory / (MODEL_FILE + ".tmp.npz")
    np.savez(tmp_npz, **_arrays(model))
    npz_sha = hashlib.sha256(tmp_npz.read_bytes()).hexdigest()
    header = {"format_version": FORMAT_VERSION, "pipeline": model.pipeline, "classes": model.classes,
              "link": model.link, "tfidf_weight": model.tfidf_weight,
              "tfidf_vocabulary": model.tfidf.vocabulary if model.tfidf else None,
              "tfidf_analyzer": {**TFIDF_ANALYZER, "ngram_range": list(TFIDF_ANALYZER["ngram_range"])},
              "arrays_sha256": npz_sha, "metadata": model.meta}
    header["metadata"] = {**model.meta, "model_version": npz_sha[:12]}
    header["checksum"] = _checksum(header)
    tmp_json = directory / (META_FILE + ".tmp")
    tmp_json.write_text(json.dumps(header, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp_npz.replace(directory / MODEL_FILE)
    tmp_json.replace(directory / META_FILE)
    model.meta = header["metadata"]
    return model.version


def model_exists(directory: Path) -> bool:
    """True when both model files are present."""
    return (Path(directory) / MODEL_FILE).exists() and (Path(directory) / META_FILE).exists()


def load_model(directory: Path) -> LinearAxisModel:
    """Load a model saved by :func:`save_model`, refusing anything modified or unexpected."""
    directory = Path(directory)
    try:
        header = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{directory / META_FILE}: unreadable metadata ({exc})") from exc
    if header.get("format_version") != FORMAT_VERSION or header.get("checksum") != _checksum(header):
        raise ModelIntegrityError(f"{directory / META_FILE}: checksum or format version mismatch (file modified?)")
    raw = (directory / MODEL_FILE).read_bytes()
    if hashlib.sha256(raw).hexdigest() != header["arrays_sha256"]:
        raise ModelIntegrityError(f"{directory / MODEL_FILE}: content differs from the saved model (tampered?)")
    try:
        with np.load(directory / MODEL_FILE, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as exc:  # object arrays would need pickle: refused
        raise ModelIntegrityError(f"{directory / MODEL_FILE}: {exc}") from exc
    unknown = set(arrays) - ARRAY_KEYS
    if unknown or any(a.dtype.kind != "f" for a in arrays.values()):
        raise ModelIntegrityError(f"{directory / MODEL_FILE}: unexpected arrays {sorted(unknown)} or dtypes")
    classes = list(header["classes"])
    coef, intercept = arrays["coef"], arrays["intercept"]
    if coef.shape[0] != len(classes) or intercept.shape != (len(classes),):
        raise ModelIntegrityError(f"{directory}: coefficient shapes do not match {len(classes)} classes")
    vocab = header.get("tfidf_vocabulary")
    tfidf = CharTfidf(list(vocab), arrays["tfidf_idf"]) if vocab is not None else None
    return LinearAxisModel(pipeline=header["pipeline"], classes=classes, coef=coef, intercept=intercept,
                           link=header["link"], calib_a=arrays.get("calib_a"), calib_b=arrays.get("calib_b"),
                           tfidf=tfidf, tfidf_weight=float(header["tfidf_weight"]), meta=header["metadata"])
