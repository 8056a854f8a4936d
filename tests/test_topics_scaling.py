"""Cluster parameters by corpus size, the HDBSCAN collapse guard, and mention vectors (fast, no model)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config import TopicsConfig
from pipeline.topics.clustering import MAX_MIN_SAMPLES, cluster_params, collapsed, guarded_hdbscan_class, min_topics
from pipeline.topics.stage import mention_items
from pipeline.topics.themes import combine_with_context

SIZES = [15, 40, 100, 300, 1000, 5000, 10_000, 50_000, 200_000]


def test_parameters_grow_monotonically_and_stay_bounded():
    params = [cluster_params(n, TopicsConfig()) for n in SIZES]
    for field in ("min_cluster_size", "min_samples", "n_neighbors"):
        values = [getattr(p, field) for p in params]
        assert values == sorted(values), (field, values)
    for n, p in zip(SIZES, params):
        assert 2 <= p.min_cluster_size <= 40 and 1 <= p.min_samples <= min(p.min_cluster_size, MAX_MIN_SAMPLES)
        assert 2 <= p.n_neighbors <= min(30, n - 1)


def test_parameters_are_sensible_for_a_small_sample_and_a_large_consultation():
    small, large = cluster_params(40, TopicsConfig()), cluster_params(50_000, TopicsConfig())
    assert small.min_cluster_size == 5 and small.n_neighbors <= 10  # a 40-item sample can still hold ~5 themes
    # Logarithmic growth: 50k passages still allow hundreds of topics, not the 2 of a √n rule.
    assert 15 <= large.min_cluster_size <= 40 and large.min_samples <= MAX_MIN_SAMPLES
    assert 50_000 / large.min_cluster_size > 1000
    custom = cluster_params(50_000, TopicsConfig(min_cluster_size=60, n_neighbors=12, min_samples=9))
    assert (custom.min_cluster_size, custom.n_neighbors, custom.min_samples) == (60, 12, 9)


def test_collapse_is_too_few_topics_or_one_dominant_topic():
    assert min_topics(500) == 0 and min_topics(50_000) >= min_topics(5000) >= 6
    assert collapsed(np.array([0] * 4900 + [1] * 100), 5000)  # one topic holds 98 %
    assert collapsed(np.repeat([0, 1, 2], 1000), 3000)  # 3 topics for 3,000 items
    assert not collapsed(np.repeat(np.arange(20), 250), 5000)
    assert not collapsed(np.array([0] * 450 + [1] * 50), 500)  # small corpora: eom is trusted


@pytest.fixture(scope="module")
def super_blob() -> np.ndarray:
    """12 overlapping groups that eom merges into one cluster, plus one small far group."""
    rng = np.random.default_rng(0)
    centres = rng.uniform(-2, 2, (12, 2))
    return np.vstack([c + rng.normal(0, 0.4, (160, 2)) for c in centres]
                     + [np.array([30.0, 30.0]) + rng.normal(0, 0.5, (80, 2))])


def test_guard_splits_a_collapsed_eom_clustering(super_blob):
    import hdbscan

    plain = hdbscan.HDBSCAN(min_cluster_size=20, min_samples=5).fit(super_blob)
    assert collapsed(plain.labels_, len(super_blob))
    guarded = guarded_hdbscan_class()(min_cluster_size=20, min_samples=5, prediction_data=True).fit(super_blob)
    assert not collapsed(guarded.labels_, len(super_blob))
    assert guarded.labels_.max() + 1 >= min_topics(len(super_blob)) and "repli_hdbscan" in guarded.fallback_note
    assert np.bincount(guarded.labels_[guarded.labels_ >= 0]).max() <= len(super_blob) // 10


def test_mention_vector_mixes_span_and_passage_as_unit_vectors():
    rng = np.random.default_rng(1)
    span, passage = (v / np.linalg.norm(v, axis=1, keepdims=True) for v in rng.normal(size=(2, 5, 16)))
    mixed = combine_with_context(span, passage, 0.6)
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1, atol=1e-5)
    to_span, to_passage = (mixed * span).sum(axis=1), (mixed * passage).sum(axis=1)
    assert (to_span > to_passage).all()  # the span weighs more than its context
    assert np.allclose(combine_with_context(span, passage, 1.0), span, atol=1e-6)


def test_mention_items_carry_the_passage_as_context_and_reject_orphans():
    passages = pd.DataFrame({"passage_id": ["p1", "p2"], "text": ["Le texte un.", "Le texte deux."]})
    mentions = pd.DataFrame({"mention_id": ["m1", "m2", "m3"], "passage_id": ["p1", "p9", "p2"],
                             "kind": ["frein", "frein", "cas_usage"], "text": ["manque de moyens", "x", "y"]})
    items, rejects = mention_items(mentions, passages, "frein")
    assert items.to_dict("records") == [{"item_id": "m1", "text": "manque de moyens", "context": "Le texte un."}]
    assert [r[0] for r in rejects] == ["m2"] and "passage_absent" in rejects[0][1]
