"""Results API for notebooks and reports: the processed tables joined the way rapporteurs read them.

Everything here is a public view (restricted columns such as ``sender_email`` are dropped on load),
and every figure can be traced back to verbatim quotes: each quote carries its contribution id,
the organisation and a locator (file and passage number). Missing tables load as empty tables with
the schema's columns, so callers can say "non disponible" instead of crashing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.report.joins import actor_links, enrich_mentions, enrich_passages
from pipeline.report.labels import display_labels, display_name  # noqa: F401  (re-exported for notebooks)
from pipeline.report.quotes import MIN_QUOTE_WORDS, QUOTE_COLUMNS, select_quotes, select_topic_quotes  # noqa: F401
from pipeline.schemas import SCHEMAS, empty, public_view


def _read(processed_dir: Path, name: str) -> tuple[pd.DataFrame, bool]:
    path = processed_dir / f"{name}.parquet"
    if not path.exists():
        return public_view(empty(name), name), False
    return public_view(pd.read_parquet(path), name), True


@dataclass
class Results:
    """The processed tables (public views) and the joins rapporteurs need."""

    processed_dir: Path
    tables: dict[str, pd.DataFrame]
    present: set[str]
    models_dir: Path | None = None
    passages: pd.DataFrame = field(default_factory=pd.DataFrame)
    mentions: pd.DataFrame = field(default_factory=pd.DataFrame)

    # -- tables ----------------------------------------------------------------
    def has(self, name: str) -> bool:
        """True when the table was found in the processed folder and is not empty."""
        return name in self.present and not self.tables[name].empty

    def table(self, name: str) -> pd.DataFrame:
        """A table as loaded (public view), empty with its columns when absent."""
        return self.tables[name]

    @property
    def contributions(self) -> pd.DataFrame:
        return self.tables["contributions"]

    @property
    def topics(self) -> pd.DataFrame:
        return self.tables["topics"]

    @property
    def axis_names(self) -> dict[str, str]:
        return display_labels()["axes"]

    def subset(self, organisation_type: str | None = None, organisation: str | None = None) -> "Results":
        """The same results restricted to the contributions of an organisation type and/or organisation
        (the actor network is recomputed from the remaining mentions)."""
        c = self.contributions
        keep = pd.Series(True, index=c.index)
        if organisation_type:
            keep &= (c["organisation_type"] == organisation_type).fillna(False)
        if organisation:
            keep &= (c["organisation"] == organisation).fillna(False)
        ids = set(c.loc[keep.to_numpy(dtype=bool), "contribution_id"])
        passages = self.passages[self.passages["contribution_id"].isin(ids)]
        pids = set(passages["passage_id"])
        mentions = self.mentions[self.mentions["passage_id"].isin(pids)]
        tables = dict(self.tables)
        for name in ("contributions", "documents", "passages", "manifest"):
            tables[name] = tables[name][tables[name]["contribution_id"].isin(ids)]
        for name in ("axes", "passage_topics", "mentions"):
            tables[name] = tables[name][tables[name]["passage_id"].isin(pids)]
        tables["mention_topics"] = tables["mention_topics"][tables["mention_topics"]["mention_id"].isin(set(mentions["mention_id"]))]
        tables["actor_links"] = actor_links(mentions)
        return Results(self.processed_dir, tables, set(self.present), self.models_dir, passages, mentions)

    # -- aggregates --------------------------------------------------------------
    def counts_by_org_type(self, axis: str | None = None, topic_key: str | None = None,
                           kind: str | None = None, label: str | None = None) -> pd.DataFrame:
        """Passages and contributions per organisation type, optionally restricted to an axis, a
        theme or mentions of a kind (``frein``, ``cas_usage``, ``acteur``) with a label/canonical name."""
        passages = self._filter_passages(axis=axis, topic_key=topic_key, kind=kind, label=label)
        contributions = self.contributions
        if axis or topic_key or kind:
            contributions = contributions[contributions["contribution_id"].isin(passages["contribution_id"])]
        by_type = contributions.groupby("organisation_type", dropna=False).size().rename("n_contributions")
        n_passages = passages.groupby("organisation_type", dropna=False).size().rename("n_passages")
        out = pd.concat([by_type, n_passages], axis=1).fillna(0).astype(int).reset_index()
        out = out.rename(columns={"index": "organisation_type"})
        out["type"] = out["organisation_type"].map(lambda k: display_name("organisation_type", k))
        return out.sort_values(["n_contributions", "n_passages"], ascending=False).reset_index(drop=True)

    def axis_summary(self) -> pd.DataFrame:
        """Per axis: passages, share of the tagged passages, contributions, passages to review."""
        tagged = self.passages[self.passages["axis"].notna()]
        rows = []
        for axis_id, name in self.axis_names.items():
            part = tagged[tagged["axis"] == axis_id]
            rows.append({"axis": axis_id, "nom": name, "n_passages": len(part),
                         "part": len(part) / len(tagged) if len(tagged) else 0.0,
                         "n_contributions": part["contribution_id"].nunique(),
                         "n_a_revoir": int(part["a_revoir"].fillna(False).sum())})
        return pd.DataFrame(rows)

    def mention_counts(self, kind: str, axis: str | None = None) -> pd.DataFrame:
        """Per label of a mention kind: mentions, passages and contributions (optionally within an axis)."""
        m = self.mentions[self.mentions["kind"] == kind]
        if axis:
            m = m[m["axis"] == axis]
        key = "canonical" if kind == "acteur" else "label"
        if m.empty:
            return pd.DataFrame(columns=[key, "nom", "n_mentions", "n_passages", "n_contributions"])
        out = m.groupby(key).agg(n_mentions=("mention_id", "size"), n_passages=("passage_id", "nunique"),
                                 n_contributions=("contribution_id", "nunique")).reset_index()
        out.insert(1, "nom", out[key].map(lambda k: display_name(kind, k)))
        return out.sort_values(["n_contributions", "n_mentions"], ascending=False).reset_index(drop=True)

    def actors_top(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` most cited actors: contributions, passages and mentions citing them, category."""
        m = self.mentions[self.mentions["kind"] == "acteur"].copy()
        if m.empty:
            return pd.DataFrame(columns=["acteur", "categorie", "n_contributions", "n_passages", "n_mentions"])
        m["acteur"] = m["canonical"].fillna(m["text"])
        out = m.groupby("acteur").agg(
            categorie=("label", lambda s: display_name("acteur", s.mode().iloc[0]) if s.notna().any() else ""),
            n_contributions=("contribution_id", "nunique"), n_passages=("passage_id", "nunique"),
            n_mentions=("mention_id", "size")).reset_index()
        return out.sort_values(["n_contributions", "n_mentions", "acteur"], ascending=[False, False, True]).head(n).reset_index(drop=True)

    def co_citations(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` actor pairs most often cited in the same passage."""
        links = self.tables["actor_links"]
        return links.sort_values(["n_passages", "n_contributions", "source", "target"],
                                 ascending=[False, False, True, True]).head(n).reset_index(drop=True)

    def impossible_use_cases(self) -> pd.DataFrame:
        """Use cases declared impossible, each with the barrier linked to it (either direction)."""
        m = self.mentions
        cases = m[(m["kind"] == "cas_usage") & (m["status"] == "impossible")]
        freins = m[m["kind"] == "frein"].set_index("mention_id")
        by_target = m[(m["kind"] == "frein") & m["linked_mention_id"].notna()].set_index("linked_mention_id")
        rows = []
        for case in cases.itertuples(index=False):
            frein = None
            if pd.notna(case.linked_mention_id) and case.linked_mention_id in freins.index:
                frein = freins.loc[case.linked_mention_id]
            elif case.mention_id in by_target.index:
                frein = by_target.loc[[case.mention_id]].iloc[0]
            rows.append({"mention_id": case.mention_id, "passage_id": case.passage_id,
                         "contribution_id": case.contribution_id, "organisation": case.organisation,
                         "cas_usage": case.text, "domaine": display_name("cas_usage", case.label),
                         "frein": None if frein is None else frein["text"],
                         "categorie_frein": None if frein is None else display_name("frein", frein["label"]),
                         "locator": case.locator, "texte": case.passage_text})
        columns = ["mention_id", "passage_id", "contribution_id", "organisation", "cas_usage", "domaine",
                   "frein", "categorie_frein", "locator", "texte"]
        return pd.DataFrame(rows, columns=columns)

    # -- quotes and search ---------------------------------------------------------
    def _filter_passages(self, axis=None, topic_key=None, kind=None, label=None) -> pd.DataFrame:
        p = self.passages
        if axis:
            p = p[p["axis"] == axis]
        if topic_key:
            p = p[p["topic_key"] == topic_key]
        if kind:
            m = self.mentions[self.mentions["kind"] == kind]
            if label is not None:
                m = m[(m["label"] == label) | (m["canonical"] == label)]
            p = p[p["passage_id"].isin(m["passage_id"])]
        return p

    def quotes(self, axis: str | None = None, topic_key: str | None = None, frein_label: str | None = None,
               cas_usage_label: str | None = None, actor: str | None = None, n: int = 3) -> pd.DataFrame:
        """Up to ``n`` verbatim quotes matching every given filter, most representative first, one per
        contribution before any second one. Columns: passage_id, contribution_id, organisation,
        organisation_type, date, locator, texte (the passage) and extrait (the matched span, if any)."""
        return select_quotes(self.passages, self.mentions, self.topics, axis=axis, topic_key=topic_key,
                             frein_label=frein_label, cas_usage_label=cas_usage_label, actor=actor, n=n)

    def topic_quotes(self, topic_key: str, n: int = 3) -> pd.DataFrame:
        """Quotes of a theme: passages for a passage theme; for a barrier or use-case theme, its mentions
        (representative ones first) with their passage, one per passage and contribution first."""
        return select_topic_quotes(self.passages, self.mentions, self.topics, topic_key, n=n)

    def search(self, keyword: str) -> pd.DataFrame:
        """Passages containing ``keyword`` (case-insensitive), with their contribution and locator."""
        p = self.passages
        hits = p[p["text"].str.contains(keyword, case=False, regex=False, na=False)]
        return hits[["passage_id", "contribution_id", "organisation", "organisation_type", "locator", "axis",
                     "topic_label", "text"]].rename(columns={"text": "texte"}).reset_index(drop=True)

    def contribution_passages(self, contribution_id: str) -> pd.DataFrame:
        """All passages of a contribution, in document then passage order."""
        p = self.passages[self.passages["contribution_id"] == contribution_id]
        return p.sort_values(["doc_role_rank", "doc_path", "seq"]).reset_index(drop=True)

    # -- manifest and models ---------------------------------------------------------
    def rejected_items(self) -> pd.DataFrame:
        """Manifest items that were not kept (duplicate, skipped, failed) with their reason."""
        manifest = self.tables["manifest"]
        bad = manifest[manifest["status"] != "ok"]
        return bad[["path", "format", "status", "reason"]].reset_index(drop=True)

    def stage_rejects(self) -> pd.DataFrame:
        """Items rejected by each stage (``rejects/<stage>.parquet``), counted by reason (text before ``:``)."""
        rows = []
        for path in sorted((self.processed_dir / "rejects").glob("*.parquet")):
            df = pd.read_parquet(path)
            if "reason" in df.columns and len(df):
                reasons = df["reason"].astype(str).str.split(":").str[0].str.strip()
                rows += [{"stage": path.stem, "reason": k, "n": int(v)} for k, v in reasons.value_counts().items()]
        return pd.DataFrame(rows, columns=["stage", "reason", "n"])

    def model_metadata(self) -> list[dict]:
        """Metadata of the trained models found in the models folder: the ``metadata`` of ``*/*.json``
        model headers, and evaluation files ``*/evaluation*.json`` as they are."""
        if self.models_dir is None or not Path(self.models_dir).is_dir():
            return []
        found = []
        for path in sorted(Path(self.models_dir).glob("*/*.json")):
            try:
                header = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            meta = header.get("metadata") if isinstance(header, dict) else None
            if meta is None and isinstance(header, dict) and path.name.startswith("evaluation"):
                meta = header
            if isinstance(meta, dict):
                found.append({"file": f"{path.parent.name}/{path.name}", **meta})
        return found


def load_results(processed_dir: Path, models_dir: Path | None = None) -> Results:
    """Load every table of ``processed_dir`` (public views) and build the joined passages and mentions.

    ``models_dir`` (for the method page) defaults to ``<repo>/models`` next to ``data/processed``."""
    processed_dir = Path(processed_dir)
    tables, present = {}, set()
    for name in SCHEMAS:
        tables[name], found = _read(processed_dir, name)
        if found:
            present.add(name)
    # a private person's contribution is never shown under a name, whatever the ingestion found
    contributions = tables["contributions"]
    private = (contributions["organisation_type"] == "particulier").fillna(False).to_numpy(dtype=bool)
    if private.any():
        contributions = contributions.copy()
        contributions.loc[private, "organisation"] = pd.NA
        tables["contributions"] = contributions
    if models_dir is None:
        candidate = processed_dir.resolve().parent.parent / "models"
        models_dir = candidate if candidate.is_dir() else None
    passages = enrich_passages(tables)
    mentions = enrich_mentions(tables, passages)
    return Results(processed_dir, tables, present, models_dir, passages, mentions)
