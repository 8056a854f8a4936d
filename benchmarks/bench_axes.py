"""Benchmark of the axis classifier on real public texts (../shared/corpora), when available.

Cuts the corpus texts into paragraphs (8 to 150 words), classifies them with the saved model
(trained first if absent) and prints throughput, the axis distribution and the share flagged
``a_revoir``. No texts are written anywhere. Usage:

    .venv/bin/python benchmarks/bench_axes.py [--limit 600] [--corpus datactivist_challengedata_carnets_de_bord]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpora"
sys.path.insert(0, str(REPO))

from pipeline.axes import classify_passages  # noqa: E402
from pipeline.config import AxesConfig, EmbeddingConfig  # noqa: E402
from pipeline.embeddings import EmbeddingCache, get_embedder  # noqa: E402


def paragraphs(corpus: Path, limit: int) -> pd.DataFrame:
    """Paragraphs of the ``text`` field of every record (``_meta`` line skipped)."""
    rows = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for part in str(record.get("text", "")).split("\n\n"):
            words = len(part.split())
            if 8 <= words <= 150:
                rows.append({"passage_id": f"b{len(rows)}", "text": part.strip()})
            if len(rows) >= limit:
                return pd.DataFrame(rows)
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--corpus", default="datactivist_challengedata_carnets_de_bord")
    args = parser.parse_args()
    corpus = SHARED / f"{args.corpus}.jsonl"
    if not corpus.exists():
        print(f"{corpus} absent: nothing to benchmark")
        return 0
    passages = paragraphs(corpus, args.limit)
    embedder = get_embedder(EmbeddingConfig())
    cache = EmbeddingCache(embedder.model_id)  # cold: measures embedding too
    start = time.perf_counter()
    axes, rejects = classify_passages(passages, AxesConfig(), embedder, cache, REPO / "models",
                                      REPO / "data" / "annotations")
    elapsed = time.perf_counter() - start
    print(f"{len(axes)} paragraphes classés en {elapsed:.1f} s ({len(axes) / elapsed:.0f}/s), {len(rejects)} rejet(s)")
    print(axes["axis"].value_counts(normalize=True).round(3).to_string())
    print(f"à revoir : {axes['a_revoir'].mean():.1%}, probabilité médiane {axes['probability'].median():.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
