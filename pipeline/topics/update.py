"""Update mode of a topic model: new items join the stored topics or form emerging ones.

Items seen before keep their topic key; a new item joins the nearest stored centroid when it is as
close as the topic's own least typical members; the others are clustered among themselves, and a
cluster large enough becomes an emerging theme (``theme_emergent`` note) under the hierarchy's root.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import TopicsConfig
from pipeline.topics.clustering import OUTLIER, cluster_params
from pipeline.topics.model import (centroids_of, close_enough, cluster_leftovers, ctfidf_words, nearest_centroid,
                                   similarity_floors)
from pipeline.topics.registry import Registry, TopicEntry, topic_key_for


def update_assignments(model: str, ids: list[str], emb: np.ndarray, lemmas: list[str], registry: Registry,
                       previous: pd.DataFrame | None, config: TopicsConfig) -> tuple[np.ndarray, np.ndarray, list]:
    """Old items keep their key; new ones go to the nearest stored centroid; the rest may form emerging topics."""
    known = set(registry.keys) | {registry.divers_key}
    prev = {}
    if previous is not None and len(previous):
        prev = {r.item_id: (r.topic_key, float(r.probability if pd.notna(r.probability) else 0.0))
                for r in previous.itertuples() if r.topic_key in known}
    keys = np.empty(len(ids), dtype=object)
    sims = np.zeros(len(ids))
    new = [i for i, item in enumerate(ids) if item not in prev]
    for i, item in enumerate(ids):
        if item in prev:
            keys[i], sims[i] = prev[item]
    best, sim = nearest_centroid(emb[new], registry.centroids)
    stored = registry.meta.get("similarity_floors", {})
    floors = np.array([stored.get(t.key, np.inf) for t in registry.topics], dtype=float)
    joins = close_enough(sim, best, floors, config)
    leftovers = []
    for j, i in enumerate(new):
        if joins[j]:
            keys[i], sims[i] = registry.topics[best[j]].key, float(sim[j])
        else:
            keys[i] = registry.divers_key
            leftovers.append(i)
    mcs = registry.meta.get("params", {}).get("min_cluster_size") or cluster_params(len(ids), config).min_cluster_size
    typical = float(np.median([v for v in stored.values() if np.isfinite(v)])) if stored else None
    labels = cluster_leftovers(emb[leftovers], mcs, config, typical) if leftovers else np.array([], dtype=int)
    emerging = sorted(set(labels.tolist()) - {OUTLIER})
    new_keys = []
    for t in emerging:
        members = [leftovers[j] for j in np.flatnonzero(labels == t)]
        key = topic_key_for([ids[i] for i in members])
        centroid = centroids_of(emb[members], np.zeros(len(members)), [0])
        for i in members:
            keys[i], sims[i] = key, float(emb[i] @ centroid[0])
        root = next((h["node_key"] for h in registry.hierarchy if h["parent_key"] is None), None)
        registry.topics.append(TopicEntry(key, None, "", [], True, root))
        registry.centroids = np.vstack([registry.centroids, centroid])
        stored[key] = round(float(similarity_floors(emb[members], np.zeros(len(members)), [0], centroid)[0]), 6)
        new_keys.append(key)
    if new_keys:
        words = ctfidf_words(lemmas, [str(k) for k in keys], new_keys)
        for entry in registry.topics:
            if entry.key in words:
                entry.words = words[entry.key]
    registry.meta["similarity_floors"] = stored
    notes = [(k, f"theme_emergent: nouveau thème de {int((keys == k).sum())} éléments") for k in new_keys]
    return keys, sims, notes
