"""Evaluate the topic model on the 2015 "République numérique" proposals against the platform's themes.

    python -m pipeline.topics.evaluate [--shared DIR] [--work DIR]

Prints NMI/ARI, share left in Divers, NPMI coherence and diversity (on each topic's first ten
distinct unigrams, for every method) beside TF-IDF+KMeans and LDA baselines (k = number of
themes), then the stability of topic keys across re-runs.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pipeline.config import REPO_ROOT, EmbeddingConfig, TopicsConfig
from pipeline.embeddings import EmbeddingCache, get_embedder
from pipeline.topics.french import Lemmatiser
from pipeline.topics.metrics import (kmeans_baseline, lda_baseline, npmi_coherence, topic_diversity,
                                     unigram_words)
from pipeline.topics.themes import model_topics

CORPUS = "corpora/republique_numerique_2015_opinions.jsonl"
GOVERNMENT_KIND = "article_du_projet_de_loi"


def load_proposals(shared: Path) -> pd.DataFrame:
    """Contributors' proposals (not the government's articles): item_id, text (title + body), theme."""
    rows = [json.loads(line) for line in (shared / CORPUS).read_text(encoding="utf-8").splitlines() if line.strip()]
    df = pd.DataFrame([r for r in rows if "_meta" not in r])
    df = df[(df["kind"] != GOVERNMENT_KIND) & df["theme"].notna()]
    text = (df["title"].fillna("") + ". " + df["body"].fillna("")).str.strip()
    out = pd.DataFrame({"item_id": "rn" + df["id"].astype(int).astype(str).str.zfill(4), "text": text,
                        "theme": df["theme"]})
    return out.sort_values("item_id").reset_index(drop=True)


def _scores(gold, labels, words, lemma_docs, unassigned: float) -> dict:
    words = [unigram_words(ws) for ws in words]
    return {"NMI": normalized_mutual_info_score(gold, labels), "ARI": adjusted_rand_score(gold, labels),
            "non classés": unassigned, "thèmes": len(words), "cohérence NPMI": npmi_coherence(words, lemma_docs),
            "diversité": topic_diversity(words)}


def _kept(before: pd.DataFrame, after: pd.DataFrame) -> float:
    joined = before.merge(after, on="item_id", suffixes=("_a", "_b"))
    return float((joined["topic_key_a"] == joined["topic_key_b"]).mean())


def evaluate(shared: Path, work: Path, config: TopicsConfig, cache_dir: Path) -> dict:
    """Run the fits, baselines and stability checks; return every figure."""
    items = load_proposals(shared)
    embedder = get_embedder(EmbeddingConfig())
    cache = EmbeddingCache.load(cache_dir, embedder.model_id)
    lemmatiser = Lemmatiser.load(work / "lemmas.parquet")
    lemma_docs, _ = lemmatiser.lemmatise(items["text"].tolist())
    k = items["theme"].nunique()

    started = time.perf_counter()
    run1 = model_topics("passages", items[["item_id", "text"]], None, config, embedder, cache,
                        work / "run1" / "passages", lemmatiser)
    fit_seconds = time.perf_counter() - started
    topics = run1.topics[run1.topics["topic_key"] != "passages-divers"]
    words = [w.split(", ") for w in topics["words"] if w]
    labels = items[["item_id", "theme"]].merge(run1.assignments, on="item_id")
    results = {"BERTopic": _scores(labels["theme"], labels["topic_key"], words, lemma_docs, run1.unassigned_share)}
    assigned = labels[labels["topic_key"] != "passages-divers"]
    results["BERTopic"]["NMI (classés seuls)"] = normalized_mutual_info_score(assigned["theme"], assigned["topic_key"])
    km_labels, km_words = kmeans_baseline(lemma_docs, k, config.seed)
    results["TF-IDF + KMeans"] = _scores(items["theme"], km_labels, km_words, lemma_docs, 0.0)
    lda_labels, lda_words = lda_baseline(lemma_docs, k, config.seed)
    results["LDA"] = _scores(items["theme"], lda_labels, lda_words, lemma_docs, 0.0)

    run2 = model_topics("passages", items[["item_id", "text"]], None, config, embedder, cache,
                        work / "run2" / "passages", lemmatiser)
    rng = np.random.default_rng(config.seed)
    new = set(rng.choice(items["item_id"], size=max(1, len(items) // 10), replace=False))
    base_items = items[~items["item_id"].isin(new)]
    base = model_topics("passages", base_items[["item_id", "text"]], None, config, embedder, cache,
                        work / "base" / "passages", lemmatiser)
    shutil.copytree(work / "base", work / "refit")
    update = model_topics("passages", items[["item_id", "text"]], base.assignments, config, embedder, cache,
                          work / "base" / "passages", lemmatiser)
    refit = model_topics("passages", items[["item_id", "text"]], base.assignments,
                         TopicsConfig(**{**config.__dict__, "refit": True}), embedder, cache,
                         work / "refit" / "passages", lemmatiser)
    shutil.copytree(work / "run1", work / "same")
    same = model_topics("passages", items[["item_id", "text"]], run1.assignments,
                        TopicsConfig(**{**config.__dict__, "refit": True}), embedder, cache,
                        work / "same" / "passages", lemmatiser)
    stability = {"second run, same data": _kept(run1.assignments, run2.assignments),
                 "refit mode, same data": _kept(run1.assignments, same.assignments),
                 "+10 % new, update mode": _kept(base.assignments, update.assignments),
                 "+10 % new, refit mode": _kept(base.assignments, refit.assignments),
                 "emerging topics (update)": int(update.topics["emerging"].sum()),
                 "new items in Divers (update)": float(
                     (update.assignments[update.assignments["item_id"].isin(new)]["topic_key"]
                      == "passages-divers").mean())}
    lemmatiser.save(work / "lemmas.parquet")
    if cache.misses:
        cache.save(cache_dir)  # atomic: benchmarks share this cache
    return {"n_items": len(items), "n_themes": k, "fit_seconds": fit_seconds, "quality": results,
            "stability": stability, "labels": topics.sort_values("size", ascending=False)[["label", "size"]]}


def print_report(figures: dict) -> None:
    """Print the evaluation tables."""
    print(f"\nRépublique numérique 2015 — {figures['n_items']} propositions, {figures['n_themes']} thèmes de la "
          f"plateforme; ajustement BERTopic {figures['fit_seconds']:.0f} s\n")
    table = pd.DataFrame(figures["quality"]).T
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print("\nStabilité des clés de thème (part des éléments gardant leur clé)")
    for name, value in figures["stability"].items():
        print(f"  {name:<32} {value:.1%}" if isinstance(value, float) else f"  {name:<32} {value}")
    print("\nThèmes trouvés (les plus grands)")
    print(figures["labels"].head(25).to_string(index=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--work", type=Path, default=None, help="folder for the evaluation's models (temporary)")
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "benchmarks" / "out" / "embeddings",
                        help="embedding cache of evaluation texts (kept out of data/processed)")
    args = parser.parse_args(argv)
    if not (args.shared / CORPUS).exists():
        parser.error(f"corpus not found: {args.shared / CORPUS}")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        for sub in ("run1", "run2", "base", "refit", "same"):
            shutil.rmtree(work / sub, ignore_errors=True)
        figures = evaluate(args.shared, work, TopicsConfig(), args.cache)
    print_report(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
