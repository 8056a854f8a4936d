"""The ``topics`` stage: three models (passages, barriers, use cases) and the cross tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.config import EmbeddingConfig, TopicsConfig
from pipeline.embeddings import EmbeddingCache, get_embedder
from pipeline.parallel import alongside_worker
from pipeline.schemas import empty, validate
from pipeline.topics.french import Lemmatiser
from pipeline.topics.registry import Registry
from pipeline.topics.themes import ModelOutput, model_topics, usable_items

MENTION_MODELS = {"freins": "frein", "cas_usage": "cas_usage"}


def mention_items(mentions: pd.DataFrame | None, passages: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, list]:
    """Spans of one kind (item_id, text) with their passage's text as ``context``; orphans are rejected.

    The model mixes the span's and the passage's cached vectors and lemmas (see ``model_topics``).
    """
    if mentions is None or mentions.empty:
        return pd.DataFrame({"item_id": pd.Series(dtype="string"), "text": pd.Series(dtype="string"),
                             "context": pd.Series(dtype="string")}), []
    spans = mentions[mentions["kind"] == kind]
    merged = spans.merge(passages[["passage_id", "text"]].rename(columns={"text": "passage_text"}),
                         on="passage_id", how="left")
    orphan = merged["passage_text"].isna()
    rejects = [(m, f"passage_absent: mention {kind} sans passage connu") for m in merged.loc[orphan, "mention_id"]]
    merged = merged[~orphan]
    return pd.DataFrame({"item_id": merged["mention_id"].astype(str), "text": merged["text"].fillna("").astype(str),
                         "context": merged["passage_text"].astype(str)}), rejects


def _previous_assignments(previous: dict | None, model: str) -> pd.DataFrame | None:
    if not previous:
        return None
    if model == "passages":
        table = previous.get("passage_topics")
        return None if table is None else table.rename(columns={"passage_id": "item_id"})
    table = previous.get("mention_topics")
    if table is None or table.empty:
        return None
    return table[table["model"] == model].rename(columns={"mention_id": "item_id"})


def cross_tables(passage_topics: pd.DataFrame, mention_topics: pd.DataFrame, mentions: pd.DataFrame | None,
                 passages: pd.DataFrame, axes: pd.DataFrame | None,
                 contributions: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Passages per theme and axis, organisation type and month (mention themes counted via their passage)."""
    links = [passage_topics[["passage_id", "topic_key"]]]
    if mentions is not None and not mention_topics.empty:
        links.append(mention_topics.merge(mentions[["mention_id", "passage_id"]], on="mention_id")[
            ["passage_id", "topic_key"]])
    link = pd.concat(links, ignore_index=True).drop_duplicates()
    link = link.merge(passages[["passage_id", "contribution_id"]], on="passage_id", how="left")
    out = {}
    if axes is not None and not axes.empty and "axis" in axes:
        by_axis = link.merge(axes[["passage_id", "axis"]], on="passage_id")
        out["topic_axis"] = (by_axis.groupby(["topic_key", "axis"]).size().rename("n_passages").reset_index())
    else:
        out["topic_axis"] = empty("topic_axis")
    contrib = (contributions[["contribution_id", "organisation_type", "date"]]
               if contributions is not None and not contributions.empty
               else pd.DataFrame({"contribution_id": [], "organisation_type": [], "date": []}))
    joined = link.merge(contrib, on="contribution_id", how="left")
    joined["organisation_type"] = (joined["organisation_type"].astype("string").fillna("inconnu")
                                   .replace("", "inconnu"))
    month = joined["date"].astype("string").str.extract(r"^(\d{4}-\d{2})", expand=False)
    joined["month"] = month.fillna("inconnu")
    out["topic_org_type"] = (joined.groupby(["topic_key", "organisation_type"], dropna=False)
                             .agg(n_passages=("passage_id", "nunique"), n_contributions=("contribution_id", "nunique"))
                             .reset_index())
    out["topic_time"] = joined.groupby(["topic_key", "month"]).agg(n_passages=("passage_id", "nunique")).reset_index()
    return out


def passage_model_in_worker(n_passages: int, models_dir: Path, config: TopicsConfig, embedder) -> bool:
    """Whether the passage model is fitted in a worker beside the mention models: a fit (no saved
    model, a refit, or another embedder) of at least ``config.worker_from_passages`` passages.
    An update assigns by centroid in seconds: not worth a process."""
    if config.worker_from_passages <= 0 or n_passages < config.worker_from_passages:
        return False
    registry = Registry.load(Path(models_dir) / "passages")
    return registry is None or config.refit or registry.embedder_id != embedder.model_id


def _passage_model_job(items: pd.DataFrame, previous: pd.DataFrame | None, config: TopicsConfig,
                       embedder_or_config, vectors: dict, lemma_entries: dict, model_dir: Path):
    """The passage model on its own caches (the given vectors and lemmas), and the cache entries it
    computed or used. Runs in a worker (given the embedding configuration) or in this process."""
    embedder = (get_embedder(embedder_or_config) if isinstance(embedder_or_config, EmbeddingConfig)
                else embedder_or_config)
    cache = EmbeddingCache(embedder.model_id, dict(vectors))
    lemmatiser = Lemmatiser(dict(lemma_entries))
    output = model_topics("passages", items, previous, config, embedder, cache, model_dir, lemmatiser)
    computed = {k: v for k, v in cache.vectors.items() if k not in vectors}
    return output, computed, {k: lemmatiser.cache[k] for k in lemmatiser.used & set(lemmatiser.cache)}


def _passage_model_apart(items: pd.DataFrame, previous: pd.DataFrame | None, config: TopicsConfig, embedder,
                         embedding: EmbeddingConfig | None, cache: EmbeddingCache | None, lemmatiser: Lemmatiser,
                         model_dir: Path, mention_models):
    """``(mention_models(), passage model output)``: the passage model works on its own copy of the
    caches (the passages' vectors and lemmas), in a spawned worker when ``embedding`` is given, else
    before ``mention_models`` in this process. Either way the mention models see the caches as they
    were, and what the passage model computed is merged afterwards: the tables do not depend on
    where it ran."""
    texts = usable_items(items)[0]["text"].astype(str).tolist()
    lemmatiser.lemmatise(texts)  # the few the NLP stage left (placeholders), here where spaCy is loaded
    lemma_entries = lemmatiser.cached_entries(texts)
    vectors = {}
    if cache is not None:
        vectors = {k: cache.vectors[k] for k in map(EmbeddingCache.key, texts) if k in cache.vectors}
    job = (items, previous, config, embedding if embedding is not None else embedder, vectors, lemma_entries,
           model_dir)
    if embedding is not None:
        here, (output, computed, used) = alongside_worker(mention_models, _passage_model_job, *job)
    else:
        output, computed, used = _passage_model_job(*job)
        here = mention_models()
    if cache is not None:
        cache.vectors.update(computed)
        cache.misses += len(computed)
    lemmatiser.cache.update(used)
    lemmatiser.used |= set(used)
    return here, output


def run_topics(passages: pd.DataFrame, mentions: pd.DataFrame | None, axes: pd.DataFrame | None,
               contributions: pd.DataFrame | None, previous: dict[str, pd.DataFrame] | None,
               config: TopicsConfig, embedder, cache: EmbeddingCache | None,
               models_dir: Path, embedding: EmbeddingConfig | None = None) -> dict[str, pd.DataFrame]:
    """Fit or update the three topic models and return validated tables plus ``rejects`` (id, reason).

    ``models_dir`` holds one sub-folder per model (``passages``, ``freins``, ``cas_usage``);
    update mode is used when a saved model exists and ``config.refit`` is false. Given the
    ``embedding`` configuration, a large passage fit runs in a worker process while this one fits
    the mention models (see ``passage_model_in_worker``); the tables are the same either way.
    """
    models_dir = Path(models_dir)
    lemmas_file = models_dir / "lemmas.parquet"
    lemmatiser = Lemmatiser.load(lemmas_file)
    outputs: dict[str, ModelOutput] = {}
    rejects: list[tuple[str, str]] = []
    items = passages[["passage_id", "text"]].rename(columns={"passage_id": "item_id"})
    previous_passages = _previous_assignments(previous, "passages")

    def mention_models() -> dict[str, tuple[ModelOutput, list]]:
        done = {}
        for model, kind in MENTION_MODELS.items():
            mention_rows, orphans = mention_items(mentions, passages, kind)
            done[model] = (model_topics(model, mention_rows, _previous_assignments(previous, model), config,
                                        embedder, cache, models_dir / model, lemmatiser), orphans)
        return done

    in_worker = embedding is not None and passage_model_in_worker(len(items), models_dir, config, embedder)
    by_mentions, outputs["passages"] = _passage_model_apart(
        items, previous_passages, config, embedder, embedding if in_worker else None, cache, lemmatiser,
        models_dir / "passages", mention_models)
    for model, (output, orphans) in by_mentions.items():
        outputs[model] = output
        rejects += orphans
    lemmatiser.save(lemmas_file)
    for out in outputs.values():
        rejects += out.rejects
    passage_topics = outputs["passages"].assignments.rename(columns={"item_id": "passage_id"})
    mention_topics = pd.concat([out.assignments.rename(columns={"item_id": "mention_id"}).assign(model=name)
                                for name, out in outputs.items() if name != "passages"], ignore_index=True)
    tables = {
        "topics": pd.concat([out.topics for out in outputs.values()], ignore_index=True),
        "passage_topics": passage_topics,
        "mention_topics": mention_topics,
        "topic_hierarchy": pd.concat([out.hierarchy for out in outputs.values()], ignore_index=True),
        **cross_tables(passage_topics, mention_topics, mentions, passages, axes, contributions),
    }
    tables = {name: validate(df, name) for name, df in tables.items()}
    tables["rejects"] = pd.DataFrame({"id": [r[0] for r in rejects], "reason": [r[1] for r in rejects]},
                                     dtype="string")
    return tables
