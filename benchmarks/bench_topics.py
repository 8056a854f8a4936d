"""Benchmark the topics stage: fit time and peak memory by corpus size, update time for new passages.

    .venv/bin/python benchmarks/bench_topics.py --sizes 1000,10000 [--update 100] [--shared DIR]

Passages are paragraphs and sentences of the shared corpora (../shared/corpora), combined in
pairs when more are needed. Each size runs in its own process so peak memory is its own.
Embeddings are cached in benchmarks/out/embeddings; their time is reported apart from the fit.
Wall and CPU seconds are both given (with the load average) since the machine may be shared.
"largest" is the share of passages in the largest topic; the HDBSCAN fallback is shown when used.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CACHE_DIR = REPO / "benchmarks" / "out" / "embeddings"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý])")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def corpus_units(shared: Path) -> list[str]:
    """Distinct paragraphs (<= 120 words) and sentences (>= 6 words) of the shared JSONL corpora."""
    units: dict[str, None] = {}
    for path in sorted((shared / "corpora").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "_meta" in record:
                continue
            for text in _strings(record):
                if text.startswith("http") or len(text) < 40:
                    continue
                for para in re.split(r"\n\s*\n|\n", text):
                    para = " ".join(para.split())
                    if 6 <= len(para.split()) <= 120:
                        units[para] = None
                    for sentence in _SENTENCE.split(para):
                        if len(sentence.split()) >= 6:
                            units[sentence] = None
    return list(units)


def build_passages(shared: Path, n: int, offset: int = 0):
    """``n`` passages (passage_id, text, contribution_id): corpus units, then pairs of units."""
    import pandas as pd

    units = corpus_units(shared)
    texts, m = [], len(units)
    for i in range(offset, offset + n):
        if i < m:
            texts.append(units[i])
        else:
            j = i - m
            texts.append(units[j % m] + " " + units[(j * 7919 + 1 + j // m) % m])
    ids = [f"b{offset + i:06d}" for i in range(n)]
    return pd.DataFrame({"passage_id": ids, "text": texts, "contribution_id": [f"c{i % 500}" for i in range(n)]})


def run_one(shared: Path, n: int, n_update: int) -> dict:
    """Embed, fit and update in this process; return timings and peak RSS."""
    import pandas as pd

    from pipeline.config import EmbeddingConfig, TopicsConfig
    from pipeline.embeddings import EmbeddingCache, embed_with_cache, get_embedder
    from pipeline.topics import run_topics
    from pipeline.topics.clustering import cluster_params

    passages = build_passages(shared, n)
    new = build_passages(shared, n_update, offset=n)
    embedder = get_embedder(EmbeddingConfig())
    cache = EmbeddingCache.load(CACHE_DIR, embedder.model_id)
    started = time.perf_counter()
    embed_with_cache(pd.concat([passages, new])["text"].tolist(), embedder, cache)
    embed_seconds = time.perf_counter() - started
    if cache.misses:  # rewriting the 160 MB cache for nothing would also race with parallel runs
        cache.save(CACHE_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        tables = run_topics(passages, None, None, None, None, TopicsConfig(), embedder, cache, Path(tmp))
        fit_seconds, fit_cpu = time.perf_counter() - started, time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        updated = run_topics(pd.concat([passages, new], ignore_index=True), None, None, None, tables,
                             TopicsConfig(), embedder, cache, Path(tmp))
        update_seconds, update_cpu = time.perf_counter() - started, time.process_time() - cpu
    topics = tables["topics"][tables["topics"]["model"] == "passages"]
    divers = topics[topics["topic_key"] == "passages-divers"]["size"].iloc[0]
    real = topics[topics["topic_key"] != "passages-divers"]
    notes = tables["rejects"]["reason"]
    fallback = notes[notes.str.startswith("repli_hdbscan")].tolist()
    return {"n": n, "embed_s": embed_seconds, "fit_s": fit_seconds, "update_s": update_seconds,
            "fit_cpu_s": fit_cpu, "update_cpu_s": update_cpu, "load_1min": os.getloadavg()[0],
            "n_update": n_update, "topics": len(topics) - 1, "divers_share": float(divers) / n,
            "largest_share": float(real["size"].max()) / n if len(real) else 0.0,
            "params": cluster_params(n, TopicsConfig()).as_dict(), "fallback": fallback,
            "labels": real.sort_values("size", ascending=False)["label"].head(8).tolist(),
            "emerging": int(updated["topics"]["emerging"].sum()),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (e.g. 1000,10000,50000)")
    parser.add_argument("--update", type=int, default=100, help="new passages for the update timing")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(run_one(args.shared, args.one, args.update)))
        return 0
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        proc = subprocess.run([sys.executable, __file__, "--one", str(size), "--update", str(args.update),
                               "--shared", str(args.shared)], capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return proc.returncode
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"done {size}: {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
    print(f"{'passages':>9} {'embed s':>8} {'fit s':>7} {'update s':>9} {'topics':>7} {'Divers':>7} "
          f"{'largest':>8} {'peak MB':>8}")
    for r in rows:
        print(f"{r['n']:>9} {r['embed_s']:>8.1f} {r['fit_s']:>7.1f} {r['update_s']:>9.1f} {r['topics']:>7} "
              f"{r['divers_share']:>7.1%} {r['largest_share']:>8.1%} {r['peak_rss_mb']:>8.0f}   (update: "
              f"+{r['n_update']}, {r['emerging']} emerging; CPU fit {r.get('fit_cpu_s', 0):.0f} s, "
              f"update {r.get('update_cpu_s', 0):.1f} s, load {r.get('load_1min', 0):.1f}; {r['params']}{'; ' + r['fallback'][0] if r['fallback'] else ''})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
