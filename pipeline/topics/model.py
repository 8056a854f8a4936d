"""Fitting one BERTopic model on precomputed embeddings, with outlier reassignment.

UMAP is seeded, HDBSCAN (the ``hdbscan`` package) keeps prediction data, topic words come
from a CountVectorizer over lemmatised text refined by KeyBERTInspired + MMR. Cluster sizes
scale with the number of items unless set in the configuration.
"""
from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from pipeline.config import TopicsConfig
from pipeline.embeddings import EmbeddingCache, embed_with_cache
from pipeline.topics.clustering import MAX_MIN_SAMPLES, OUTLIER, ClusterParams, cluster_params, guarded_hdbscan_class
from pipeline.topics.neighbours import exact_cosine_knn, wants_exact

TINY_CORPUS = 15  # below this many items no clustering is attempted: everything goes to "Divers"
# Refit: UMAP is semi-supervised by the previous topics of the items seen before (UMAP's
# target_weight; 0 = data only). Even a light pull keeps ~90 % of keys where an unguided refit
# on 10 % more data keeps ~60 %, because UMAP reshuffles the whole map.
REFIT_ANCHOR_WEIGHT = 0.05
# Outliers join their nearest topic when at least as similar to its centroid as the topic's own
# least typical members (MEMBER_QUANTILE of member similarities) minus RELATIVE_MARGIN, or when
# above config.outlier_similarity. Tuned on the evaluation: Divers 15.8 % -> 7.2 % on the 1k
# benchmark, 5.0 % -> 4.4 % on République numérique, NMI unchanged (0.248 -> 0.247).
MEMBER_QUANTILE = 0.1
RELATIVE_MARGIN = 0.1
# HDBSCAN computes core distances in-process: its default (4 joblib/loky workers) leaves idle
# workers behind for 300 s, and a process that fitted a model (the topics stage's passage worker)
# then waits for them before it can exit. The distances are exact either way.
HDBSCAN_JOBS = 1


def _base_embedder_class():
    from bertopic.backend import BaseEmbedder

    class EmbedderBackend(BaseEmbedder):
        """Our :class:`~pipeline.embeddings.Embedder` (and its cache) seen as a BERTopic backend."""

        def __init__(self, embedder, cache: EmbeddingCache | None = None):
            super().__init__()
            self.embedder = embedder
            self.cache = cache

        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            return embed_with_cache(list(documents), self.embedder, self.cache)

    return EmbedderBackend


def embedder_backend(embedder, cache: EmbeddingCache | None = None):
    """Wrap an Embedder for BERTopic's ``embedding_model=`` (subclass of bertopic.backend.BaseEmbedder)."""
    return _base_embedder_class()(embedder, cache)


def build_vectorizer(n_items: int):
    """CountVectorizer over lemma strings: French stop words, 1–2-grams, rare terms dropped on large corpora."""
    from sklearn.feature_extraction.text import CountVectorizer

    from pipeline.topics.french import french_stop_words

    return CountVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2),
                           stop_words=sorted(french_stop_words()), min_df=2 if n_items >= 40 else 1)


def ctfidf_words(lemma_docs: list[str], keys: list[str], wanted: list[str], top_n: int = 10) -> dict[str, list[str]]:
    """Top c-TF-IDF n-grams of the ``wanted`` groups, the other groups serving as contrast."""
    from bertopic.vectorizers import ClassTfidfTransformer

    frame = pd.DataFrame({"doc": lemma_docs, "key": keys}).groupby("key", sort=True)["doc"].agg(" ".join)
    try:
        counts = build_vectorizer(len(lemma_docs)).fit(lemma_docs)
        matrix = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(counts.transform(frame.values))
    except ValueError:  # empty vocabulary
        return {k: [] for k in wanted}
    vocab = counts.get_feature_names_out()
    out = {}
    for key in wanted:
        row = matrix[frame.index.get_loc(key)].toarray().ravel()
        order = sorted(np.flatnonzero(row), key=lambda j: (-row[j], vocab[j]))[:top_n]
        out[key] = [str(vocab[j]) for j in order]
    return out


def build_topic_model(params: ClusterParams, config: TopicsConfig, backend, n_items: int):
    """An unfitted BERTopic with seeded UMAP and hdbscan.HDBSCAN (no representation model yet)."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from umap import UMAP

    umap_model = UMAP(n_neighbors=params.n_neighbors, n_components=params.n_components, min_dist=0.0,
                      metric="cosine", random_state=config.seed, init="spectral" if n_items >= 60 else "random")
    hdbscan_model = guarded_hdbscan_class()(min_cluster_size=params.min_cluster_size, min_samples=params.min_samples,
                                             metric="euclidean", cluster_selection_method="eom", prediction_data=True,
                                             core_dist_n_jobs=HDBSCAN_JOBS)
    return BERTopic(embedding_model=backend, umap_model=umap_model, hdbscan_model=hdbscan_model,
                    vectorizer_model=build_vectorizer(n_items),
                    ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
                    top_n_words=10, calculate_probabilities=False, verbose=False)


def representation_models(config: TopicsConfig):
    """KeyBERTInspired then MaximalMarginalRelevance: specific, non-redundant topic words."""
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    return [KeyBERTInspired(top_n_words=15, nr_repr_docs=5, random_state=config.seed),
            MaximalMarginalRelevance(diversity=config.mmr_diversity, top_n_words=10)]


def centroids_of(embeddings: np.ndarray, labels: np.ndarray, topic_ids: Sequence[int]) -> np.ndarray:
    """Unit-norm mean embedding of each topic's members, rows in ``topic_ids`` order."""
    rows = []
    for t in topic_ids:
        mean = embeddings[labels == t].mean(axis=0)
        rows.append(mean / max(np.linalg.norm(mean), 1e-12))
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, embeddings.shape[1]), np.float32)


def similarity_floors(embeddings: np.ndarray, labels: np.ndarray, topic_ids: Sequence[int],
                      centroids: np.ndarray) -> np.ndarray:
    """Per topic, the similarity an outlier needs to join it by the relative rule (see MEMBER_QUANTILE)."""
    floors = [np.quantile(embeddings[labels == t] @ c, MEMBER_QUANTILE) - RELATIVE_MARGIN
              for t, c in zip(topic_ids, centroids)]
    return np.asarray(floors, dtype=float)


def close_enough(sim: np.ndarray, best: np.ndarray, floors: np.ndarray, config: TopicsConfig) -> np.ndarray:
    """Whether items whose nearest topic is ``best`` (index, -1 = none) at ``sim`` may join it."""
    best = np.asarray(best)
    relative = np.where(best >= 0, np.asarray(sim) >= np.asarray(floors)[np.maximum(best, 0)], False) \
        if len(floors) else np.zeros(len(best), bool)
    return (best >= 0) & ((np.asarray(sim) >= config.outlier_similarity) | relative)


def nearest_centroid(embeddings: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the most similar centroid and that cosine similarity, for each (unit) embedding."""
    if len(centroids) == 0 or len(embeddings) == 0:
        return np.full(len(embeddings), -1), np.zeros(len(embeddings))
    sims = embeddings @ centroids.T
    best = sims.argmax(axis=1)
    return best, sims[np.arange(len(embeddings)), best]


@dataclass
class FitResult:
    """Outcome of one fit: BERTopic labels per item (``-1`` = Divers) and what describes each topic."""

    labels: np.ndarray
    similarity: np.ndarray  # cosine similarity to the assigned centroid (0 for Divers)
    topic_ids: list[int]
    centroids: np.ndarray
    floors: np.ndarray  # per topic: similarity needed to join it (relative rule)
    words: dict[int, list[str]]
    hierarchy: pd.DataFrame | None
    topic_model: object | None
    params: ClusterParams | None
    notes: list[str] = field(default_factory=list)


def fit_topics(lemma_docs: list[str], embeddings: np.ndarray, config: TopicsConfig, make_backend,
               anchor: np.ndarray | None = None) -> FitResult:
    """Fit BERTopic on items already sorted by id, reassign close outliers, extract words and hierarchy.

    ``make_backend()`` builds the embedding backend only when a model is actually fitted.
    ``anchor`` (refit): previous topic number of each item, ``-1`` for new or Divers items; it
    guides UMAP (semi-supervised) so that the refit keeps the structure the data still supports.
    """
    n = len(lemma_docs)
    if n < TINY_CORPUS:
        return FitResult(np.full(n, OUTLIER), np.zeros(n), [], np.zeros((0, embeddings.shape[1]), np.float32),
                         np.zeros(0), {}, None, None, None, [f"corpus_trop_petit: {n} éléments (< {TINY_CORPUS}), tout en Divers"])
    params = cluster_params(n, config)
    model = build_topic_model(params, config, make_backend(), n)
    if wants_exact(n, getattr(config, "exact_neighbours_up_to", 0)):
        model.umap_model.set_params(precomputed_knn=exact_cosine_knn(embeddings, params.n_neighbors))
    anchored = anchor is not None and (np.asarray(anchor) != OUTLIER).any()
    if anchored:
        model.umap_model.set_params(target_weight=getattr(config, "refit_anchor_weight", REFIT_ANCHOR_WEIGHT))
    with warnings.catch_warnings():
        # exact neighbours come without a search index: UMAP warns that transform is unavailable,
        # which is expected (update mode assigns new items by centroid, never by transform)
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)
        raw, _ = model.fit_transform(lemma_docs, embeddings=embeddings,
                                     y=np.asarray(anchor, dtype=int) if anchored else None)
    raw = np.asarray(raw)
    topic_ids = sorted(t for t in set(raw.tolist()) if t != OUTLIER)
    if not topic_ids:
        return FitResult(np.full(n, OUTLIER), np.zeros(n), [], np.zeros((0, embeddings.shape[1]), np.float32),
                         np.zeros(0), {}, None, None, params, [f"aucun_theme: HDBSCAN n'a trouvé aucun groupe parmi {n} éléments"])
    centroids = centroids_of(embeddings, raw, topic_ids)
    floors = similarity_floors(embeddings, raw, topic_ids, centroids)
    best, sim = nearest_centroid(embeddings, centroids)
    labels = raw.copy()
    reassign = (raw == OUTLIER) & close_enough(sim, best, floors, config)
    labels[reassign] = np.asarray(topic_ids)[best[reassign]]
    index_of = {t: i for i, t in enumerate(topic_ids)}
    similarity = np.zeros(n)
    for i in np.flatnonzero(labels != OUTLIER):
        similarity[i] = float(embeddings[i] @ centroids[index_of[labels[i]]])
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # BERTopic() resets it; the warning is expected here
    model.update_topics(lemma_docs, topics=labels.tolist(), vectorizer_model=build_vectorizer(n),
                        representation_model=representation_models(config))
    words = {t: [w for w, _ in model.get_topic(t) if w] for t in topic_ids}
    hierarchy, notes = None, []
    if getattr(model.hdbscan_model, "fallback_note", None):
        notes.append(model.hdbscan_model.fallback_note)
    if len(topic_ids) >= 3:
        # Node words from plain c-TF-IDF: with the representation model set, BERTopic would run
        # KeyBERT + MMR once per merge (n_topics − 1 times).
        tuners, model.representation_model = model.representation_model, None
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # its progress bar cannot be disabled
                hierarchy = model.hierarchical_topics(lemma_docs)
        except Exception as exc:  # a degenerate c-TF-IDF matrix must not stop the run
            notes.append(f"hierarchie_impossible: {exc}")
        finally:
            model.representation_model = tuners
    return FitResult(labels, similarity, topic_ids, centroids, floors, words, hierarchy, model, params, notes)


def cluster_leftovers(embeddings: np.ndarray, min_cluster_size: int, config: TopicsConfig,
                      typical_floor: float | None = None) -> np.ndarray:
    """HDBSCAN among items no stored topic explains (update mode); ``-1`` = still unexplained.

    HDBSCAN never returns its root as the only cluster, so leftovers forming one new theme are
    found by a second pass allowing a single cluster, kept only when it is as tight as a typical
    stored topic (its similarity floor >= ``typical_floor``). As in a fit, leftovers close enough
    to a new cluster's centroid then join it.
    """
    import hdbscan

    n = len(embeddings)
    if n < max(min_cluster_size, 2):
        return np.full(n, OUTLIER)
    points = embeddings
    if n > 60:
        from umap import UMAP

        points = UMAP(n_neighbors=min(15, n - 1), n_components=min(config.n_components, n - 2), min_dist=0.0,
                      metric="cosine", random_state=config.seed).fit_transform(embeddings)
    settings = dict(min_cluster_size=min_cluster_size, min_samples=int(np.clip(min_cluster_size // 2, 1, MAX_MIN_SAMPLES)),
                    metric="euclidean", core_dist_n_jobs=HDBSCAN_JOBS)
    labels = hdbscan.HDBSCAN(**settings).fit_predict(points.astype(np.float64))
    if (labels == OUTLIER).all() and typical_floor is not None:
        single = hdbscan.HDBSCAN(allow_single_cluster=True, **settings).fit_predict(points.astype(np.float64))
        found = sorted(set(single.tolist()) - {OUTLIER})
        if len(found) == 1:
            centroid = centroids_of(embeddings, single, found)
            if similarity_floors(embeddings, single, found, centroid)[0] >= typical_floor:
                labels = single
    found = sorted(set(labels.tolist()) - {OUTLIER})
    if found:
        centroids = centroids_of(embeddings, labels, found)
        best, sim = nearest_centroid(embeddings, centroids)
        close = (labels == OUTLIER) & close_enough(sim, best, similarity_floors(embeddings, labels, found, centroids),
                                                   config)
        labels[close] = np.asarray(found)[best[close]]
    return labels
