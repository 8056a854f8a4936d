"""Exact cosine neighbours handed to UMAP in large topic fits (pipeline.topics.neighbours)."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import TopicsConfig
from pipeline.topics.neighbours import UMAP_EXACT_BELOW, exact_cosine_knn, wants_exact


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    """2,500 non-normalised 64-d vectors in 25 groups, with 40 exact duplicates and one zero row."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(25, 64))
    x = np.vstack([c + rng.normal(0, 0.3, (100, 64)) for c in centres]) * rng.uniform(0.5, 3, (2500, 1))
    x[2000:2040] = x[7]
    x[2100] = 0.0
    return x.astype(np.float32)


def test_neighbours_are_those_of_a_brute_force_cosine_search(vectors):
    from sklearn.neighbors import NearestNeighbors

    indices, distances = exact_cosine_knn(vectors, 15)
    ref_dist, ref_idx = NearestNeighbors(n_neighbors=15, metric="cosine", algorithm="brute").fit(vectors) \
        .kneighbors(vectors)
    unique = [i for i in range(len(vectors)) if not (2000 <= i < 2040 or i == 7 or i == 2100)]
    assert np.allclose(distances[unique], ref_dist[unique], atol=1e-5)
    # same sets where the 15th neighbour is not tied with the 16th
    assert np.mean([set(indices[i]) == set(ref_idx[i]) for i in unique]) > 0.99
    assert (indices[:, 0] == np.arange(len(vectors))).all() and (distances[:, 0] == 0).all()
    assert (np.diff(distances, axis=1) >= 0).all() and (distances >= 0).all()


def test_ties_between_duplicates_are_broken_by_row_index(vectors):
    indices, distances = exact_cosine_knn(vectors, 10)
    # row 7 and its 40 copies: itself first, then copies of smallest index, all at distance 0
    assert indices[7].tolist() == [7, *range(2000, 2009)] and np.allclose(distances[7], 0, atol=1e-6)
    assert indices[2005].tolist()[0] == 2005 and indices[2005].tolist()[1:4] == [7, 2000, 2001]
    again, _ = exact_cosine_knn(vectors.copy(), 10)  # a rerun gives the same order
    assert (again == indices).all()


def test_a_zero_row_is_far_from_everything_but_itself(vectors):
    indices, distances = exact_cosine_knn(vectors, 5)
    assert indices[2100, 0] == 2100 and np.allclose(distances[2100, 1:], 1.0)


def test_exact_search_applies_between_umaps_own_threshold_and_the_configured_limit():
    limit = TopicsConfig().exact_neighbours_up_to
    assert not wants_exact(UMAP_EXACT_BELOW - 1, limit) and wants_exact(UMAP_EXACT_BELOW, limit)
    assert wants_exact(limit, limit) and not wants_exact(limit + 1, limit)
    assert not wants_exact(20_000, 0)


@pytest.mark.slow
def test_a_large_fit_uses_the_exact_neighbours():
    """A 4,500-item fit: UMAP keeps the given neighbours (no search index) and finds the groups."""
    from pipeline.config import EmbeddingConfig
    from pipeline.embeddings import get_embedder
    from pipeline.topics.model import embedder_backend, fit_topics

    rng = np.random.default_rng(5)
    centres = rng.normal(size=(9, 32))
    x = np.vstack([c + rng.normal(0, 0.15, (500, 32)) for c in centres]).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    words = ["eau", "voirie", "budget", "école", "énergie", "déchet", "tourisme", "santé", "mobilité"]
    docs = [f"{words[i // 500]} {words[(i + 3) % 9]}" for i in range(len(x))]
    result = fit_topics(docs, x, TopicsConfig(), lambda: embedder_backend(get_embedder(EmbeddingConfig())))
    umap = result.topic_model.umap_model
    assert umap._knn_search_index is None
    expected, _ = exact_cosine_knn(x, result.params.n_neighbors)
    assert (umap._knn_indices == expected).all()
    truth = np.repeat(np.arange(9), 500)
    from sklearn.metrics import adjusted_rand_score

    assigned = result.labels != -1
    assert adjusted_rand_score(truth[assigned], result.labels[assigned]) > 0.9
