"""Runner: skipping, row-level reuse, retirement, idempotence, crash safety (ingest and segment)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.runner import run_pipeline
from pipeline.store import Store
REPO = Path(__file__).resolve().parents[1]

STAGES = ("ingest", "segment")
TABLES = ("manifest", "contributions", "documents", "passages")


def _config(tmp_path: Path, raw: Path, processed: Path):
    yaml_file = tmp_path / "config.yaml"
    yaml_file.write_text("privacy:\n  enabled: false\n", encoding="utf-8")
    return load_config(yaml_file, raw=raw, processed=processed, models=tmp_path / "models"), yaml_file


def _tables(processed: Path) -> dict[str, pd.DataFrame]:
    store = Store(processed)
    return {name: store.read(name) for name in TABLES}


def test_second_run_skips_and_tables_are_identical(tmp_path, small_raw):
    config, _ = _config(tmp_path, small_raw, tmp_path / "out")
    first = run_pipeline(config, STAGES, show_progress=False)
    assert [r.status for r in first] == ["ran", "ran"]
    before = _tables(tmp_path / "out")
    second = run_pipeline(config, STAGES, show_progress=False)
    assert [r.status for r in second] == ["skipped", "skipped"]
    forced = run_pipeline(config, STAGES, force=True, show_progress=False)
    assert [r.status for r in forced] == ["ran", "ran"]
    after = _tables(tmp_path / "out")
    for name in TABLES:
        pd.testing.assert_frame_equal(before[name], after[name])
    ledger = (tmp_path / "out" / "runs.jsonl").read_text().splitlines()
    assert len(ledger) == 3
    entry = json.loads(ledger[-1])
    assert entry["peak_memory_mb"] > 0 and entry["peak_worker_memory_mb"] >= 0


def test_new_changed_and_removed_files(tmp_path, small_raw):
    config, _ = _config(tmp_path, small_raw, tmp_path / "out")
    run_pipeline(config, STAGES, show_progress=False)
    old = _tables(tmp_path / "out")
    (small_raw / "nouveau.txt").write_text("Une nouvelle contribution sur la gestion des déchets et les tournées de collecte.",
                                           encoding="utf-8")
    (small_raw / "sub" / "syndicat.odt").unlink()
    (small_raw / "lot.zip").unlink()
    reports = run_pipeline(config, STAGES, show_progress=False)
    new = _tables(tmp_path / "out")
    ingest_report = reports[0]
    assert ingest_report.n_new == 1, "only the new file is read again"
    assert ingest_report.retired["contributions"] == 3  # syndicat.odt + two zip members
    kept = old["passages"][~old["passages"]["doc_id"].isin(
        old["documents"].loc[old["documents"]["path"].str.startswith(("sub/", "lot.zip")), "doc_id"])]
    assert set(kept["passage_id"]) <= set(new["passages"]["passage_id"]), "old passages keep their ids"
    retired = pd.read_parquet(tmp_path / "out" / "retired" / "contributions.parquet")
    assert set(retired["source_path"]) == {"sub/syndicat.odt", "lot.zip!a.txt", "lot.zip!b.md"}
    # An incremental run gives exactly what a rebuild gives.
    rebuild_config, _ = _config(tmp_path, small_raw, tmp_path / "rebuilt")
    run_pipeline(rebuild_config, STAGES, incremental=False, show_progress=False)
    rebuilt = _tables(tmp_path / "rebuilt")
    for name in TABLES:
        pd.testing.assert_frame_equal(new[name], rebuilt[name])


def test_duplicates_are_reused_while_their_original_holds_and_reread_when_it_goes(tmp_path, small_raw):
    """Incremental ingestion with duplicates equals a from-scratch ingestion at every step."""
    text = "Contribution reçue deux fois : nos données de collecte des déchets ne sont pas partagées par le prestataire."
    (small_raw / "b-original.txt").write_text(text, encoding="utf-8")
    (small_raw / "c-copie-texte.md").write_text(text + "\n\n", encoding="utf-8")  # same text, other bytes
    (small_raw / "d-copie-octets.txt").write_text(text, encoding="utf-8")         # same bytes
    config, _ = _config(tmp_path, small_raw, tmp_path / "out")
    run_pipeline(config, ("ingest",), show_progress=False)
    reasons = Store(tmp_path / "out").read("manifest").set_index("path")["reason"]
    assert reasons["c-copie-texte.md"].startswith("same text") and reasons["d-copie-octets.txt"].startswith("same bytes")
    (small_raw / "nouveau.txt").write_text("Une autre contribution, sur les tournées de collecte.", encoding="utf-8")
    report = run_pipeline(config, ("ingest",), show_progress=False)[0]
    assert report.n_new == 1, "unchanged duplicates are reused, not read again"
    (small_raw / "b-original.txt").unlink()  # the copies must now be read again: one becomes the original
    (small_raw / "a-premier.txt").write_text("Un premier fichier.", encoding="utf-8")
    run_pipeline(config, ("ingest",), show_progress=False)
    incremental = Store(tmp_path / "out").read("manifest")
    fresh_config, _ = _config(tmp_path, small_raw, tmp_path / "fresh")
    run_pipeline(fresh_config, ("ingest",), show_progress=False)
    fresh = Store(tmp_path / "fresh").read("manifest")
    pd.testing.assert_frame_equal(incremental.reset_index(drop=True), fresh.reset_index(drop=True))
    statuses = fresh.set_index("path")["status"]
    assert statuses["c-copie-texte.md"] == "ok" and statuses["d-copie-octets.txt"] == "duplicate"


def test_changed_file_gets_new_ids(tmp_path, small_raw):
    config, _ = _config(tmp_path, small_raw, tmp_path / "out")
    run_pipeline(config, STAGES, show_progress=False)
    old = _tables(tmp_path / "out")["contributions"]
    (small_raw / "lot.zip").unlink()
    from pipeline.synth.writers import render_docx
    (small_raw / "agglo.docx").write_bytes(render_docx(["Un texte entièrement réécrit sur la formation des élus à la donnée."]))
    run_pipeline(config, STAGES, show_progress=False)
    new = _tables(tmp_path / "out")["contributions"]
    old_id = old.loc[old["source_path"] == "agglo.docx", "contribution_id"].item()
    new_id = new.loc[new["source_path"] == "agglo.docx", "contribution_id"].item()
    assert old_id != new_id
    retired = pd.read_parquet(tmp_path / "out" / "retired" / "contributions.parquet")
    assert old_id in set(retired["contribution_id"])


def _cli(args: list[str], env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("point", ["start", "before-commit", "mid-commit", "before-state"])
def test_killed_run_leaves_previous_outputs_and_next_run_completes(tmp_path, small_raw, stage, point):
    out = tmp_path / "out"
    _, yaml_file = _config(tmp_path, small_raw, out)
    common = ["--raw", str(small_raw), "--processed", str(out), "--models", str(tmp_path / "models"),
              "--config", str(yaml_file), "--quiet"]
    assert _cli(["ingest", *common]).returncode == 0
    assert _cli(["segment", *common]).returncode == 0
    previous = _tables(out)
    (small_raw / "nouveau.txt").write_text("Nouvelle contribution : la métropole partage ses données de stationnement.",
                                           encoding="utf-8")
    crashed = _cli(["run", *common], {"PIPELINE_TEST_CRASH": f"{stage}:{point}"})
    assert crashed.returncode == 137, crashed.stderr
    # Previous outputs are still readable and consistent (every passage's document exists).
    store = Store(out)
    store.recover()
    now = _tables(out)
    assert set(now["passages"]["doc_id"]) <= set(now["documents"]["doc_id"]) | set(previous["documents"]["doc_id"])
    for name in TABLES:
        assert len(now[name]) >= len(previous[name]) or name == "passages"
    # The next run completes the work and matches a clean run.
    done = _cli(["ingest", *common])
    assert done.returncode == 0, done.stderr
    assert _cli(["segment", *common]).returncode == 0
    clean_out = tmp_path / "clean"
    clean = ["--raw", str(small_raw), "--processed", str(clean_out), "--config", str(yaml_file), "--quiet"]
    assert _cli(["ingest", *clean]).returncode == 0 and _cli(["segment", *clean]).returncode == 0
    final, reference = _tables(out), _tables(clean_out)
    for name in TABLES:
        pd.testing.assert_frame_equal(final[name], reference[name])
    assert not (out / ".lock").exists()


def test_concurrent_run_is_refused_with_clear_message(tmp_path, small_raw):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; from pipeline.store import Store; "
                               f"Store({str(out)!r}).acquire(); print('locked', flush=True); time.sleep(30)"],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = _cli(["ingest", "--raw", str(small_raw), "--processed", str(out), "--quiet"])
        assert result.returncode == 3 and "another pipeline run" in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_dask_execution_gives_the_same_tables(tmp_path, small_raw):
    pytest.importorskip("distributed")
    from pipeline.parallel import shutdown

    (small_raw / "zz-copie.pdf").write_bytes((small_raw / "commune.pdf").read_bytes())  # duplicate across partitions
    local_config, _ = _config(tmp_path, small_raw, tmp_path / "local")
    run_pipeline(local_config, STAGES, show_progress=False)
    yaml_file = tmp_path / "dask.yaml"
    yaml_file.write_text("privacy:\n  enabled: false\nexecution:\n  executor: dask\n  workers: 2\n  partition_size: 2\n")
    dask_config = load_config(yaml_file, raw=small_raw, processed=tmp_path / "dask", models=tmp_path / "models")
    try:
        run_pipeline(dask_config, STAGES, show_progress=False)
    finally:
        shutdown()
    local, distributed = _tables(tmp_path / "local"), _tables(tmp_path / "dask")
    for name in TABLES:
        pd.testing.assert_frame_equal(local[name], distributed[name])
    assert (local["manifest"]["status"] == "duplicate").sum() >= 2


def test_code_fingerprints_do_not_depend_on_where_the_checkout_lives(tmp_path, monkeypatch):
    import shutil

    import pipeline.runner as runner
    from pipeline.stages import STAGES as SPECS

    spec = next(s for s in SPECS if s.name == "segment")
    here = runner.code_fingerprint(spec)
    prints = []
    for where in ("a/deep/checkout", "b"):
        package = tmp_path / where / "pipeline"
        shutil.copytree(runner.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.setattr(runner, "PACKAGE_DIR", package)
        prints.append(runner.code_fingerprint(spec))
    assert prints == [here, here]
    (package / "segment.py").write_text("# changed\n", encoding="utf-8")
    assert runner.code_fingerprint(spec) != here
