"""Embedding cache keyed by (model id, text hash): a re-run embeds only new texts.

Stored as one parquet file per model under ``data/processed/embeddings/`` with columns
``text_hash`` and ``vector`` (list of float32). The runner owns the path; stages receive a
loaded :class:`EmbeddingCache` and the runner saves it back atomically.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from pipeline.ids import content_hash
from pipeline.io import write_table


class EmbeddingCache:
    """In-memory map text_hash -> vector for one model, loadable from and savable to parquet."""

    def __init__(self, model_id: str, vectors: dict[str, np.ndarray] | None = None):
        self.model_id = model_id
        self.vectors: dict[str, np.ndarray] = vectors or {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> str:
        """Hash of a text as embedded (exact text, no normalisation)."""
        return content_hash(text, n=20)

    @classmethod
    def file_for(cls, directory: Path, model_id: str) -> Path:
        """Parquet file holding the cache of ``model_id`` in ``directory``."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in model_id)
        return Path(directory) / f"{safe}.parquet"

    @classmethod
    def load(cls, directory: Path, model_id: str) -> "EmbeddingCache":
        """Load the cache for a model, empty when absent. The vectors are rows of one float32 matrix."""
        import pyarrow.parquet as pq

        path = cls.file_for(directory, model_id)
        if not path.exists():
            return cls(model_id)
        table = pq.read_table(path, columns=["text_hash", "vector"])
        keys = table.column("text_hash").to_pylist()
        vectors = table.column("vector").combine_chunks()
        flat = vectors.flatten().to_numpy().astype(np.float32, copy=False)
        sizes = vectors.value_lengths().to_numpy() if len(vectors) else np.zeros(0, int)
        if len(keys) and (sizes == sizes[0]).all():
            matrix = flat.reshape(len(keys), int(sizes[0]))
            return cls(model_id, dict(zip(keys, matrix)))
        return cls(model_id, dict(zip(keys, np.split(flat, np.cumsum(sizes)[:-1]))))

    def save(self, directory: Path) -> Path:
        """Write the cache atomically (temporary file, then rename); return the file written."""
        path = self.file_for(directory, self.model_id)
        write_table(self.to_frame(), path)  # a unique temporary name: the warm-up process writes here too
        return path

    def to_frame(self) -> pd.DataFrame:
        """The cache as a DataFrame (sorted by hash, for stable files); ``vector`` holds float32 arrays,
        written as list<float> (lists of Python floats took seconds and ~1 GB at 50,000 texts)."""
        keys = sorted(self.vectors)
        return pd.DataFrame({"text_hash": pd.Series(keys, dtype="string"),
                             "vector": pd.Series([np.asarray(self.vectors[k], dtype=np.float32) for k in keys],
                                                 dtype=object)})


def embed_with_cache(texts: Sequence[str], embedder, cache: EmbeddingCache | None) -> np.ndarray:
    """Embed ``texts``, computing only those missing from ``cache`` (which is updated in place)."""
    if cache is None:
        return embedder.encode(list(texts))
    if cache.model_id != embedder.model_id:
        raise ValueError(f"cache is for {cache.model_id}, embedder is {embedder.model_id}")
    keys = [EmbeddingCache.key(t) for t in texts]
    todo: dict[str, str] = {}
    for key, text in zip(keys, texts):
        if key not in cache.vectors and key not in todo:
            todo[key] = text
    cache.misses += len(todo)
    cache.hits += len(keys) - len(todo)
    if todo:
        new = embedder.encode(list(todo.values()))
        for key, vector in zip(todo, new):
            cache.vectors[key] = vector
    if not keys:
        return np.zeros((0, getattr(embedder, "dim", 0)), dtype=np.float32)
    return np.vstack([cache.vectors[k] for k in keys]).astype(np.float32)
