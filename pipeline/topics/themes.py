"""One topic model end to end: fit or update, stable keys, topic/assignment/hierarchy tables."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import TopicsConfig
from pipeline.embeddings import EmbeddingCache, embed_with_cache
from pipeline.ids import content_hash
from pipeline.topics.french import Lemmatiser, readable_label, surface_forms
from pipeline.topics.labels import rank_label_terms, weak_label_words
from pipeline.topics.phrases import merge_phrase_docs, phrase_labels
from pipeline.topics.clustering import OUTLIER
from pipeline.topics.model import TINY_CORPUS, ctfidf_words, embedder_backend, fit_topics
from pipeline.topics.update import update_assignments
from pipeline.topics.registry import Registry, TopicEntry, divers_key, match_keys, member_overlap, topic_key_for

log = logging.getLogger(__name__)
MATCH_MIN_SCORE = 0.5  # refit: mean of centroid cosine and member overlap needed to keep a key
# A mention is embedded as this mix of its span's vector and its passage's (both cached), not as
# "span — passage" text (no long new text to embed). On 300 mentions of the 1,000-contribution
# benchmark that text's vector was the passage's (cosine 0.96; 0.53 to the span): the span barely
# counted. At 0.5 the mix keeps cosine 0.89 to it and lets the span shape the themes.
SPAN_WEIGHT = 0.5


@dataclass
class ModelOutput:
    """Tables of one model (item ids are passage or mention ids) and what happened."""

    topics: pd.DataFrame
    assignments: pd.DataFrame  # item_id, topic_key, probability
    hierarchy: pd.DataFrame
    rejects: list[tuple[str, str]] = field(default_factory=list)
    mode: str = "fit"
    unassigned_share: float = 0.0


def _hierarchy_rows(model: str, hier: pd.DataFrame | None, key_of: dict[int, str]) -> list[dict]:
    """BERTopic's merge table as rows (node_key, parent_key, words, distance) with stable node keys."""
    if hier is None or hier.empty:
        return []
    leaves_of = {str(r.Parent_ID): sorted(key_of[int(t)] for t in r.Topics) for r in hier.itertuples()}
    node_key = {str(i): k for i, k in key_of.items()}
    node_key.update({pid: f"{model}-n-" + content_hash(*leaves, n=10) for pid, leaves in leaves_of.items()})
    words = {str(r.Parent_ID): [w for w in str(r.Parent_Name).split("_") if w] for r in hier.itertuples()}
    rows = {}
    for r in hier.itertuples():
        for child in (str(r.Child_Left_ID), str(r.Child_Right_ID)):
            rows[node_key[child]] = {"node_key": node_key[child], "parent_key": node_key[str(r.Parent_ID)],
                                     "words": words.get(child), "distance": float(r.Distance)}
    for pid in leaves_of:
        if node_key[pid] not in rows:
            rows[node_key[pid]] = {"node_key": node_key[pid], "parent_key": None, "words": words[pid],
                                   "distance": None}
    return sorted(rows.values(), key=lambda r: r["node_key"])


def _previous_keys(ids: list[str], old: Registry | None, previous: pd.DataFrame | None) -> list[str | None]:
    """Previous topic key of each item when it was in one of ``old``'s topics, else None."""
    if old is None or previous is None or previous.empty:
        return [None] * len(ids)
    known = set(old.keys)
    prev = {i: k for i, k in zip(previous["item_id"].astype(str), previous["topic_key"].astype(str)) if k in known}
    return [prev.get(i) for i in ids]


def _fit(model: str, ids: list[str], emb: np.ndarray, lemmas: list[str], old: Registry | None,
         config: TopicsConfig, make_backend, embedder_id: str,
         previous: pd.DataFrame | None = None) -> tuple[Registry | None, np.ndarray, np.ndarray, list]:
    """Fit from scratch; keys matched to ``old`` (refit) or hashed from members. Returns labels as keys.

    In a refit the previous assignments guide the fit and the key matching (member overlap).
    """
    before = _previous_keys(ids, old, previous)
    anchor = None
    if any(before):
        index_of = {k: j for j, k in enumerate(old.keys)}
        anchor = np.array([index_of[k] if k else OUTLIER for k in before])
    result = fit_topics(lemmas, emb, config, make_backend, anchor)
    notes = [(divers_key(model), note) for note in result.notes]
    overlap = None
    if anchor is not None:
        common = [j for j, k in enumerate(before) if k]
        overlap = member_overlap([int(result.labels[j]) for j in common], result.topic_ids,
                                 [before[j] for j in common], old.keys)
    matched = match_keys(result.centroids, old, config.match_threshold, overlap,
                         getattr(config, "match_min_score", MATCH_MIN_SCORE))
    key_of: dict[int, str] = {}
    for i, t in enumerate(result.topic_ids):
        key = matched.get(i) or topic_key_for([ids[j] for j in np.flatnonzero(result.labels == t)])
        while key in key_of.values():
            key = "t-" + content_hash(key, n=12)
        key_of[t] = key
    keys = np.array([key_of.get(int(t), divers_key(model)) for t in result.labels], dtype=object)
    if not result.topic_ids:
        return None, keys, result.similarity, notes
    hierarchy = _hierarchy_rows(model, result.hierarchy, key_of)
    parent = {r["node_key"]: r["parent_key"] for r in hierarchy}
    entries = [TopicEntry(key_of[t], int(t), "", result.words.get(t, []), False, parent.get(key_of[t]))
               for t in result.topic_ids]
    meta = {"n_items": len(ids), "params": result.params.as_dict(), "seed": config.seed,
            "mode": "refit" if old is not None else "fit",
            "similarity_floors": {key_of[t]: round(float(f), 6) for t, f in zip(result.topic_ids, result.floors)}}
    registry = Registry(model, embedder_id, entries, result.centroids, hierarchy, meta)
    registry.topic_model = result.topic_model
    return registry, keys, result.similarity, notes


def _representatives(keys: np.ndarray, ids: list[str], emb: np.ndarray, registry: Registry | None, n: int) -> dict:
    if registry is None:
        return {}
    out = {}
    for entry, centroid in zip(registry.topics, registry.centroids):
        members = np.flatnonzero(keys == entry.key)
        scores = emb[members] @ centroid
        order = sorted(range(len(members)), key=lambda j: (-round(float(scores[j]), 6), ids[members[j]]))[:n]
        out[entry.key] = " ".join(ids[members[j]] for j in order)
    return out


def combine_with_context(span_vectors: np.ndarray, context_vectors: np.ndarray,
                         span_weight: float = SPAN_WEIGHT) -> np.ndarray:
    """Unit vectors of ``span_weight``·span + (1 − span_weight)·context (both unit vectors)."""
    mixed = span_weight * span_vectors + (1 - span_weight) * context_vectors
    return (mixed / np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _distinct_keyword_label(terms: list[str], surface: dict[str, str], used: set[str]) -> str:
    """``a, b et c`` from the first terms not giving a label already ``used`` (numbered as a last resort)."""
    label = readable_label(terms, surface)
    for start in range(1, len(terms)):
        if label.lower() not in used:
            break
        label = readable_label(terms[start:], surface)
    base, n = label, 2
    while label.lower() in used:
        label, n = f"{base} ({n})", n + 1
    used.add(label.lower())
    return label


def _label_topics(registry: Registry, keys: list[str], lemmas: list[str], surfaces: list[str],
                  lemmatiser: Lemmatiser, texts: list[str], contexts: list[str] | None) -> None:
    """Label the registry's unlabelled topics with a distinct noun phrase of their texts.

    Mention topics take their phrase from the spans, else from the spans' passages; a topic with no
    recurring phrase falls back to its distinctive keywords (``a, b et c``).
    """
    unlabelled = [t.key for t in registry.topics if not t.label]
    if not unlabelled:
        return
    weak = weak_label_words()
    taken = [t.label for t in registry.topics if t.label]
    span_phrases = lemmatiser.phrases(texts)
    labels = phrase_labels(span_phrases, keys, unlabelled, weak, taken)
    missing = [k for k in unlabelled if k not in labels]
    if missing and contexts is not None:
        merged = merge_phrase_docs(span_phrases, lemmatiser.phrases(contexts))
        labels.update(phrase_labels(merged, keys, missing, weak, taken + list(labels.values())))
        missing = [k for k in unlabelled if k not in labels]
    if missing:
        present = set(keys)
        extra = ctfidf_words(lemmas, keys, [k for k in missing if k in present])
        words = {t.key: t.words + extra.get(t.key, []) for t in registry.topics if t.key in missing}
        terms = rank_label_terms(lemmas, keys, words)
        surface = surface_forms(lemmas, surfaces, {w for ws in terms.values() for w in ws} |
                                {w for ws in words.values() for w in ws})
        used = {label.lower() for label in taken + list(labels.values())}
        for key in missing:
            labels[key] = _distinct_keyword_label(terms.get(key) or words[key], surface, used)
    for entry in registry.topics:
        if not entry.label:
            entry.label = labels[entry.key]


def usable_items(items: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Items as a model sees them (distinct ids, sorted by id, non-blank text) and the ids of blank ones."""
    items = items.drop_duplicates("item_id").sort_values("item_id", kind="stable").reset_index(drop=True)
    blank = items["text"].astype("string").fillna("").str.strip() == ""
    return items[~blank].reset_index(drop=True), list(items.loc[blank, "item_id"])


def model_topics(model: str, items: pd.DataFrame, previous: pd.DataFrame | None, config: TopicsConfig,
                 embedder, cache: EmbeddingCache | None, model_dir: Path | None,
                 lemmatiser: Lemmatiser | None = None) -> ModelOutput:
    """Themes of ``items`` (columns item_id, text) for one model: fit, refit or update per config and saved state."""
    lemmatiser = lemmatiser or Lemmatiser()
    items, blank_ids = usable_items(items)
    rejects = [(i, f"texte_vide: élément sans texte ({model})") for i in blank_ids]
    ids, texts = items["item_id"].astype(str).tolist(), items["text"].astype(str).tolist()
    contexts = items["context"].astype(str).tolist() if "context" in items else None
    emb = embed_with_cache(texts, embedder, cache) if texts else np.zeros((0, 1), np.float32)
    if contexts is not None and texts:
        emb = combine_with_context(emb, embed_with_cache(contexts, embedder, cache))
    registry = Registry.load(model_dir) if model_dir is not None else None
    if len(ids) >= TINY_CORPUS or registry is not None:
        lemmas, surfaces = lemmatiser.lemmatise(texts)
        if contexts is not None:  # passage lemmas are already cached by the passages model
            context_lemmas, context_surfaces = lemmatiser.lemmatise(contexts)
            lemmas = [f"{a} {b}".strip() for a, b in zip(lemmas, context_lemmas)]
            surfaces = [f"{a} {b}".strip() for a, b in zip(surfaces, context_surfaces)]
    else:  # nothing will be clustered: spare loading spaCy
        lemmas, surfaces = [""] * len(ids), [""] * len(ids)
    if registry is not None and registry.embedder_id != embedder.model_id:
        rejects.append((divers_key(model), f"refit_force: modèle enregistré avec {registry.embedder_id}, "
                                           f"embeddings actuels {embedder.model_id}; clés non reprises"))
        registry = None
        config_refit = True
    else:
        config_refit = config.refit
    if registry is not None and not config_refit and ids:
        mode = "update"
        keys, sims, notes = update_assignments(model, ids, emb, lemmas, registry, previous, config)
        save_model = None
    else:
        mode = "refit" if registry is not None else "fit"
        registry_new, keys, sims, notes = _fit(model, ids, emb, lemmas, registry if config_refit else None,
                                               config, lambda: embedder_backend(embedder, cache),
                                               embedder.model_id, previous)
        registry = registry_new
        save_model = getattr(registry, "topic_model", None)
    rejects += notes
    keys = np.asarray(keys, dtype=object)
    divers = divers_key(model)
    if registry is not None:
        _label_topics(registry, [str(k) for k in keys], lemmas, surfaces, lemmatiser, texts, contexts)
        surface = surface_forms(lemmas, surfaces, {w for h in registry.hierarchy for w in h["words"] or []})
        for node in registry.hierarchy:
            node.setdefault("label", None)
            if not node["label"]:
                node["label"] = readable_label(node["words"] or [], surface)
        if model_dir is not None:
            registry.save(model_dir, save_model)
    n_divers = int((keys == divers).sum())
    share = n_divers / len(ids) if ids else 0.0
    reps = _representatives(keys, ids, emb, registry, config.n_representatives)
    rows = [{"topic_key": t.key, "model": model, "label": t.label, "words": ", ".join(t.words),
             "size": int((keys == t.key).sum()), "emerging": t.emerging, "parent_key": t.parent_key,
             "representative_ids": reps.get(t.key, "")} for t in (registry.topics if registry else [])]
    rows.append({"topic_key": divers, "model": model, "label": f"Divers (non classés : {100 * share:.1f} %)".replace(".", ","),
                 "words": "", "size": n_divers, "emerging": False, "parent_key": None,
                 "representative_ids": ""})
    assignments = pd.DataFrame({"item_id": ids, "topic_key": keys.astype(str) if len(keys) else [],
                                "probability": np.clip(np.where(keys == divers, 0.0, sims), 0, 1)
                                if len(keys) else []})
    hierarchy = pd.DataFrame([{"model": model, "node_key": h["node_key"], "parent_key": h["parent_key"],
                               "label": h["label"], "distance": h["distance"]}
                              for h in (registry.hierarchy if registry else [])],
                             columns=["model", "node_key", "parent_key", "label", "distance"])
    if registry is not None:
        root = hierarchy.loc[hierarchy["parent_key"].isna(), "node_key"]
        extra = [{"model": model, "node_key": t.key, "parent_key": root.iloc[0] if len(root) else None,
                  "label": t.label, "distance": None}
                 for t in registry.topics if t.key not in set(hierarchy["node_key"])]
        hierarchy = pd.concat([hierarchy, pd.DataFrame(extra, columns=hierarchy.columns)], ignore_index=True)
    log.info("%s: %d éléments, mode %s, %d thèmes, %.1f %% en Divers", model, len(ids), mode,
             len(rows) - 1, 100 * share)
    return ModelOutput(pd.DataFrame(rows), assignments, hierarchy, rejects, mode, share)
