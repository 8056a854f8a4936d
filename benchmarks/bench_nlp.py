"""Throughput and peak memory of the NLP stage on paragraphs of the shared corpora.

Usage: ``python benchmarks/bench_nlp.py [--n 2000] [--shared DIR] [--batch-size 64] [--n-process 1]``
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import NlpConfig  # noqa: E402
from pipeline.nlp import build_nlp, extract_mentions  # noqa: E402
from pipeline.nlp.evaluate import _read_jsonl, paragraph_passages  # noqa: E402

CORPORA = ("betagouv_startups_collectivites_donnees.jsonl", "datactivist_challengedata_carnets_de_bord.jsonl",
           "transport_data_gouv_rencontres_publiques_aom.jsonl", "republique_numerique_2015_opinions.jsonl")


def load_paragraphs(shared: Path, n: int) -> pd.DataFrame:
    """Up to ``n`` paragraphs from the shared corpora (in file order)."""
    frames = []
    for name in CORPORA:
        path = shared / "corpora" / name
        if path.exists():
            frame = paragraph_passages(_read_jsonl(path), "_none")
            if frame.empty:  # a corpus without a `text` field
                continue
            frames.append(frame.assign(passage_id=name[:8] + frame["passage_id"]))
    if not frames:
        raise SystemExit(f"no shared corpora under {shared}")
    return pd.concat(frames, ignore_index=True).head(n)


def main() -> None:
    """Run the benchmark and print passages/s and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-process", type=int, default=1)
    args = parser.parse_args()
    config = NlpConfig(batch_size=args.batch_size, n_process=args.n_process)
    passages = load_paragraphs(args.shared, args.n)
    t0 = time.perf_counter()
    build_nlp(config)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    mentions, rejects = extract_mentions(passages, config)
    elapsed = time.perf_counter() - t0
    words = int(passages["text"].str.split().str.len().sum())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"passages: {len(passages)} ({words} words), mentions: {len(mentions)}, rejects: {len(rejects)}")
    print(f"model load: {load_s:.1f} s; extract_mentions: {elapsed:.1f} s = {len(passages) / elapsed:.1f} passages/s, "
          f"{words / elapsed:.0f} words/s (batch_size={args.batch_size}, n_process={args.n_process})")
    print(f"peak memory (ru_maxrss): {peak_mb:.0f} MB")
    print(mentions["kind"].value_counts().to_string())


if __name__ == "__main__":
    main()
