"""The whole pipeline on the sample corpus: every table, idempotence, incremental update, crash safety."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.runner import run_pipeline
from pipeline.schemas import SCHEMAS, validate
from pipeline.store import Store

REPO = Path(__file__).resolve().parents[1]
TABLES = [name for name in SCHEMAS]


def _read_all(processed: Path) -> dict[str, pd.DataFrame]:
    store = Store(processed)
    return {name: store.read(name) for name in TABLES}


def test_every_table_is_written_and_valid(sample_run):
    _, processed = sample_run
    tables = _read_all(processed)
    for name, df in tables.items():
        assert (processed / f"{name}.parquet").exists(), name
        validate(df, name)
    passages = tables["passages"]
    assert len(passages) > 150
    assert set(tables["axes"]["passage_id"]) == set(passages["passage_id"]), "every passage is tagged"
    assert set(tables["passage_topics"]["passage_id"]) == set(passages["passage_id"]), "every passage has a theme"
    assert set(tables["mentions"]["kind"]) == {"frein", "cas_usage", "acteur"}
    assert set(tables["mentions"]["passage_id"]) <= set(passages["passage_id"])


def test_second_run_on_same_inputs_gives_identical_tables(sample_run, tmp_path):
    """Also the warm-up's test: the sample is too small for it, so the first run went without; the
    second forces it (embeddings and lemmas prepared in a child process during the NLP stage)."""
    config, processed = sample_run
    first = _read_all(processed)
    yaml_file = tmp_path / "warm.yaml"
    yaml_file.write_text("execution:\n  warm_up_min_passages: 0\n", encoding="utf-8")
    other = load_config(yaml_file, raw=config.paths.raw, processed=tmp_path / "again", models=tmp_path / "models")
    assert other.execution.warm_up and other.execution.warm_up_min_passages == 0
    run_pipeline(other, show_progress=False)
    assert (tmp_path / "models" / "topics" / "lemmas.parquet").exists()
    second = _read_all(tmp_path / "again")
    for name in TABLES:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


def test_update_with_a_new_contribution_keeps_old_ids(sample_run, tmp_path):
    config, processed = sample_run
    raw = tmp_path / "raw"
    shutil.copytree(config.paths.raw, raw)
    out = tmp_path / "processed"
    shutil.copytree(processed, out)
    models = tmp_path / "models"
    shutil.copytree(config.paths.models, models)
    before = _read_all(out)
    (raw / "sample" / "2023-07-03_commune-nouvelle.txt").write_text(
        "La commune de Val-Neuf souhaite suivre la consommation d'eau de ses bâtiments publics. Faute de moyens, "
        "nous ne pouvons pas financer les compteurs communicants et nous manquons de compétences en analyse de données.\n\n"
        "Nous demandons à l'État un accompagnement et un accès simplifié aux données des délégataires.\n\n"
        "[Contribution fictive rédigée pour le projet]", encoding="utf-8")
    updated = load_config(None, raw=raw, processed=out, models=models)
    reports = {r.name: r for r in run_pipeline(updated, show_progress=False)}
    after = _read_all(out)
    assert reports["ingest"].n_new == 1 and reports["nlp"].n_new == len(after["passages"]) - len(before["passages"])
    assert len(after["contributions"]) == len(before["contributions"]) + 1
    for name, key in (("passage_topics", "passage_id"), ("axes", "passage_id"), ("mentions", "mention_id")):
        merged = before[name].merge(after[name], on=key, suffixes=("_old", "_new"))
        assert len(merged) == len(before[name]), f"{name}: old rows kept"
    kept = before["passage_topics"].merge(after["passage_topics"], on="passage_id")
    assert (kept["topic_key_x"] == kept["topic_key_y"]).all(), "old passages keep their topic_key"


@pytest.mark.parametrize("stage", ["nlp", "classify", "topics"])
def test_run_killed_during_a_model_stage_recovers(sample_run, tmp_path, stage):
    config, processed = sample_run
    out = tmp_path / "processed"
    shutil.copytree(processed, out)
    models = tmp_path / "models"
    shutil.copytree(config.paths.models, models)
    before = _read_all(out)
    args = [sys.executable, "-m", "pipeline", "run", "--raw", str(config.paths.raw), "--processed", str(out),
            "--models", str(models), "--quiet", "--force"]
    env = dict(os.environ, PIPELINE_TEST_CRASH=f"{stage}:mid-commit")
    crashed = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    assert (out / "_commit_journal.json").exists(), "killed in the middle of a commit"
    # Tables stay readable; the next run rolls the commit forward and completes.
    for name in TABLES:
        Store(out).read(name)
    done = subprocess.run(args[:-1], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    after = _read_all(out)
    assert not (out / "_commit_journal.json").exists()
    for name in TABLES:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)
