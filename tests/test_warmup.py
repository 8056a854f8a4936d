"""Warm-up: the caches a child process fills are the ones the stages would have filled."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import EmbeddingConfig
from pipeline.embeddings import EmbeddingCache, get_embedder
from pipeline.warmup import WarmUp, WarmUpJob, passages_to_warm, warm_caches

TEXTS = ["Nous ne disposons pas des données de consommation énergétique des écoles.",
         "La métropole publie les horaires des bus en données ouvertes.",
         "Faute de moyens, le syndicat des eaux n'a pas pu installer de compteurs communicants.",
         "Les habitants craignent une surveillance par les capteurs de la ville."]


def test_passages_to_warm_skips_empty_and_repeated_texts():
    passages = pd.DataFrame({"passage_id": list("abcde"), "text": [TEXTS[0], "  ", None, TEXTS[1], TEXTS[0]]})
    assert passages_to_warm(passages) == [TEXTS[0], TEXTS[1]]


def test_warm_caches_fill_what_the_stages_read(tmp_path):
    job = WarmUpJob(tmp_path / "embeddings", EmbeddingConfig(), tuple(TEXTS))
    assert warm_caches(job) == {"embedded": len(TEXTS)}

    embedder = get_embedder(EmbeddingConfig())
    cache = EmbeddingCache.load(tmp_path / "embeddings", embedder.model_id)
    expected = embedder.encode(TEXTS)  # the same set of texts, as the classify stage embeds them
    assert np.array_equal(np.vstack([cache.vectors[EmbeddingCache.key(t)] for t in TEXTS]), expected)
    assert warm_caches(job) == {"embedded": 0}  # nothing left to do


def test_small_runs_start_no_process(tmp_path):
    job = WarmUpJob(tmp_path / "embeddings", EmbeddingConfig(), tuple(TEXTS))
    warm_up = WarmUp.start(job, n_missing=len(TEXTS), min_passages=2000)
    assert warm_up.process is None and warm_up.join() is False
    assert not (tmp_path / "embeddings").exists()


def test_a_failing_warm_up_is_reported_and_leaves_no_cache(tmp_path, caplog):
    job = WarmUpJob(tmp_path / "embeddings", EmbeddingConfig(model=str(tmp_path / "absent")), tuple(TEXTS))
    warm_up = WarmUp.start(job, n_missing=len(TEXTS), min_passages=1)
    assert warm_up.process is not None
    with caplog.at_level("WARNING"):
        assert warm_up.join() is False
    assert "warm-up process ended with code" in caplog.text
    assert not (tmp_path / "embeddings").exists()
