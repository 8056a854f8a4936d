"""The ``classify`` stage: tag passages with an axis, plus training/evaluation entry points.

Only directories are paths here; the runner and the CLI decide where they are.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from pipeline.axes.data import TrainingSet, load_heldout, load_training_set
from pipeline.axes.evaluation import classification_report
from pipeline.axes.model import LinearAxisModel, load_model, model_exists, save_model
from pipeline.axes.training import fit_from_training_set, zero_shot_model
from pipeline.config import AxesConfig
from pipeline.embeddings import embed_with_cache
from pipeline.ids import text_key
from pipeline.schemas import validate

log = logging.getLogger(__name__)
RESULT_COLUMNS = ["axis", "probability", "axis_2", "probability_2", "a_revoir", "model_version"]


def model_dir(models_dir: Path) -> Path:
    """Folder of the axis model: ``models_dir/axes`` (or ``models_dir`` itself if already named ``axes``)."""
    models_dir = Path(models_dir)
    return models_dir if models_dir.name == "axes" else models_dir / "axes"


def train_axes(annotations_dir: Path, models_dir: Path, config: AxesConfig, embedder, cache=None) -> dict:
    """Train on every example and correction in ``annotations_dir``, save to ``models_dir/axes``; return the report."""
    training = load_training_set(annotations_dir, config.correction_weight)
    model, report = fit_from_training_set(training, config, embedder, cache)
    report["model_version"] = save_model(model, model_dir(models_dir))
    report["rejected_rows"] = training.rejects.to_dict("records")
    report["unannotated_corrections"] = training.unannotated
    return report


def evaluate_axes(annotations_dir: Path, config: AxesConfig, embedder, cache=None) -> dict:
    """Cross-validated report on the project's examples, plus macro-F1 on each held-out style file.

    Held-out files (``heldout/*.jsonl``) are never trained on: the model fit on all project examples
    is tested on each of them, next to the zero-shot baseline.
    """
    training = load_training_set(annotations_dir, config.correction_weight)
    model, report = fit_from_training_set(training, config, embedder, cache)
    baseline = zero_shot_model(embedder, cache, config)
    report["heldout"] = {}
    for style, frame in load_heldout(annotations_dir).items():
        texts = list(frame["text"])
        vectors = embed_with_cache(texts, embedder, cache)
        result = classification_report(list(frame["axis"]), model.predict_proba(vectors, texts), model.classes)
        zero = classification_report(list(frame["axis"]), baseline.predict_proba(vectors, texts), baseline.classes)
        result["zero_shot_macro_f1"] = zero["macro_f1"]
        result["n_dropped_rows"] = frame.attrs.get("dropped", 0)
        report["heldout"][style] = result
    return report


def load_or_train(models_dir: Path, annotations_dir: Path, config: AxesConfig, embedder, cache=None
                  ) -> tuple[LinearAxisModel, TrainingSet]:
    """The saved model, (re)trained first when missing, built for another embedder, or stale."""
    training = load_training_set(annotations_dir, config.correction_weight)
    directory = model_dir(models_dir)
    model = load_model(directory) if model_exists(directory) else None
    reason = None
    if model is None:
        reason = "no trained model"
    elif model.meta.get("embedder") != embedder.model_id:
        reason = f"model built with {model.meta.get('embedder')}, embedder is {embedder.model_id}"
    elif config.retrain_on_new_annotations and model.meta.get("training_hash") != training.data_hash():
        reason = "annotations changed since training"
    if reason:
        log.info("training the axis classifier: %s", reason)
        model, _ = fit_from_training_set(training, config, embedder, cache)
        save_model(model, directory)
    return model, training


def predict(model: LinearAxisModel, texts: list[str], config: AxesConfig, embedder, cache=None) -> pd.DataFrame:
    """Top two axes, probabilities and review flag for each text (row order kept)."""
    if not texts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS})
    vectors = embed_with_cache(texts, embedder, cache)
    proba = model.predict_proba(vectors, texts)
    order = np.argsort(-proba, axis=1, kind="stable")
    first, second = order[:, 0], order[:, 1] if proba.shape[1] > 1 else order[:, 0]
    rows = np.arange(len(texts))
    classes = np.asarray(model.classes)
    threshold = config.review_threshold or float(model.meta.get("review", {}).get("threshold", 1.0))
    return pd.DataFrame({"axis": classes[first], "probability": proba[rows, first],
                         "axis_2": classes[second], "probability_2": proba[rows, second],
                         "a_revoir": proba[rows, first] < threshold, "model_version": model.version})


def _apply_corrections(result: pd.DataFrame, ids: Iterable[str], texts: Iterable[str], corrections: pd.DataFrame) -> pd.DataFrame:
    """A rapporteur's correction (same passage_id or same text) overrides the model's axis."""
    by_id = {p: a for p, a in zip(corrections["passage_id"], corrections["axis"]) if p}
    by_text = {text_key(t): a for t, a in zip(corrections["text"], corrections["axis"]) if t}
    result = result.copy()
    for i, (pid, text) in enumerate(zip(ids, texts)):
        axis = by_id.get(pid) or by_text.get(text_key(text))
        if axis:
            if result.at[i, "axis"] != axis:
                result.loc[i, ["axis_2", "probability_2"]] = [result.at[i, "axis"], result.at[i, "probability"]]
            result.loc[i, ["axis", "probability", "a_revoir"]] = [axis, 1.0, False]
    return result


def _split_valid(ids: list[str], texts: list, key: str) -> tuple[list[int], pd.DataFrame]:
    keep, rejects = [], []
    for i, (pid, text) in enumerate(zip(ids, texts)):
        if not isinstance(text, str) or not text.strip():
            rejects.append({key: pid, "reason": "empty or missing text"})
        else:
            keep.append(i)
    return keep, pd.DataFrame(rejects, columns=[key, "reason"])


def classify_passages(passages: pd.DataFrame, config: AxesConfig, embedder, cache, models_dir: Path,
                      annotations_dir: Path, previous: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``classify`` stage: (``axes`` table, rejects with passage_id and reason).

    With ``previous`` (the last ``axes`` table, incremental runs), rows of passages already tagged by
    the same model version are reused and only the others are classified; ``axes.attrs["n_new"]``
    counts them. Corrections are applied to every row either way.
    """
    model, training = load_or_train(models_dir, annotations_dir, config, embedder, cache)
    ids, texts = list(passages["passage_id"].astype(str)), list(passages["text"])
    keep, rejects = _split_valid(ids, texts, "passage_id")
    ids, texts = [ids[i] for i in keep], [texts[i] for i in keep]
    reusable = pd.DataFrame(columns=["passage_id", *RESULT_COLUMNS])
    if previous is not None and len(previous):
        reusable = previous[previous["passage_id"].isin(ids) & (previous["model_version"] == model.version)]
        reusable = reusable.drop_duplicates("passage_id")
    done = set(reusable["passage_id"])
    todo = [i for i, pid in enumerate(ids) if pid not in done]
    fresh = predict(model, [texts[i] for i in todo], config, embedder, cache)
    fresh.insert(0, "passage_id", [ids[i] for i in todo])
    merged = pd.concat([frame.astype(object) for frame in (reusable[fresh.columns], fresh) if len(frame)]
                       or [fresh], ignore_index=True)
    merged = merged.set_index("passage_id").loc[ids].reset_index()
    result = _apply_corrections(merged[RESULT_COLUMNS], ids, texts, training.corrections)
    result.insert(0, "passage_id", ids)
    axes = validate(result, "axes")
    axes.attrs["n_new"] = len(todo)
    return axes, rejects


def classify_texts(records: Iterable[dict], config: AxesConfig, embedder, cache, models_dir: Path,
                   annotations_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Classify ``{"id", "text"}`` records: (id + result columns, rejects with id and reason)."""
    records = list(records)
    ids = [str(r.get("id", "")) for r in records]
    keep, rejects = _split_valid(ids, [r.get("text") for r in records], "id")
    model, training = load_or_train(models_dir, annotations_dir, config, embedder, cache)
    texts = [records[i]["text"] for i in keep]
    kept_ids = [ids[i] for i in keep]
    result = _apply_corrections(predict(model, texts, config, embedder, cache), kept_ids, texts, training.corrections)
    result.insert(0, "id", kept_ids)
    return result, rejects
