"""The stage runner: fingerprints, skipping, atomic commits, retired rows, run ledger, summary.

A stage re-runs only when the hash of its code, its configuration sections or its inputs
changed (or with ``force``). Outputs go through :class:`pipeline.store.Store` commits, so a run
killed at any point leaves the previous outputs readable and the next run completes the work.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import resource
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from pipeline import __version__
from pipeline.config import RunConfig, section_fingerprint
from pipeline.ingest import RawFile
from pipeline.io import append_jsonl
from pipeline.schemas import SCHEMAS
from pipeline.stages import STAGES, StageContext, StageOutput, StageSpec
from pipeline.store import Store, crash_point
from pipeline.warmup import WarmUp, start_for_run

PACKAGE_DIR = Path(__file__).resolve().parent
IGNORED_NAMES = {".DS_Store", "Thumbs.db", ".gitkeep"}


def list_raw_files(raw: Path) -> list[RawFile]:
    """Every regular file under the raw folder, recursively (hidden files and OS litter excluded)."""
    files = []
    for path in sorted(Path(raw).rglob("*")):
        rel = path.relative_to(raw)
        if path.is_file() and path.name not in IGNORED_NAMES and not any(p.startswith(".") for p in rel.parts):
            files.append(RawFile(rel.as_posix(), path.read_bytes))
    return files


def _hash_files(paths: list[Path], base: Path) -> str:
    # names relative to ``base``: the same checkout or data in another folder has the same fingerprint
    digest = hashlib.sha256()
    for path in sorted(paths):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(base).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def code_fingerprint(spec: StageSpec) -> str:
    """Hash of the source and data files the stage is made of."""
    paths: list[Path] = []
    for name in spec.code:
        target = PACKAGE_DIR / name
        paths += list(target.rglob("*")) if target.is_dir() else [target]
    return _hash_files(paths, PACKAGE_DIR)


def table_fingerprint(df: pd.DataFrame) -> str:
    """Content hash of a table (row order included, dtypes ignored)."""
    if df.empty:
        return "empty:" + ",".join(df.columns)
    hashed = pd.util.hash_pandas_object(df.astype(str), index=False).values
    return hashlib.sha256(hashed.tobytes() + ",".join(df.columns).encode()).hexdigest()[:16]


def _raw_fingerprint(raw: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(raw).rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(raw).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _extra_fingerprint(config: RunConfig, spec: StageSpec) -> str:
    parts = []
    for name in spec.extra_inputs:
        base = config.paths.annotations if name == "annotations" else config.paths.models / name.split("/", 1)[1]
        if base.exists():
            paths = [p for p in base.rglob("*") if p.is_file() and not p.name.startswith(("~$", "."))]
            parts.append(f"{name}:{_hash_files(paths, base)}" if paths else f"{name}:none")
    return "|".join(parts) or "none"


def _fingerprint(config: RunConfig, spec: StageSpec, inputs: dict[str, pd.DataFrame]) -> str:
    """Hash of the stage's code, configuration sections, input tables and extra input folders."""
    parts = [code_fingerprint(spec), *(section_fingerprint(getattr(config, s)) for s in spec.config_sections),
             *(table_fingerprint(inputs[n]) for n in spec.inputs), _extra_fingerprint(config, spec)]
    if spec.name == "ingest":
        parts.append(_raw_fingerprint(config.paths.raw))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclasses.dataclass
class StageReport:
    name: str
    status: str  # ran, skipped, failed
    seconds: float
    n_in: int = 0
    n_new: int = 0
    outputs: dict = dataclasses.field(default_factory=dict)
    rejects: dict = dataclasses.field(default_factory=dict)
    retired: dict = dataclasses.field(default_factory=dict)
    error: str | None = None


def _key_strings(df: pd.DataFrame, key: tuple[str, ...] | list[str]) -> pd.Series:
    """One string per row joining its key columns (vectorised: tables have ~10^5 rows)."""
    columns = [df[c].astype("string").fillna("<NA>") for c in key]
    joined = columns[0]
    for column in columns[1:]:
        joined = joined.str.cat(column, sep="|")
    return joined


def _retire(store: Store, name: str, old: pd.DataFrame, new: pd.DataFrame, run_id: str) -> tuple[int, pd.DataFrame | None]:
    """Rows of ``old`` whose key is gone from ``new``: appended to ``retired/<name>`` with the run id."""
    spec = SCHEMAS.get(name)
    if spec is None or old.empty or not set(spec.key) <= set(old.columns):
        return 0, None
    old_keys = _key_strings(old, spec.key)
    new_keys = set(_key_strings(new, spec.key)) if not new.empty else set()
    gone = old[~old_keys.isin(new_keys)]
    if gone.empty:
        return 0, None
    gone = gone.assign(retired_by_run=run_id)
    path = store.root / "retired" / f"{name}.parquet"
    previous = pd.read_parquet(path) if path.exists() else None
    combined = gone if previous is None else pd.concat([previous, gone.astype(previous.dtypes.to_dict(), errors="ignore")], ignore_index=True)
    return len(gone), combined


def run_pipeline(config: RunConfig, stages: tuple[str, ...] | None = None, force: bool = False,
                 incremental: bool = True, wait_seconds: float = 0.0, show_progress: bool = True) -> list[StageReport]:
    """Run the selected stages (all by default) in order; return one report per stage."""
    store = Store(config.paths.processed)
    store.acquire(wait_seconds)
    try:
        store.recover()
        return _run_locked(config, store, stages, force, incremental, show_progress)
    finally:
        store.release()


def _run_locked(config, store, stages, force, incremental, show_progress) -> list[StageReport]:
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    started = time.time()
    state = store.state()
    reports: list[StageReport] = []
    selected = [s for s in STAGES if stages is None or s.name in stages]
    for spec in selected:
        t0 = time.perf_counter()
        inputs = {name: store.read(name) for name in spec.inputs}
        raw_files = list_raw_files(config.paths.raw) if spec.name == "ingest" else []
        fingerprint = _fingerprint(config, spec, inputs)
        outputs_exist = all(store.has(n) for n in spec.outputs)
        if not force and outputs_exist and state.get(spec.name, {}).get("fingerprint") == fingerprint:
            reports.append(StageReport(spec.name, "skipped", time.perf_counter() - t0,
                                       outputs={n: state[spec.name].get("rows", {}).get(n, 0) for n in spec.outputs}))
            continue
        previous = {name: store.read(name) for name in spec.outputs} if incremental else {}
        if spec.name == "topics" and incremental:
            previous.update({n: store.read(n) for n in ("passages",)})
        ctx = StageContext(config, inputs, previous, incremental, raw_files, show_progress)
        crash_point(f"{spec.name}:start")
        # the classify and topics caches fill on the second core while spaCy holds the first
        warm_up = start_for_run(config, inputs["passages"], {s.name for s in selected}) if spec.name == "nlp" else WarmUp()
        try:
            output: StageOutput = spec.run(ctx)
            warm_up.join()
        finally:
            warm_up.stop()
        crash_point(f"{spec.name}:before-commit")
        report = StageReport(spec.name, "ran", 0.0, output.n_in, output.n_new,
                             outputs={n: len(df) for n, df in output.tables.items()},
                             rejects=output.rejects["reason"].str.split(":").str[0].value_counts().to_dict() if not output.rejects.empty else {})
        to_commit = dict(output.tables)
        to_commit[f"rejects/{spec.name}"] = output.rejects
        for name, df in output.tables.items():
            count, retired = _retire(store, name, store.read(name) if store.has(name) else pd.DataFrame(), df, run_id)
            if retired is not None:
                report.retired[name] = count
                to_commit[f"retired/{name}"] = retired
        (store.root / "rejects").mkdir(parents=True, exist_ok=True)
        (store.root / "retired").mkdir(parents=True, exist_ok=True)
        store.commit(to_commit, label=spec.name)
        crash_point(f"{spec.name}:before-state")
        if spec.extra_inputs:  # the stage may have written into them (a model trained on first use)
            fingerprint = _fingerprint(config, spec, inputs)
        state[spec.name] = {"fingerprint": fingerprint, "run_id": run_id, "rows": report.outputs}
        store.save_state(state)
        report.seconds = time.perf_counter() - t0
        reports.append(report)
    _ledger(store, run_id, started, reports, incremental)
    return reports


def _ledger(store: Store, run_id: str, started: float, reports: list[StageReport], incremental: bool) -> None:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # worker processes (spaCy n_process, Dask local workers) are not in RUSAGE_SELF: their largest peak
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    append_jsonl({
        "run_id": run_id, "started": datetime.fromtimestamp(started, timezone.utc).isoformat(),
        "seconds": round(time.time() - started, 2), "code_version": __version__, "incremental": incremental,
        "peak_memory_mb": round(peak_mb, 1), "peak_worker_memory_mb": round(child_mb, 1),
        "stages": [dataclasses.asdict(r) | {"seconds": round(r.seconds, 2)} for r in reports],
    }, store.root / "runs.jsonl")
