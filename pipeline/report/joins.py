"""The joins behind :mod:`pipeline.results`: passages and mentions enriched with their context."""
from __future__ import annotations

import pandas as pd

from pipeline.report.labels import display_name


def _joined(values: pd.Series) -> str:
    return "; ".join(sorted({str(v) for v in values.dropna()}))


def actor_links(mentions: pd.DataFrame) -> pd.DataFrame:
    """Actor pairs cited in the same passage, as in the ``actor_links`` table."""
    actors = mentions[(mentions["kind"] == "acteur") & mentions["canonical"].notna()]
    counts: dict[tuple[str, str], list] = {}
    for (pid, cid), group in actors.groupby(["passage_id", "contribution_id"]):
        names = sorted(set(group["canonical"]))
        for i, source in enumerate(names):
            for target in names[i + 1:]:
                entry = counts.setdefault((source, target), [0, set()])
                entry[0] += 1
                entry[1].add(cid)
    rows = [{"source": s, "target": t, "n_passages": n, "n_contributions": len(c)} for (s, t), (n, c) in counts.items()]
    return pd.DataFrame(rows, columns=["source", "target", "n_passages", "n_contributions"])


def enrich_passages(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Passages with their contribution, document, axis, theme, mention labels and a locator."""
    contributions = t["contributions"][["contribution_id", "organisation", "organisation_type", "date",
                                        "near_duplicate_group"]]
    documents = t["documents"][["doc_id", "path", "format", "role"]].rename(
        columns={"path": "doc_path", "format": "doc_format", "role": "doc_role"})
    axes = t["axes"].drop(columns=["model_version"])
    topics = t["topics"][["topic_key", "label"]].rename(columns={"label": "topic_label"})
    passage_topics = t["passage_topics"].rename(columns={"probability": "topic_probability"})
    p = (t["passages"].merge(contributions, on="contribution_id", how="left")
         .merge(documents, on="doc_id", how="left").merge(axes, on="passage_id", how="left")
         .merge(passage_topics, on="passage_id", how="left").merge(topics, on="topic_key", how="left"))
    p["axis_name"] = p["axis"].map(lambda a: display_name("axes_short", a) if pd.notna(a) else pd.NA)
    mentions = t["mentions"]
    for kind, column in (("frein", "label"), ("cas_usage", "label"), ("acteur", "canonical")):
        grouped = mentions[mentions["kind"] == kind].groupby("passage_id")[column].agg(_joined)
        p[kind if kind != "acteur" else "acteurs"] = p["passage_id"].map(grouped.to_dict()).astype("string").fillna("")
    # file names of private persons' contributions may hold their name: show the format instead
    p["doc_label"] = p["doc_path"].fillna("document inconnu").str.rsplit("/", n=1).str[-1]
    private = (p["organisation_type"] == "particulier").fillna(False).to_numpy(dtype=bool)
    p.loc[private, "doc_label"] = "document " + p.loc[private, "doc_format"].fillna("").astype(str)
    p["locator"] = p["doc_label"] + ", passage " + (p["seq"].fillna(0).astype(int) + 1).astype(str)
    p["doc_role_rank"] = p["doc_role"].map({"body": 0, "file": 0, "attachment": 1}).fillna(2)
    return p


def enrich_mentions(t: dict[str, pd.DataFrame], passages: pd.DataFrame) -> pd.DataFrame:
    """Mentions with the context of their passage (contribution, organisation, locator, axis) and theme."""
    context = passages[["passage_id", "contribution_id", "near_duplicate_group", "organisation", "organisation_type",
                        "date", "locator", "axis", "topic_key"]].rename(columns={"topic_key": "passage_topic_key"})
    context["passage_text"] = passages["text"]
    mention_topics = t["mention_topics"][["mention_id", "topic_key"]]
    return (t["mentions"].merge(context, on="passage_id", how="left")
            .merge(mention_topics, on="mention_id", how="left"))
