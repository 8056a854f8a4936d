"""Exact cosine nearest neighbours for UMAP, computed by blocks of matrix products.

UMAP finds neighbours with pynndescent above 4,096 items. On this project's sizes (a few
thousand to ~50,000 items of 512 dimensions) that is the slow part of a topic fit, mostly
because pynndescent's parallel numba functions are compiled in every new process (~55 s for the
first 18,000-passage fit; ~20 s once compiled), where one BLAS product per block of rows gives
the exact neighbours in ~6 s. Beyond ``limit`` items the quadratic cost wins and UMAP's own
search is kept.
"""
from __future__ import annotations

import numpy as np

UMAP_EXACT_BELOW = 4096  # UMAP itself computes all distances below this size: nothing to gain
BLOCK_ROWS = 1024  # rows per product: 1,024 x 50,000 float32 similarities = 200 MB at most
DECIMALS = 6


def wants_exact(n_items: int, limit: int) -> bool:
    """Whether a fit of ``n_items`` should be given exact neighbours (``limit`` 0 = never)."""
    return UMAP_EXACT_BELOW <= n_items <= limit


def exact_cosine_knn(embeddings: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, cosine distances) of each row's ``k`` nearest rows, itself included, nearest first.

    Rows are normalised here (a zero row stays zero). Similarities are rounded to ``DECIMALS``
    before ranking, so that near-equal ones (duplicates, whose products BLAS may round apart) are
    ranked by row index. Distances are ``1 - cosine``, clipped at 0, as UMAP's "cosine".
    """
    x = np.asarray(embeddings, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.maximum(norms, 1e-12)
    n = len(x)
    k = min(k, n)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, BLOCK_ROWS):
        sims = np.round(x[start:start + BLOCK_ROWS] @ x.T, DECIMALS)
        rows = np.arange(len(sims))
        sims[rows, start + rows] = np.inf  # itself first, whatever rounding gave its own product
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(sims, part, axis=1)
        # argpartition picks any of the rows tied with the k-th: there, a stable sort picks by index
        kth = values.min(axis=1)
        for row in np.flatnonzero((sims >= kth[:, None]).sum(axis=1) > k):
            candidates = np.flatnonzero(sims[row] >= kth[row])  # ascending index
            part[row] = candidates[np.argsort(-sims[row, candidates], kind="stable")[:k]]
            values[row] = sims[row, part[row]]
        # nearest first; equal similarities by row index (lexsort: last key is the primary one)
        order = np.lexsort((part, -values), axis=1)
        indices[start:start + BLOCK_ROWS] = np.take_along_axis(part, order, axis=1)
        best = np.take_along_axis(values, order, axis=1)
        best[:, 0] = 1.0
        distances[start:start + BLOCK_ROWS] = np.clip(1.0 - best, 0.0, None)
    return indices, distances
