"""Merge of ingestion results computed on consecutive partitions of the raw files.

Each partition dedups only within itself; this pass applies the same first-seen-wins rules
across partitions (exact file duplicates, then identical document texts), in raw path order,
so the merged tables equal those of a single in-process run.
"""
from __future__ import annotations

import pandas as pd

from pipeline.config import IngestConfig
from pipeline.ingest.run import _flag_near_duplicates, _owned
from pipeline.ingest.stage import IngestResult
from pipeline.schemas import validate


def ingest_partition(task: tuple, config: IngestConfig, privacy) -> IngestResult:
    """Ingest one partition ``(raw_files, previous)``; ``previous`` is restricted to its files."""
    from pipeline.ingest.run import ingest

    files, previous = task
    if previous is not None:
        mine = pd.Series(False, index=previous.manifest.index)
        for raw in files:
            mine |= _owned(previous.manifest["path"], raw.path)
        manifest = previous.manifest[mine]
        ids = set(manifest["contribution_id"].dropna())
        previous = IngestResult(manifest, previous.contributions[previous.contributions["contribution_id"].isin(ids)],
                                previous.documents[previous.documents["contribution_id"].isin(ids)])
    return ingest(files, config, privacy, previous, show_progress=False)


def merge_partitions(results: list[IngestResult], config: IngestConfig) -> IngestResult:
    """Merge partition results (in partition order) into one result."""
    seen_files: dict[str, str] = {}
    seen_docs: dict[str, str] = {}
    manifests, contributions, documents = [], [], []
    for result in results:
        manifest = result.manifest.copy()
        contrib = result.contributions.copy()
        docs = result.documents.copy()
        drop_paths: set[str] = set()
        top_rows = manifest[manifest["parent_path"].isna()]
        for index, row in top_rows.iterrows():
            sha = row["sha256"]
            if sha in seen_files and row["status"] != "duplicate":
                owned = _owned(manifest["path"], row["path"]) & (manifest["path"] != row["path"])
                drop_paths |= set(manifest.loc[owned, "path"])
                manifest.loc[index, ["status", "reason", "duplicate_of", "contribution_id", "doc_ids"]] = [
                    "duplicate", f"same bytes as {seen_files[sha]}", seen_files[sha], None, None]
                gone = contrib["source_path"] == row["path"]
                docs = docs[~docs["contribution_id"].isin(contrib.loc[gone, "contribution_id"])]
                contrib = contrib[~gone]
            elif sha in seen_files:
                manifest.loc[index, ["reason", "duplicate_of"]] = [f"same bytes as {seen_files[sha]}", seen_files[sha]]
            elif sha is not None:
                seen_files[sha] = row["path"]
        manifest = manifest[~manifest["path"].isin(drop_paths)]
        for index, row in manifest[manifest["doc_ids"].notna()].iterrows():
            doc_id = row["doc_ids"].split()[0]
            if row["status"] == "ok" and doc_id in seen_docs:
                manifest.loc[index, ["status", "reason", "duplicate_of"]] = [
                    "duplicate", f"same text as {seen_docs[doc_id]}", seen_docs[doc_id]]
                owner = docs.loc[docs["doc_id"] == doc_id, "contribution_id"]
                docs = docs[~((docs["doc_id"] == doc_id) & (docs["path"] == row["path"]))]
                contrib.loc[contrib["contribution_id"].isin(owner), "n_documents"] -= 1
            elif row["status"] == "duplicate" and doc_id in seen_docs:
                manifest.loc[index, ["reason", "duplicate_of"]] = [f"same text as {seen_docs[doc_id]}", seen_docs[doc_id]]
        for doc_id, path in zip(docs["doc_id"], docs["path"]):
            seen_docs.setdefault(doc_id, path)
        manifests.append(manifest)
        contributions.append(contrib)
        documents.append(docs)
    merged_contributions, merged_documents = _flag_near_duplicates(
        pd.concat(contributions, ignore_index=True), pd.concat(documents, ignore_index=True), config)
    return IngestResult(
        validate(pd.concat(manifests, ignore_index=True).sort_values("path", kind="stable"), "manifest"),
        validate(merged_contributions.sort_values("source_path", kind="stable"), "contributions"),
        validate(merged_documents.sort_values("path", kind="stable"), "documents"))
