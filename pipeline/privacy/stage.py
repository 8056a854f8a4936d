"""The pseudonymisation step of ingestion, on the ``documents`` and ``contributions`` tables."""
from __future__ import annotations

import pandas as pd

from pipeline.config import PrivacyConfig
from pipeline.privacy.pseudonymiser import Pseudonymiser


def pseudonymise_documents(documents: pd.DataFrame, contributions: pd.DataFrame, config: PrivacyConfig,
                           nlp=None, pseudonymiser: Pseudonymiser | None = None
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pseudonymise ``documents.text`` and ``contributions.subject``, contribution by contribution.

    The texts of a contribution are its subject followed by its documents in table order (sort
    the table first for run-to-run stability); ``contributions.sender_email`` is the hint.
    ``documents.n_chars`` is updated. Returns new ``(documents, contributions)`` frames."""
    documents, contributions = documents.copy(), contributions.copy()
    if not config.enabled or documents.empty and contributions.empty:
        return documents, contributions
    pseudonymiser = pseudonymiser or Pseudonymiser(config, nlp=nlp)
    has_subject = "subject" in contributions.columns
    ids = list(dict.fromkeys([*contributions["contribution_id"], *documents["contribution_id"]]))
    rows_by_id = {cid: list(rows) for cid, rows in documents.groupby("contribution_id", sort=False).groups.items()}
    info = contributions.set_index("contribution_id") if not contributions.empty else None
    batches, hints = [], []
    for cid in ids:
        known = info is not None and cid in info.index
        subject = info.at[cid, "subject"] if known and has_subject else None
        texts = [subject if isinstance(subject, str) else ""]
        texts += [t if isinstance(t, str) else "" for t in documents.loc[rows_by_id.get(cid, []), "text"]]
        batches.append(texts)
        sender = info.at[cid, "sender_email"] if known and "sender_email" in info.columns else None
        hints.append({"sender_email": sender} if isinstance(sender, str) else None)
    outputs = pseudonymiser.pseudonymise_many(batches, hints)
    for cid, texts in zip(ids, outputs):
        rows = rows_by_id.get(cid, [])
        if rows:
            documents.loc[rows, "text"] = texts[1:]
        if has_subject and info is not None and cid in info.index and isinstance(info.at[cid, "subject"], str):
            contributions.loc[contributions["contribution_id"] == cid, "subject"] = texts[0]
    if "n_chars" in documents.columns:
        documents["n_chars"] = documents["text"].map(lambda t: len(t) if isinstance(t, str) else 0)
    return documents, contributions
