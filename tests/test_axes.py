"""Axis classifier on the real example files: training, CV, stage output, CLI, corrections, zero-shot."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.axes import (ModelIntegrityError, axis_ids, classify_passages, evaluate_axes, load_model,
                           load_training_set, model_dir, train_axes)
from pipeline.axes.__main__ import main as axes_cli
from pipeline.axes.model import META_FILE, MODEL_FILE
from pipeline.axes.stage import predict
from pipeline.config import AxesConfig, EmbeddingConfig
from pipeline.embeddings import EmbeddingCache, get_embedder
from pipeline.schemas import validate

ANNOTATIONS = Path(__file__).resolve().parents[1] / "data" / "annotations"
# Fewer folds and candidates than the defaults keep the suite fast; the full comparison runs in the CLI.
FAST = AxesConfig(candidates=("lr_emb", "lr_emb_tfidf"), cv_folds=3)
FASTEST = AxesConfig(candidates=("lr_emb",), cv_folds=2)


@pytest.fixture(scope="session")
def embedder():
    return get_embedder(EmbeddingConfig())


@pytest.fixture(scope="session")
def cache(embedder, request):
    """Embedding cache persisted in pytest's cache folder, so re-runs do not re-embed the examples."""
    folder = Path(request.config.cache.mkdir("axes_embeddings"))
    loaded = EmbeddingCache.load(folder, embedder.model_id)
    yield loaded
    if loaded.misses:  # merge: test_axes_corrections imports this fixture and saves its own copy too
        stored = EmbeddingCache.load(folder, embedder.model_id)
        loaded.vectors = {**stored.vectors, **loaded.vectors}
        loaded.save(folder)


def _copy_examples(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ANNOTATIONS / "exemples_projet.jsonl", target / "exemples_projet.jsonl")
    return target


@pytest.fixture(scope="session")
def trained(embedder, cache, tmp_path_factory):
    """A model trained on a copy of the project's example file (held-out sets excluded)."""
    annotations = _copy_examples(tmp_path_factory.mktemp("annotations"))
    models = tmp_path_factory.mktemp("models")
    report = train_axes(annotations, models, FAST, embedder, cache)
    return report, annotations, models


def test_example_file_covers_every_axis_with_varied_passages():
    examples = [json.loads(line) for line in (ANNOTATIONS / "exemples_projet.jsonl").read_text(encoding="utf-8").splitlines()]
    counts = pd.Series([e["axis"] for e in examples]).value_counts()
    assert set(counts.index) == set(axis_ids())
    assert counts.min() >= 45
    assert {e["source"] for e in examples} == {"projet-v1"}
    words = [len(e["text"].split()) for e in examples]
    assert min(words) <= 3 and 80 <= max(words) <= 150
    assert len({e["text"] for e in examples}) == len(examples)


def test_training_reports_cross_validated_metrics(trained):
    report, _, models = trained
    cv = report["cv"]
    assert report["mode"] == "supervised" and set(cv["candidates"]) == {"lr_emb", "lr_emb_tfidf"}
    assert report["pipeline"] == max(cv["candidates"], key=lambda n: cv["candidates"][n]["macro_f1"])
    chosen = cv["chosen"]
    assert set(chosen["per_axis"]) == set(axis_ids())
    assert sum(map(sum, chosen["confusion"]["matrix"])) == report["n_examples"] == chosen["n"]
    assert sum(b["n"] for b in chosen["calibration"]["bins"]) == chosen["n"]
    assert chosen["macro_f1"] >= 0.75, chosen["macro_f1"]
    review = report["review"]
    assert 0 < review["threshold"] < 1 and review["accuracy_above"] >= 0.9
    assert json.loads((model_dir(models) / META_FILE).read_text())["metadata"]["training_hash"] == report["training_hash"]


def test_classify_passages_returns_a_valid_axes_table(trained, embedder, cache):
    report, annotations, models = trained
    passages = pd.DataFrame({"passage_id": ["p1", "p2", "p3", "p4"], "text": [
        "Le coût des licences et de l'hébergement de notre entrepôt de données dépasse notre budget annuel.",
        "Nous vous prions d'agréer nos salutations distinguées.",
        "   ",
        "Les habitants craignent que les capteurs installés dans les rues servent à les surveiller."]})
    axes, rejects = classify_passages(passages, FAST, embedder, cache, models, annotations)
    assert validate(axes, "axes").equals(axes)
    assert list(axes["passage_id"]) == ["p1", "p2", "p4"]
    assert rejects.to_dict("records") == [{"passage_id": "p3", "reason": "empty or missing text"}]
    assert list(axes["axis"]) == ["financement", "hors_axe", "confiance"]
    assert (axes["probability"] >= axes["probability_2"]).all() and (axes["axis"] != axes["axis_2"]).all()
    assert (axes["a_revoir"] == (axes["probability"] < report["review"]["threshold"])).all()
    assert set(axes["model_version"]) == {report["model_version"]}


def test_classify_text_cli_reports_bad_lines(trained, tmp_path, capsys):
    _, annotations, models = trained
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([
        json.dumps({"id": "a", "text": "Nous demandons une instance de dialogue entre l'État et les collectivités."}),
        "{not json",
        json.dumps({"id": "b", "text": "Former nos agents et nos élus à la culture de la donnée."}),
        json.dumps({"id": "c", "text": ""}),
        json.dumps({"id": "d", "text": "Ci-joint notre contribution, bonne réception."})]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    status = axes_cli(["--annotations", str(annotations), "--models", str(models), "--processed", str(tmp_path),
                       "classify-text", "--input", str(source), "--output", str(out)])
    assert status == 1
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "d"]
    assert all(r["axis"] in axis_ids() and 0 < r["probability"] <= 1 for r in rows)
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [2, 4]
    assert f"{source}:2: invalid JSON" in capsys.readouterr().err


def test_corrections_relabel_passages_and_the_retrained_model_follows(embedder, cache, tmp_path):
    annotations = _copy_examples(tmp_path / "annotations")
    examples = load_training_set(annotations).examples
    moved = examples[examples["axis"] == "financement"].head(8)
    pd.DataFrame({"text": moved["text"], "axis": "confiance", "source": "rapporteur",
                  "passage_id": [f"px{i}" for i in range(len(moved))]}).to_csv(annotations / "corrections_1.csv", index=False)
    # A correction by passage_id only: overrides the stage output for that passage.
    pd.DataFrame({"passage_id": ["p-only-id"], "text": [""], "axe_propose": ["financement"],
                  "axe_corrige": ["gouvernance"]}).to_csv(annotations / "corrections_2.csv", index=False)
    before = load_training_set(ANNOTATIONS).class_counts()
    training = load_training_set(annotations)
    assert training.class_counts()["financement"] == before["financement"] - 8
    assert training.class_counts()["confiance"] == before["confiance"] + 8
    assert training.examples.loc[training.examples["is_correction"], "weight"].eq(3.0).all()
    models = tmp_path / "models"
    report = train_axes(annotations, models, FASTEST, embedder, cache)
    assert report["n_corrections"] == 8
    model = load_model(model_dir(models))
    raw = predict(model, list(moved["text"]), FASTEST, embedder, cache)  # the model itself, no override
    assert (raw["axis"] == "confiance").all(), raw
    passages = pd.DataFrame({"passage_id": ["p-only-id"], "text": [moved["text"].iloc[0] + " Merci."]})
    axes, _ = classify_passages(passages, FASTEST, embedder, cache, models, annotations)
    assert axes.loc[0, "axis"] == "gouvernance" and axes.loc[0, "probability"] == 1.0


def test_zero_shot_without_examples_then_definitions_fill_missing_axes(embedder, cache, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    report = train_axes(empty, tmp_path / "m0", FAST, embedder, cache)
    assert report["mode"] == "zero_shot" and report["review"]["threshold"] == 1.0
    model = load_model(model_dir(tmp_path / "m0"))
    assert model.classes == axis_ids()
    examples = load_training_set(ANNOTATIONS).examples
    result = predict(model, list(examples["text"]), FAST, embedder, cache)
    accuracy = (result["axis"].to_numpy() == examples["axis"].to_numpy()).mean()
    assert accuracy > 0.35, accuracy  # chance is 1/7
    assert result["a_revoir"].all()
    partial = tmp_path / "partial"
    partial.mkdir()
    examples[examples["axis"].isin(["financement", "confiance", "hors_axe"])].to_json(
        partial / "quelques.jsonl", orient="records", lines=True, force_ascii=False)
    report = train_axes(partial, tmp_path / "m1", FASTEST, embedder, cache)
    assert report["mode"] == "hybrid"
    assert set(report["axes_from_definitions"]) == set(axis_ids()) - {"financement", "confiance", "hors_axe"}
    assert load_model(model_dir(tmp_path / "m1")).classes == sorted(axis_ids())


def test_evaluate_reports_each_heldout_style(embedder, cache, tmp_path):
    annotations = _copy_examples(tmp_path / "annotations")
    (annotations / "heldout").mkdir()
    lines = [{"id": "h1", "text": "Nos élus doivent être formés à la lecture des tableaux de bord.", "axis": "acculturation", "source": "t"},
             {"id": "h2", "text": "Le budget ne permet pas de financer un poste de data analyst.", "axis": "financement", "source": "t"},
             {"id": "h3", "text": "La CNIL et le RGPD inquiètent nos services.", "axis": "confiance", "source": "t"},
             {"id": "h4", "text": "not an axis", "axis": "autre", "source": "t"}]
    (annotations / "heldout" / "courriel.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    report = evaluate_axes(annotations, FASTEST, embedder, cache)
    result = report["heldout"]["courriel"]
    assert result["n"] == 3 and result["n_dropped_rows"] == 1
    assert 0 <= result["macro_f1"] <= 1 and 0 <= result["zero_shot_macro_f1"] <= 1


def test_saved_model_refuses_tampered_files(trained, embedder, cache, tmp_path):
    _, _, models = trained
    copy = tmp_path / "axes"
    shutil.copytree(model_dir(models), copy)
    original = load_model(copy)
    texts = ["Une charte éthique de la donnée pour les habitants."]
    vectors = embedder.encode(texts)
    assert np.allclose(original.predict_proba(vectors, texts), load_model(model_dir(models)).predict_proba(vectors, texts))
    npz = copy / MODEL_FILE
    data = bytearray(npz.read_bytes())
    data[-40] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="tampered"):
        load_model(copy)
    shutil.copy(model_dir(models) / MODEL_FILE, npz)
    header = json.loads((copy / META_FILE).read_text())
    header["classes"] = list(reversed(header["classes"]))
    (copy / META_FILE).write_text(json.dumps(header))
    with pytest.raises(ModelIntegrityError, match="checksum"):
        load_model(copy)


def test_annotate_cli_writes_a_review_sheet_and_empty_input_is_fine(trained, embedder, cache, tmp_path):
    _, annotations, models = trained
    texts = ["Nous manquons de moyens.", "La donnée est un sujet pour nos élus et nos agents.",
             "Les données du délégataire et la confiance des habitants.", "Bonjour à tous."]
    passages = pd.DataFrame({"passage_id": [f"p{i}" for i in range(4)], "text": texts})
    axes, _ = classify_passages(passages, FAST, embedder, cache, models, annotations)
    passages.to_parquet(tmp_path / "passages.parquet")
    axes.to_parquet(tmp_path / "axes.parquet")
    out = tmp_path / "revue.csv"
    assert axes_cli(["--annotations", str(annotations), "--models", str(models), "--processed", str(tmp_path),
                     "annotate", "--output", str(out), "-n", "2"]) == 0
    sheet = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    margins = (axes["probability"] - axes["probability_2"]).to_numpy()
    assert list(sheet["passage_id"]) == list(axes["passage_id"].to_numpy()[np.argsort(margins, kind="stable")][:2])
    assert (sheet["axe_corrige"] == "").all()
    empty, rejects = classify_passages(passages.iloc[:0], FAST, embedder, cache, models, annotations)
    assert len(empty) == 0 and len(rejects) == 0 and list(empty.columns) == list(axes.columns)


def test_incremental_run_reuses_rows_of_the_same_model_version(trained, embedder, cache):
    _, annotations, models = trained
    texts = ["Nous manquons de moyens pour recruter.", "Merci de votre attention.", "Un comité régional de la donnée."]
    first, _ = classify_passages(pd.DataFrame({"passage_id": ["a", "b", "c"], "text": texts}), FAST, embedder, cache,
                                 models, annotations)
    assert first.attrs["n_new"] == 3
    previous = first.copy()
    previous.loc[previous["passage_id"] == "b", "model_version"] = "older-model"
    previous.loc[previous["passage_id"] == "a", "probability"] = 0.123  # proves row "a" is reused, not recomputed
    passages = pd.DataFrame({"passage_id": ["d", "a", "b", "c"], "text": ["Former les agents à la donnée.", *texts]})
    second, _ = classify_passages(passages, FAST, embedder, cache, models, annotations, previous=previous)
    assert second.attrs["n_new"] == 2 and list(second["passage_id"]) == ["d", "a", "b", "c"]
    assert second.set_index("passage_id").loc["a", "probability"] == 0.123
    assert second.set_index("passage_id").loc["b", "model_version"] == first.loc[0, "model_version"]
    assert validate(second, "axes").equals(second)
