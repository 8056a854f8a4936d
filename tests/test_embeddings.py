"""Embedder interface and the content-addressed embedding cache (real USE-multilingual model)."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import EmbeddingConfig
from pipeline.embeddings import EmbeddingCache, embed_with_cache, get_embedder


@pytest.fixture(scope="session")
def embedder():
    return get_embedder(EmbeddingConfig())


def test_vectors_are_unit_norm_and_semantic(embedder):
    vectors = embedder.encode(["La qualité de l'eau potable", "L'eau du robinet est-elle potable ?",
                               "Les horaires des bus scolaires"])
    assert vectors.shape == (3, embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_cache_embeds_each_text_once_and_round_trips(embedder, tmp_path):
    cache = EmbeddingCache(embedder.model_id)
    texts = ["Données ouvertes de la commune", "Budget du syndicat des eaux", "Données ouvertes de la commune"]
    first = embed_with_cache(texts, embedder, cache)
    assert (cache.misses, cache.hits) == (2, 1)
    assert np.array_equal(first[0], first[2])
    cache.save(tmp_path)
    loaded = EmbeddingCache.load(tmp_path, embedder.model_id)
    again = embed_with_cache(texts, embedder, loaded)
    assert (loaded.misses, loaded.hits) == (0, 3)
    assert np.allclose(again, first)


def test_cache_of_another_model_is_refused(embedder):
    with pytest.raises(ValueError, match="cache is for"):
        embed_with_cache(["texte"], embedder, EmbeddingCache("st:autre-modele"))


def test_empty_input_gives_empty_matrix(embedder):
    assert embed_with_cache([], embedder, EmbeddingCache(embedder.model_id)).shape == (0, embedder.dim)
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_missing_local_model_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="local path"):
        get_embedder(EmbeddingConfig(model=str(tmp_path / "absent")))


def test_length_sorted_batches_keep_the_input_order(embedder):
    texts = ["Un texte très long sur la mutualisation des données de mobilité entre les communes, "
             "les intercommunalités et la région, avec des détails sur les flux GTFS et les parkings relais.",
             "Court.",
             "Les données de consommation énergétique des écoles.",
             "Cadastre solaire."] * 3
    together = embedder.encode(texts)
    alone = np.vstack([embedder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_vectors_do_not_depend_on_the_order_of_the_texts(embedder):
    texts = [f"Les données de mobilité du secteur {n} ne sont pas partagées" for n in range(10)] + \
            ["Cadastre solaire", "Observatoire de l'habitat", "Tournées de collecte", "Réseaux de chaleur"]
    forward = embedder.encode(texts)
    backward = embedder.encode(texts[::-1])[::-1]
    assert np.array_equal(forward, backward)
