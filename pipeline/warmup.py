"""Work of later stages done early, in a child process, while the NLP stage runs.

While the NLP stage parses, a child process fills the row-level cache that the next stages read
first: passage embeddings (classify, topics). The cache is content-addressed and written
atomically, so the later stages find the values they would have computed, and a warm-up that
dies or is killed costs nothing but the time it saved. Small runs skip it: starting a process and
loading the model takes longer than the work. (The topic lemmas of the passages need no warm-up:
the NLP parse gives them, see :mod:`pipeline.nlp.topic_lemmas`.)
"""
from __future__ import annotations

import logging
import multiprocessing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.config import EmbeddingConfig

LOGGER = logging.getLogger(__name__)
# Below this many passages missing from the embedding cache, the stages do the work themselves.
MIN_PASSAGES = 2000


@dataclass(frozen=True)
class WarmUpJob:
    """What the child process needs: where the cache lives and which texts to embed."""

    embeddings_dir: Path
    embedding: EmbeddingConfig
    texts: tuple[str, ...]


def passages_to_warm(passages: pd.DataFrame) -> list[str]:
    """Distinct passage texts the classify stage would embed (non-empty strings), in table order."""
    texts = [t for t in passages["text"] if isinstance(t, str) and t.strip()]
    return list(dict.fromkeys(texts))


def warm_caches(job: WarmUpJob) -> dict[str, int]:
    """Embed the texts missing from the embedding cache and write it atomically. Returns how many
    texts were embedded."""
    from pipeline.embeddings import EmbeddingCache, embed_with_cache, get_embedder

    embedder = get_embedder(job.embedding)
    cache = EmbeddingCache.load(job.embeddings_dir, embedder.model_id)
    embed_with_cache(list(job.texts), embedder, cache)
    if cache.misses:
        cache.save(job.embeddings_dir)
    return {"embedded": cache.misses}


def _child(job: WarmUpJob) -> None:
    counts = warm_caches(job)
    LOGGER.info("warm-up: %(embedded)d passages embedded", counts)


class WarmUp:
    """A running warm-up process (or none, when there was too little to do)."""

    def __init__(self, process=None):
        self.process = process

    @classmethod
    def start(cls, job: WarmUpJob, n_missing: int, min_passages: int = MIN_PASSAGES) -> "WarmUp":
        """Start the child when at least ``min_passages`` passages miss an embedding."""
        if n_missing < min_passages or not job.texts:
            return cls()
        # spawn: a clean interpreter (no copy of the parent's threads or loaded models)
        process = multiprocessing.get_context("spawn").Process(target=_child, args=(job,), daemon=True,
                                                               name="pipeline-warm-up")
        process.start()
        return cls(process)

    def join(self) -> bool:
        """Wait for the child; True when it ran and succeeded (the stages then find warm caches)."""
        if self.process is None:
            return False
        self.process.join()
        if self.process.exitcode != 0:
            LOGGER.warning("warm-up process ended with code %s; the stages compute what it did not",
                           self.process.exitcode)
        return self.process.exitcode == 0

    def stop(self) -> None:
        """Terminate the child if it still runs (the run failed or was interrupted)."""
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()


def start_for_run(config, passages: pd.DataFrame, stage_names: set[str]) -> WarmUp:
    """Start the warm-up for a run about to process ``passages`` when a later stage needs it."""
    if not {"classify", "topics"} & stage_names or not config.execution.warm_up:
        return WarmUp()
    from pipeline.embeddings import EmbeddingCache, get_embedder

    texts = passages_to_warm(passages)
    path = EmbeddingCache.file_for(config.paths.processed / "embeddings", get_embedder(config.embedding).model_id)
    cached = set(pd.read_parquet(path, columns=["text_hash"])["text_hash"]) if path.exists() else set()
    missing = sum(EmbeddingCache.key(t) not in cached for t in texts)
    job = WarmUpJob(config.paths.processed / "embeddings", config.embedding, tuple(texts))
    return WarmUp.start(job, missing, config.execution.warm_up_min_passages)
