"""Adapters between the runner and the stage functions.

Each adapter receives a :class:`StageContext` (configuration, input tables, the stage's previous
outputs, folders) and returns a :class:`StageOutput`. Row-level caching lives here: only rows
whose content hash is new are handed to the stage function, the others are carried over.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from pipeline.config import RunConfig
from pipeline.schemas import validate


@dataclass
class StageContext:
    config: RunConfig
    inputs: dict[str, pd.DataFrame]
    previous: dict[str, pd.DataFrame]
    incremental: bool
    raw_files: list = field(default_factory=list)
    show_progress: bool = True


@dataclass
class StageOutput:
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame  # columns: id, reason
    n_in: int
    n_new: int  # rows actually processed (the rest came from the cache)
    notes: dict = field(default_factory=dict)


def _rejects(df: pd.DataFrame | None, id_column: str) -> pd.DataFrame:
    if df is None or df.empty:
        return pd.DataFrame({"id": pd.Series(dtype="string"), "reason": pd.Series(dtype="string")})
    return pd.DataFrame({"id": df[id_column].astype("string"), "reason": df["reason"].astype("string")})


def run_ingest(ctx: StageContext) -> StageOutput:
    from pipeline.ingest import IngestResult, ingest

    previous = None
    if ctx.incremental and "manifest" in ctx.previous and not ctx.previous["manifest"].empty:
        previous = IngestResult(ctx.previous["manifest"], ctx.previous["contributions"], ctx.previous["documents"])
    execution = ctx.config.execution
    if execution.executor == "local":
        result = ingest(ctx.raw_files, ctx.config.ingest, ctx.config.privacy, previous, ctx.show_progress)
    else:
        from pipeline.ingest.partitions import ingest_partition, merge_partitions
        from pipeline.parallel import map_partitions, partition

        parts = partition(sorted(ctx.raw_files, key=lambda r: r.path), execution.partition_size)
        results = map_partitions(ingest_partition, [(part, previous) for part in parts], execution,
                                 config=ctx.config.ingest, privacy=ctx.config.privacy)
        result = merge_partitions(results, ctx.config.ingest)
    reused = 0 if previous is None else int(result.manifest["path"].isin(previous.manifest["path"]).sum())
    not_ok = result.manifest[result.manifest["status"] != "ok"]
    return StageOutput({"manifest": result.manifest, "contributions": result.contributions, "documents": result.documents},
                       _rejects(not_ok.assign(reason=not_ok["status"] + ": " + not_ok["reason"].fillna("")), "path"),
                       n_in=len(ctx.raw_files), n_new=len(result.manifest) - reused)


def run_segment(ctx: StageContext) -> StageOutput:
    from pipeline.segment import segment

    documents = ctx.inputs["documents"]
    previous = ctx.previous.get("passages") if ctx.incremental else None
    done = set(previous["doc_id"]) if previous is not None and not previous.empty else set()
    todo = documents[~documents["doc_id"].isin(done)]
    passages, rejects = segment(todo, ctx.config.segment)
    if done:
        kept = previous[previous["doc_id"].isin(set(documents["doc_id"]))]
        # contribution ids follow the current documents (a document may move to another contribution)
        kept = kept.drop(columns="contribution_id").merge(documents[["doc_id", "contribution_id"]], on="doc_id")
        passages = pd.concat([kept, passages], ignore_index=True)
    passages = validate(passages.sort_values(["doc_id", "start"], kind="stable"), "passages")
    return StageOutput({"passages": passages}, _rejects(rejects, "passage_id"), len(documents), len(todo))


def run_nlp(ctx: StageContext) -> StageOutput:
    from pipeline.nlp import actor_links, extract_mentions
    from pipeline.nlp.given_entities import passage_entities
    from pipeline.nlp.stage import extract_mentions_and_lemmas

    passages = ctx.inputs["passages"]
    previous = ctx.previous.get("mentions") if ctx.incremental else None
    done_table = ctx.previous.get("_nlp_done") if ctx.incremental else None
    done = set(done_table["passage_id"]) if done_table is not None and not done_table.empty else set()
    todo = passages[~passages["passage_id"].isin(done)]
    todo = todo.assign(entities=passage_entities(todo, ctx.inputs["documents"]))  # NER ran at ingestion
    topic_lemmas: dict = {}
    if ctx.config.execution.executor == "local":
        mentions, rejects = extract_mentions(todo, ctx.config.nlp, topic_lemmas)
    else:
        from pipeline.parallel import map_partitions, partition

        parts = partition(todo.reset_index(drop=True), ctx.config.execution.partition_size * 10)
        results = map_partitions(extract_mentions_and_lemmas, parts, ctx.config.execution, config=ctx.config.nlp)
        mentions = pd.concat([r[0] for r in results], ignore_index=True) if results else extract_mentions(todo, ctx.config.nlp)[0]
        rejects = pd.concat([r[1] for r in results], ignore_index=True) if results else pd.DataFrame(columns=["passage_id", "reason"])
        for result in results:
            for key, entry in result[2].items():
                topic_lemmas.setdefault(key, entry)
    _store_topic_lemmas(ctx, topic_lemmas)
    current = set(passages["passage_id"])
    if done and previous is not None:
        mentions = pd.concat([previous[previous["passage_id"].isin(current)], mentions], ignore_index=True)
    mentions = validate(mentions.sort_values(["passage_id", "start", "kind"], kind="stable"), "mentions")
    failed = set(rejects["passage_id"]) if not rejects.empty else set()
    done_now = pd.DataFrame({"passage_id": sorted((done & current) | (set(todo["passage_id"]) - failed))})
    links = actor_links(mentions, passages)
    return StageOutput({"mentions": mentions, "actor_links": links, "_nlp_done": done_now},
                       _rejects(rejects, "passage_id"), len(passages), len(todo))


def _store_topic_lemmas(ctx: StageContext, entries: dict) -> None:
    """Add the passages' topic lemmas found by the NLP parse to the topics stage's lemma cache."""
    from pipeline.topics.french import Lemmatiser

    if not entries:
        return
    path = ctx.config.paths.models / "topics" / "lemmas.parquet"
    lemmatiser = Lemmatiser.load(path)
    new = {k: v for k, v in entries.items() if k not in lemmatiser.cache}
    if new:
        lemmatiser.cache.update(new)
        lemmatiser.used = set(lemmatiser.cache)  # keep every entry: the topics stage prunes the cache itself
        lemmatiser.save(path)


def run_classify(ctx: StageContext) -> StageOutput:
    from pipeline.axes import classify_passages
    from pipeline.embeddings import get_embedder

    passages = ctx.inputs["passages"]
    embedder = get_embedder(ctx.config.embedding)
    cache = _embedding_cache(ctx, embedder)
    axes, rejects = classify_passages(passages, ctx.config.axes, embedder, cache,
                                      ctx.config.paths.models / "axes", ctx.config.paths.annotations,
                                      previous=ctx.previous.get("axes") if ctx.incremental else None)
    _save_embedding_cache(ctx, cache)
    return StageOutput({"axes": axes}, _rejects(rejects, rejects.columns[0] if len(rejects.columns) else "id"),
                       len(passages), int(getattr(axes, "attrs", {}).get("n_new", len(passages))))


def run_topics(ctx: StageContext) -> StageOutput:
    from pipeline.embeddings import get_embedder
    from pipeline.topics import run_topics as fit_topics

    embedder = get_embedder(ctx.config.embedding)
    cache = _embedding_cache(ctx, embedder)
    tables = fit_topics(ctx.inputs["passages"], ctx.inputs["mentions"], ctx.inputs["axes"], ctx.inputs["contributions"],
                        ctx.previous if ctx.incremental else None, ctx.config.topics, embedder, cache,
                        ctx.config.paths.models / "topics", embedding=ctx.config.embedding)
    _save_embedding_cache(ctx, cache)
    rejects = tables.pop("rejects", None)
    id_col = rejects.columns[0] if rejects is not None and len(rejects.columns) else "id"
    return StageOutput(tables, _rejects(rejects, id_col), len(ctx.inputs["passages"]), len(ctx.inputs["passages"]))


def _embedding_cache(ctx: StageContext, embedder):
    from pipeline.embeddings import EmbeddingCache

    return EmbeddingCache.load(ctx.config.paths.processed / "embeddings", embedder.model_id)


def _save_embedding_cache(ctx: StageContext, cache) -> None:
    if cache.misses:
        cache.save(ctx.config.paths.processed / "embeddings")


@dataclass(frozen=True)
class StageSpec:
    name: str
    run: Callable[[StageContext], StageOutput]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    config_sections: tuple[str, ...]
    code: tuple[str, ...]  # paths under pipeline/ whose files make the code fingerprint
    extra_inputs: tuple[str, ...] = ()  # folders (relative to the repo config paths) read by the stage


STAGES: tuple[StageSpec, ...] = (
    StageSpec("ingest", run_ingest, (), ("manifest", "contributions", "documents"), ("ingest", "privacy"),
              ("ingest", "privacy", "spacy_models.py", "ids.py", "schemas.py")),
    StageSpec("segment", run_segment, ("documents",), ("passages",), ("segment",), ("segment.py", "ids.py", "schemas.py")),
    StageSpec("nlp", run_nlp, ("passages", "documents"), ("mentions", "actor_links", "_nlp_done"), ("nlp",), ("nlp", "spacy_models.py", "ids.py", "schemas.py")),
    StageSpec("classify", run_classify, ("passages",), ("axes",), ("axes", "embedding"), ("axes", "embeddings", "schemas.py"),
              ("annotations", "models/axes")),
    StageSpec("topics", run_topics, ("passages", "mentions", "axes", "contributions"),
              ("topics", "passage_topics", "mention_topics", "topic_hierarchy", "topic_axis", "topic_org_type", "topic_time"),
              ("topics", "embedding"), ("topics", "embeddings", "spacy_models.py", "schemas.py")),
)
STAGE_NAMES = tuple(s.name for s in STAGES)
