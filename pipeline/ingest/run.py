"""Assemble the ``ingest`` stage: walk raw files (reusing unchanged ones), add metadata,
pseudonymise, flag near-duplicates and return validated tables."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline.config import IngestConfig, PrivacyConfig
from pipeline.ids import bytes_hash
from pipeline.ingest.dedup import near_duplicate_groups
from pipeline.ingest.metadata import detect_language, infer_organisation
from pipeline.ingest.stage import IngestResult, RawFile, _Contribution, _Ingestor
from pipeline.schemas import empty, validate
from pipeline.spacy_models import encode_entities


def _owned(paths: pd.Series, top: str) -> pd.Series:
    """Rows of a table that come from raw file ``top`` (itself, its members, its attachments)."""
    return (paths == top) | paths.str.startswith(top + "!") | paths.str.startswith(top + "#")


class _PreviousManifest:
    """The previous run's manifest as plain lists, its rows grouped by the raw file they come from
    (text before the first ``!`` or ``#``): checking a thousand unchanged files costs no pandas
    filtering per file."""

    def __init__(self, manifest: pd.DataFrame):
        self.manifest = manifest.reset_index(drop=True)
        columns = ("path", "sha256", "status", "doc_ids", "duplicate_of", "contribution_id")
        self.column = {c: [None if pd.isna(v) else v for v in self.manifest[c].tolist()] for c in columns}
        self.by_top: dict[str, list[int]] = {}
        for position, top in enumerate(self.manifest["path"].str.replace(r"[!#].*$", "", regex=True)):
            self.by_top.setdefault(top, []).append(position)

    def positions_of(self, path: str) -> list[int]:
        """Rows that come from raw file ``path`` (itself, its members, its attachments)."""
        if "!" in path or "#" in path:  # the grouping key would be ambiguous: filter exactly
            return [int(i) for i in np.flatnonzero(_owned(self.manifest["path"], path).to_numpy())]
        return self.by_top.get(path, [])


def _reusable(previous: _PreviousManifest, path: str, sha: str, ingestor: _Ingestor) -> list[int] | None:
    """Positions of the previous manifest rows of an unchanged file whose duplicate decisions still hold.

    A row recorded as a duplicate is reused only if the item it duplicates is, in this run,
    still the first holder of that text (or bytes); a kept document is reused only if no
    earlier file of this run has the same text. Otherwise the file is read again.
    """
    col = previous.column
    positions = previous.positions_of(path)
    top = [i for i in positions if col["path"][i] == path]
    if not top or col["sha256"][top[0]] != sha:
        return None
    for i in positions:
        if col["status"][i] != "duplicate":
            continue
        ids = (col["doc_ids"][i] or "").split()
        holders = [ingestor.seen_docs.get(d) for d in ids] or [ingestor.seen_files.get(col["sha256"][i])]
        first = col["duplicate_of"][i]
        if first is None or any(holder != first for holder in holders):
            return None
    doc_ids = {d for i in positions if col["status"][i] != "duplicate" for d in (col["doc_ids"][i] or "").split()}
    if (sha in ingestor.seen_files and col["status"][top[0]] != "duplicate") or doc_ids & set(ingestor.seen_docs):
        return None
    return positions


def _contribution_rows(contributions: Sequence[_Contribution], texts_by_contribution: list[list[str]]) -> list[dict]:
    rows = []
    for contribution, texts in zip(contributions, texts_by_contribution):
        joined = "\n\n".join(texts)
        filename = contribution.source_path.rsplit("/", 1)[-1]
        organisation, org_type, evidence = infer_organisation(
            contribution.sender_email, contribution.signature_org, joined[:5000], filename)
        domain = contribution.sender_email.rsplit("@", 1)[-1].lower() if contribution.sender_email and "@" in contribution.sender_email else None
        rows.append({
            "contribution_id": contribution.contribution_id, "source_path": contribution.source_path,
            "source_format": contribution.source_format, "sender_email": contribution.sender_email,
            "sender_domain": domain, "organisation": organisation, "organisation_type": org_type,
            "organisation_evidence": evidence, "date": contribution.date, "subject": contribution.subject,
            "language": detect_language(joined[:5000]) if joined.strip() else "und",
            "n_documents": len(contribution.docs), "near_duplicate_group": None,
            "problems": "; ".join(contribution.problems) or None,
        })
    return rows


def _pseudonymise(contributions: list[_Contribution], privacy: PrivacyConfig) -> None:
    """Replace personal data in every document text and subject, consistently per contribution;
    keep the NER entities found on the way in each document (``doc["entities"]``)."""
    if not privacy.enabled or not contributions:
        return
    from pipeline.privacy import Pseudonymiser

    pseudonymiser = Pseudonymiser(privacy)
    groups = [[d["text"] for d in c.docs] + [c.subject or ""] for c in contributions]
    hints = [{"sender_email": c.sender_email, "sender_name": c.sender_name} for c in contributions]
    for contribution, pairs in zip(contributions, pseudonymiser.pseudonymise_with_entities(groups, hints)):
        for doc, (text, entities) in zip(contribution.docs, pairs[:-1]):
            doc["text"] = text
            doc["entities"] = entities
        contribution.subject = pairs[-1][0] or None


def ingest(raw_files: Sequence[RawFile], config: IngestConfig, privacy: PrivacyConfig,
           previous: IngestResult | None = None, show_progress: bool = True) -> IngestResult:
    """Turn raw files into manifest, contributions and documents; reuse outputs of unchanged files."""
    ingestor = _Ingestor(config)
    reused_positions: list[int] = []
    index = _PreviousManifest(previous.manifest) if previous is not None else None
    for raw in tqdm(sorted(raw_files, key=lambda r: r.path), desc="ingest", unit="file", disable=not show_progress):
        try:
            data = raw.read()
        except OSError as exc:
            ingestor.manifest.append({"path": raw.path, "parent_path": None, "sha256": None, "size": 0, "format": None,
                                      "status": "failed", "reason": f"cannot read file: {exc}", "contribution_id": None,
                                      "doc_ids": None, "duplicate_of": None})
            continue
        sha = bytes_hash(data)
        positions = _reusable(index, raw.path, sha, ingestor) if index is not None else None
        if positions is not None:
            ingestor.seen_files.setdefault(sha, raw.path)
            for i in positions:
                for doc_id in (index.column["doc_ids"][i] or "").split():
                    ingestor.seen_docs.setdefault(doc_id, index.column["path"][i])
            reused_positions += positions
            continue
        ingestor.item(raw.path, data)

    new = ingestor.contributions
    _pseudonymise(new, privacy)
    new_rows = _contribution_rows(new, [[d["text"] for d in c.docs] for c in new])
    doc_rows = [{"doc_id": d["doc_id"], "contribution_id": c.contribution_id,
                 "parent_doc_id": next((b["doc_id"] for b in c.docs if b["role"] == "body"), None) if d["role"] == "attachment" else None,
                 "role": d["role"], "path": d["path"], "format": d["format"], "language": detect_language(d["text"][:5000]),
                 "text": d["text"], "n_chars": len(d["text"]), "near_duplicate_group": None,
                 "entities": encode_entities(d.get("entities"))}
                for c in new for d in c.docs]

    reused_manifest = [index.manifest.iloc[reused_positions]] if reused_positions else []
    reused_contribution_ids = [c for c in dict.fromkeys(index.column["contribution_id"][i] for i in reused_positions)
                               if c is not None] if reused_positions else []
    manifest = pd.concat([*reused_manifest, pd.DataFrame(ingestor.manifest, columns=list(empty("manifest").columns))],
                         ignore_index=True) if (reused_manifest or ingestor.manifest) else empty("manifest")
    contributions = pd.DataFrame(new_rows, columns=list(empty("contributions").columns))
    documents = pd.DataFrame(doc_rows, columns=list(empty("documents").columns))
    if previous is not None and reused_contribution_ids:
        keep = set(reused_contribution_ids)
        contributions = pd.concat([previous.contributions[previous.contributions["contribution_id"].isin(keep)], contributions])
        documents = pd.concat([previous.documents[previous.documents["contribution_id"].isin(keep)], documents])
    contributions, documents = _flag_near_duplicates(contributions, documents, config)
    return IngestResult(
        validate(manifest.sort_values("path", kind="stable"), "manifest"),
        validate(contributions.sort_values("source_path", kind="stable"), "contributions"),
        validate(documents.sort_values(["path"], kind="stable"), "documents"),
    )


def _flag_near_duplicates(contributions: pd.DataFrame, documents: pd.DataFrame, config: IngestConfig):
    """Recompute near-duplicate groups over all documents (cheap) and lift them to contributions."""
    documents = documents.reset_index(drop=True)
    contributions = contributions.reset_index(drop=True)
    groups = near_duplicate_groups(documents["doc_id"].tolist(), documents["text"].fillna("").tolist(), config)
    documents["near_duplicate_group"] = documents["doc_id"].map(groups)
    # A group inside one contribution (an attachment close to its email body) is no campaign.
    spread = documents.groupby("near_duplicate_group")["contribution_id"].nunique()
    documents.loc[documents["near_duplicate_group"].isin(spread[spread < 2].index), "near_duplicate_group"] = None
    by_contribution = (documents.dropna(subset=["near_duplicate_group"])
                       .sort_values("path").groupby("contribution_id")["near_duplicate_group"].first())
    contributions["near_duplicate_group"] = contributions["contribution_id"].map(by_contribution)
    return contributions, documents
