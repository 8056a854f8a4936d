"""The one documented schema of every table written to ``data/processed/`` (parquet).

Each stage returns DataFrames that :func:`validate` checks against these definitions before the
runner writes them. Columns marked ``restricted`` hold personal data kept for the analysts'
bookkeeping only; :func:`public_view` drops them from anything meant for rapporteurs.
Dtypes: ``str`` (nullable pandas string), ``int``, ``float``, ``bool``.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str
    restricted: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]


def _t(name: str, doc: str, key: tuple[str, ...], *cols: tuple) -> Table:
    return Table(name, doc, tuple(Column(*c) for c in cols), key)


SCHEMAS: dict[str, Table] = {t.name: t for t in [
    _t("manifest", "One row per raw file, zip member and email attachment: what became of it.", ("path",),
       ("path", "str", "Path relative to the raw folder; members as `a.zip!b.pdf`, attachments as `m.eml#2:b.pdf`."),
       ("parent_path", "str", "Container (zip or email) this item came from, null for top-level files."),
       ("sha256", "str", "SHA-256 of the raw bytes."),
       ("size", "int", "Size in bytes."),
       ("format", "str", "Format detected from the content (not the extension)."),
       ("status", "str", "`ok`, `duplicate`, `skipped` or `failed`."),
       ("reason", "str", "Why the item is not `ok` (or a warning, e.g. a lying extension)."),
       ("contribution_id", "str", "Contribution this item belongs to."),
       ("doc_ids", "str", "Space-separated ids of the documents it produced."),
       ("duplicate_of", "str", "For exact duplicates: path of the first copy.")),
    _t("contributions", "One row per contribution: an email with its attachments, an mbox message or a single file.",
       ("contribution_id",),
       ("contribution_id", "str", "Hash of the raw bytes of the email, message or file (stable across re-runs)."),
       ("source_path", "str", "Path of the raw item relative to the raw folder."),
       ("source_format", "str", "Format of that item."),
       ("sender_email", "str", "Sender address. RESTRICTED: never exported to rapporteurs.", True),
       ("sender_domain", "str", "Domain of the sender address (organisations, not persons)."),
       ("organisation", "str", "Organisation name (signature, domain or text), null when unknown."),
       ("organisation_type", "str", "commune, intercommunalite, departement, region, syndicat, association, entreprise, etat_operateur, particulier or inconnu."),
       ("organisation_evidence", "str", "Where the organisation came from: signature, domain, text or none."),
       ("date", "str", "ISO 8601 date of the email or file, null when unknown."),
       ("subject", "str", "Email subject or document title (pseudonymised)."),
       ("language", "str", "Language of the main text (fr, en, ...; und when unknown)."),
       ("n_documents", "int", "Number of documents (body and attachments) kept for analysis."),
       ("near_duplicate_group", "str", "Group id shared by near-identical contributions (template letters), null otherwise."),
       ("problems", "str", "Non-fatal problems met while reading (truncated email...), `; `-separated.")),
    _t("documents", "One row per text: an email body, an attachment or a single file.", ("doc_id",),
       ("doc_id", "str", "Hash of the normalised text (before pseudonymisation)."),
       ("contribution_id", "str", "Contribution the document belongs to."),
       ("parent_doc_id", "str", "For attachments: the email body's doc_id."),
       ("role", "str", "`body`, `attachment` or `file`."),
       ("path", "str", "Manifest path of the item the text comes from."),
       ("format", "str", "txt, md, html, pdf, docx, odt, eml, msg."),
       ("language", "str", "Detected language."),
       ("text", "str", "Cleaned, pseudonymised text; passages are slices of it."),
       ("n_chars", "int", "Length of `text`."),
       ("near_duplicate_group", "str", "Group id of near-identical documents, null otherwise."),
       ("entities", "str", "ORG and LOC entities of the privacy NER pass, JSON `[[start, end, label], ...]` with "
                           "offsets in `text`; the NLP stage reads them instead of running NER again. Null when "
                           "no NER ran (pseudonymisation disabled).")),
    _t("passages", "Units of analysis: paragraphs, long ones cut at sentence boundaries (~120 words max).",
       ("passage_id",),
       ("passage_id", "str", "Hash of (doc_id, start, end)."),
       ("doc_id", "str", "Document the passage is cut from."),
       ("contribution_id", "str", "Contribution of that document."),
       ("seq", "int", "Order of the passage in its document."),
       ("heading", "str", "Nearest heading above the passage (context), null if none."),
       ("text", "str", "Passage text, equal to documents.text[start:end]."),
       ("start", "int", "Start offset in the document text."),
       ("end", "int", "End offset in the document text."),
       ("n_words", "int", "Number of words.")),
    _t("mentions", "Spans found by the French NLP stage: barriers (frein), use cases (cas_usage), actors (acteur).",
       ("mention_id",),
       ("mention_id", "str", "Hash of (passage_id, kind, start, end)."),
       ("passage_id", "str", "Passage holding the span."),
       ("kind", "str", "`frein`, `cas_usage` or `acteur`."),
       ("start", "int", "Start offset in the passage text."),
       ("end", "int", "End offset in the passage text."),
       ("text", "str", "The verbatim span."),
       ("label", "str", "Category: barrier category, use-case domain or actor category."),
       ("canonical", "str", "Canonical actor name (acteur) or the barrier's object (frein)."),
       ("status", "str", "Use cases: realise, en_projet or impossible; null otherwise."),
       ("linked_mention_id", "str", "Barrier <-> impossible use case link, null otherwise."),
       ("rule", "str", "What fired: pattern id, gazetteer, ner, frein_tagger / cas_usage_tagger (the learned span tagger)..."),
       ("score", "float", "Confidence in [0, 1].")),
    _t("actor_links", "Co-occurrence of actors within passages (actor network).", ("source", "target"),
       ("source", "str", "Canonical actor (alphabetically first)."),
       ("target", "str", "Canonical actor (second)."),
       ("n_passages", "int", "Passages citing both."),
       ("n_contributions", "int", "Contributions citing both in one passage.")),
    _t("axes", "Axis of the report for each passage (top two).", ("passage_id",),
       ("passage_id", "str", "Passage."),
       ("axis", "str", "gouvernance, acces_donnees, passage_echelle, acculturation, financement, confiance or hors_axe."),
       ("probability", "float", "Probability of `axis`."),
       ("axis_2", "str", "Second most likely axis."),
       ("probability_2", "float", "Its probability."),
       ("a_revoir", "bool", "True when `probability` is below the review threshold."),
       ("model_version", "str", "Hash of the classifier that tagged the passage.")),
    _t("topics", "Themes found by BERTopic, with keys stable across re-runs.", ("topic_key",),
       ("topic_key", "str", "Stable key (never BERTopic's index)."),
       ("model", "str", "`passages`, `freins` or `cas_usage`."),
       ("label", "str", "Readable French label."),
       ("words", "str", "Top words/n-grams, comma-separated."),
       ("size", "int", "Number of items assigned."),
       ("emerging", "bool", "True for a theme added by an update run."),
       ("parent_key", "str", "Parent in the topic hierarchy, null at the top."),
       ("representative_ids", "str", "Space-separated ids of representative passages or mentions.")),
    _t("passage_topics", "Theme of each passage.", ("passage_id",),
       ("passage_id", "str", "Passage."),
       ("topic_key", "str", "Theme key; the `Divers` key for unassigned passages."),
       ("probability", "float", "Strength of the assignment in [0, 1].")),
    _t("mention_topics", "Theme of each barrier and use-case span.", ("mention_id",),
       ("mention_id", "str", "Mention."),
       ("model", "str", "`freins` or `cas_usage`."),
       ("topic_key", "str", "Theme key."),
       ("probability", "float", "Strength of the assignment.")),
    _t("topic_hierarchy", "Merge tree of the topics of each model (BERTopic hierarchical_topics).", ("model", "node_key"),
       ("model", "str", "`passages`, `freins` or `cas_usage`."),
       ("node_key", "str", "A topic_key (leaf) or the key of a merged node."),
       ("parent_key", "str", "Merged node above it, null at the root."),
       ("label", "str", "Readable label of the node."),
       ("distance", "float", "Merge distance of the parent.")),
    _t("topic_axis", "Passages per theme and axis.", ("topic_key", "axis"),
       ("topic_key", "str", "Theme."), ("axis", "str", "Axis."), ("n_passages", "int", "Passages.")),
    _t("topic_org_type", "Contributions per theme and organisation type.", ("topic_key", "organisation_type"),
       ("topic_key", "str", "Theme."), ("organisation_type", "str", "Organisation type."),
       ("n_passages", "int", "Passages."), ("n_contributions", "int", "Contributions.")),
    _t("topic_time", "Passages per theme and month of contribution.", ("topic_key", "month"),
       ("topic_key", "str", "Theme."), ("month", "str", "YYYY-MM, `inconnu` when undated."), ("n_passages", "int", "Passages.")),
]}

_PANDAS_DTYPES = {"str": "string", "int": "Int64", "float": "Float64", "bool": "boolean"}


def empty(table: str) -> pd.DataFrame:
    """An empty DataFrame with the table's columns and dtypes."""
    spec = SCHEMAS[table]
    return pd.DataFrame({c.name: pd.Series(dtype=_PANDAS_DTYPES[c.dtype]) for c in spec.columns})


def validate(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Check ``df`` has exactly the table's columns and unique keys; return it in schema order and dtypes."""
    spec = SCHEMAS[table]
    expected = [c.name for c in spec.columns]
    missing = [c for c in expected if c not in df.columns]
    extra = [c for c in df.columns if c not in expected]
    if missing or extra:
        raise ValueError(f"table {table}: missing columns {missing}, unexpected columns {extra}")
    out = df[expected].copy()
    for col in spec.columns:
        out[col.name] = out[col.name].astype(_PANDAS_DTYPES[col.dtype])
    if len(out) and out.duplicated(list(spec.key)).any():
        dups = out[out.duplicated(list(spec.key), keep=False)][list(spec.key)].head(3).to_dict("records")
        raise ValueError(f"table {table}: duplicate keys {spec.key}, e.g. {dups}")
    return out.reset_index(drop=True)


def public_view(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Drop restricted columns (personal data) before anything reaches rapporteurs."""
    restricted = {c.name for c in SCHEMAS[table].columns if c.restricted}
    return df.drop(columns=[c for c in df.columns if c in restricted])


def schema_markdown() -> str:
    """The schemas as Markdown (used to generate docs/SCHEMAS.md)."""
    lines = ["# Tables in `data/processed/`", "", "Generated from `pipeline/schemas.py`.", ""]
    for spec in SCHEMAS.values():
        lines += [f"## `{spec.name}`", "", spec.doc, "", f"Key: `{', '.join(spec.key)}`", "",
                  "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.dtype} | {c.doc} |" for c in spec.columns]
        lines.append("")
    return "\n".join(lines)
