"""Axis classifier pieces that need no embedder: storage safety, calibration rebuild, threshold, data, export."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from pipeline.axes import ModelIntegrityError, export_for_annotation, load_axes, load_model, load_training_set, save_model
from pipeline.axes.evaluation import calibration, review_threshold
from pipeline.axes.model import META_FILE, MODEL_FILE, _checksum
from pipeline.axes.training import fit_candidate
from pipeline.config import AxesConfig

AXES = ["gouvernance", "acces_donnees", "passage_echelle", "acculturation", "financement", "confiance", "hors_axe"]


def _toy_data(n_per_class: int = 12, dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, dim))
    x = np.vstack([c + 0.8 * rng.normal(size=(n_per_class, dim)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.repeat(["confiance", "financement", "hors_axe"], n_per_class)
    texts = [f"texte {label} numéro {i} sur les données" for i, label in enumerate(y)]
    return x.astype(np.float32), texts, y


def test_axes_yaml_defines_the_seven_axes():
    axes = load_axes()
    assert [a.id for a in axes] == AXES
    assert all(len(a.definition.split()) >= 20 and a.inclut and a.exclut and a.nom for a in axes)


@pytest.mark.parametrize("name", ["lr_emb", "svm_emb_calibrated", "lr_emb_tfidf", "svm_emb_tfidf_calibrated"])
def test_saved_model_round_trip_gives_identical_probabilities(name, tmp_path):
    x, texts, y = _toy_data()
    model = fit_candidate(name, x, texts, y, np.ones(len(y)), AxesConfig())
    version = save_model(model, tmp_path)
    loaded = load_model(tmp_path)
    assert loaded.version == version and loaded.classes == sorted(set(y))
    assert np.allclose(loaded.predict_proba(x, texts), model.predict_proba(x, texts))
    assert np.allclose(loaded.predict_proba(x, texts).sum(axis=1), 1.0)


def test_rebuilt_calibrated_svm_matches_scikit_learn():
    x, texts, y = _toy_data()
    model = fit_candidate("svm_emb_calibrated", x, texts, y, np.ones(len(y)), AxesConfig())
    reference = CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced", random_state=42),
                                       method="sigmoid", cv=3, ensemble=False).fit(x.astype(np.float64), y)
    assert np.allclose(model.predict_proba(x, texts), reference.predict_proba(x.astype(np.float64)), atol=1e-8)


def test_loading_never_unpickles_even_with_consistent_hashes(tmp_path):
    x, texts, y = _toy_data()
    save_model(fit_candidate("lr_emb", x, texts, y, np.ones(len(y)), AxesConfig()), tmp_path)
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    np.savez(tmp_path / MODEL_FILE, coef=np.array([Payload()], dtype=object), intercept=np.zeros(3))
    header = json.loads((tmp_path / META_FILE).read_text())
    header["arrays_sha256"] = hashlib.sha256((tmp_path / MODEL_FILE).read_bytes()).hexdigest()
    header["checksum"] = _checksum(header)  # an attacker who recomputes the hashes
    (tmp_path / META_FILE).write_text(json.dumps(header))
    with pytest.raises(ModelIntegrityError):
        load_model(tmp_path)
    assert not marker.exists()


def test_review_threshold_is_the_lowest_reaching_the_target():
    top = np.array([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
    correct = np.array([0, 0, 1, 0, 1, 1, 1, 1, 1, 1], dtype=bool)
    result = review_threshold(top, correct, 0.9)  # from 0.4: 7/8, from 0.5: 6/7, from 0.6: 6/6
    assert result["threshold"] == 0.6 and result["coverage"] == 0.6 and result["accuracy_above"] == 1.0
    assert review_threshold(top, np.zeros(10, dtype=bool), 0.9)["threshold"] == 1.0


def test_calibration_of_a_perfect_and_an_overconfident_model():
    y = np.array(["a", "b", "a", "b"])
    perfect = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert calibration(y, perfect, ["a", "b"]) == {"bins": [{"from": 0.9, "to": 1.0, "n": 4, "confidence": 1.0,
                                                             "accuracy": 1.0}], "ece": 0.0, "brier": 0.0}
    wrong = 1.0 - perfect  # always confidently wrong
    assert calibration(y, wrong, ["a", "b"])["ece"] == 1.0


def test_corrections_win_and_bad_rows_are_rejected_with_line_numbers(tmp_path):
    (tmp_path / "exemples.jsonl").write_text("\n".join([
        json.dumps({"text": "Le budget manque.", "axis": "financement"}),
        "{broken",
        json.dumps({"text": "Texte quelconque.", "axis": "inconnu"}),
        json.dumps({"text": "Former les élus.", "axis": "acculturation", "passage_id": "p9"})]) + "\n")
    pd.DataFrame({"passage_id": ["", "p9", "p10"], "text": ["le budget  MANQUE.", "autre texte", "x"],
                  "axe_corrige": ["confiance", "gouvernance", ""]}).to_csv(tmp_path / "corrections_a.csv", index=False)
    (tmp_path / "heldout").mkdir()
    (tmp_path / "heldout" / "style.jsonl").write_text(json.dumps({"id": "h", "text": "t", "axis": "confiance"}) + "\n")
    training = load_training_set(tmp_path, correction_weight=4.0)
    rows = training.examples.set_index("text")
    assert rows.loc["le budget  MANQUE.", "axis"] == "confiance" and rows.loc["le budget  MANQUE.", "weight"] == 4.0
    assert "Le budget manque." not in rows.index and "Former les élus." not in rows.index  # same text / passage_id
    assert rows.loc["autre texte", "axis"] == "gouvernance" and "t" not in rows.index
    assert [(r["file"], r["line"]) for r in training.rejects.to_dict("records")] == [("exemples.jsonl", 2), ("exemples.jsonl", 3)]
    assert training.unannotated == 1


def test_export_for_annotation_picks_uncertain_passages_and_every_topic():
    ids = [f"p{i}" for i in range(6)]
    passages = pd.DataFrame({"passage_id": ids, "text": [f"passage {i}" for i in range(6)]})
    axes = pd.DataFrame({"passage_id": ids, "axis": "confiance", "axis_2": "financement",
                         "probability": [0.9, 0.4, 0.5, 0.95, 0.35, 0.6],
                         "probability_2": [0.05, 0.38, 0.2, 0.01, 0.3, 0.1]})
    topics = pd.DataFrame({"passage_id": ids, "topic_key": ["t1", "t1", "t1", "t2", "t1", "t1"]})
    sheet = export_for_annotation(passages, axes, topics, n=3)
    assert list(sheet.columns) == ["passage_id", "texte", "axe_propose", "probabilite", "axe_2", "axe_corrige", "commentaire"]
    assert list(sheet["passage_id"]) == ["p1", "p4", "p3"]  # margins .02, .05, then t2's only passage
    assert (sheet["axe_corrige"] == "").all()
    assert list(export_for_annotation(passages, axes, None, n=2, exclude_ids={"p1"})["passage_id"]) == ["p4", "p2"]
