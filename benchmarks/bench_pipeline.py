"""Benchmark of the whole pipeline: full run and update with 1% new contributions.

Builds corpora of N contributions (mixed formats) from ../shared/corpora in a temporary folder,
runs `python -m pipeline run` in a child process, adds 1% new contributions, runs again
(incremental update) and prints per-stage times, passages/s, peak memory (the summed RSS of the
run's processes, sampled every 0.5 s) and the ratio update/full.

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


class TreeMemory:
    """Samples the summed RSS of a process and its descendants (every ``interval`` s) in a thread.

    The run's ledger reads ``getrusage``, whose figure for a spawned worker starts at the parent's
    size when it was started (Linux keeps the high-water mark across fork and exec): summing the
    live processes is the honest "memory in use at once"."""

    def __init__(self, pid: int, interval: float = 0.5):
        import threading

        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                total = 0
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak_mb = max(self.peak_mb, total / 2**20)
            except psutil.Error:
                return
            self._stop.wait(self.interval)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _run(raw: Path, processed: Path, models: Path) -> tuple[float, float, dict]:
    """Run the pipeline in a child process; return (seconds, peak MB of all its processes at once, ledger entry)."""
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--processed", str(processed),
                              "--models", str(models), "--quiet"], cwd=REPO, stdout=subprocess.DEVNULL)
    memory = TreeMemory(child.pid)
    if child.wait() != 0:
        sys.exit(f"pipeline run failed with code {child.returncode}")
    seconds = time.perf_counter() - t0
    tree_mb = memory.stop()
    entry = json.loads((processed / "runs.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    return seconds, tree_mb, entry


def _peak(tree_mb: float, entry: dict) -> str:
    return f"peak {tree_mb:7.0f} MB all processes at once (main alone {entry['peak_memory_mb']:.0f} MB)"


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
