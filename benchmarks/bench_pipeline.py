"""Benchmark of the whole pipeline: full run and update with 1% new contributions.

Builds corpora of N contributions (mixed formats) from ../shared/corpora in a temporary folder,
runs `python -m pipeline run` in a child process (so peak memory is the run's own), adds 1% new
contributions, runs again (incremental update) and prints per-stage times, passages/s, peak memory
and the ratio update/full.

Usage: python benchmarks/bench_pipeline.py [--sizes 100 1000 10000] [--keep DIR] [--texts-per-contribution K]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.corpus import CORPORA, build_corpus  # noqa: E402


def _run(raw: Path, processed: Path, models: Path) -> tuple[float, float, dict]:
    """Run the pipeline in a child process; return (seconds, its peak MB from the ledger, ledger entry)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--processed", str(processed),
                    "--models", str(models), "--quiet"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    entry = json.loads((processed / "runs.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    return seconds, entry["peak_memory_mb"], entry


def _peak(peak_mb: float, entry: dict) -> str:
    workers = entry.get("peak_worker_memory_mb", 0.0)
    return f"peak {peak_mb:7.0f} MB" + (f" (+ workers, {workers:.0f} MB each at most)" if workers else "")


def _stage_line(entry: dict) -> str:
    return "  ".join(f"{s['name']}={s['seconds']:.1f}s({s['status'][0]}:{s['n_new']})" for s in entry["stages"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--keep", type=Path, help="keep corpora and outputs in this folder")
    parser.add_argument("--texts-per-contribution", type=int, default=1,
                        help="shared texts joined into one contribution (1: ~6.5 passages each; 5: ~30)")
    args = parser.parse_args()
    if not CORPORA.exists():
        sys.exit(f"shared corpora not found at {CORPORA}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            base = (args.keep / str(size)) if args.keep else Path(tmp)
            raw, processed, models = base / "raw", base / "processed", base / "models"
            build_corpus(raw, size, texts_per_contribution=args.texts_per_contribution)
            full_s, full_peak, full = _run(raw, processed, models)
            import pandas as pd
            passages = len(pd.read_parquet(processed / "passages.parquet"))
            new = max(1, size // 100)
            build_corpus(raw, new, seed=1, start=size, texts_per_contribution=args.texts_per_contribution)
            upd_s, upd_peak, upd = _run(raw, processed, models)
            print(f"== {size} contributions, {passages} passages ({passages / size:.1f} per contribution)")
            print(f"full run   {full_s:8.1f} s  {passages / full_s:8.1f} passages/s  {_peak(full_peak, full)}")
            print(f"           {_stage_line(full)}")
            print(f"update +{new:<3}{upd_s:8.1f} s  ratio update/full {upd_s / full_s:5.1%}  {_peak(upd_peak, upd)}")
            print(f"           {_stage_line(upd)}")


if __name__ == "__main__":
    main()
