"""Benchmark of the ingest stage: documents/s and peak memory on corpora built from ../shared.

Usage: python benchmarks/bench_ingest.py [--sizes 200 1000] [--no-privacy]
"""
from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpus import CORPORA, build_corpus  # noqa: E402
from pipeline.config import RunConfig  # noqa: E402
from pipeline.ingest import ingest  # noqa: E402
from pipeline.runner import list_raw_files  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--no-privacy", action="store_true", help="skip pseudonymisation (spaCy NER)")
    args = parser.parse_args()
    if not CORPORA.exists():
        sys.exit(f"shared corpora not found at {CORPORA}")
    config = RunConfig()
    privacy = dataclasses.replace(config.privacy, enabled=not args.no_privacy)
    print(f"{'contributions':>13} {'build s':>8} {'ingest s':>9} {'documents':>9} {'docs/s':>8} {'MB raw':>7} {'peak MB':>8}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            build_corpus(Path(tmp), size)
            built = time.perf_counter() - t0
            raw_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
            t0 = time.perf_counter()
            result = ingest(list_raw_files(Path(tmp)), config.ingest, privacy, show_progress=False)
            elapsed = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            n_docs = len(result.documents)
            print(f"{size:>13} {built:>8.1f} {elapsed:>9.1f} {n_docs:>9} {n_docs / elapsed:>8.1f} {raw_mb:>7.1f} {peak:>8.0f}")


if __name__ == "__main__":
    main()
