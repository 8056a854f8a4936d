"""The quote selection behind :mod:`pipeline.results`: verbatim passages (or mentions) ranked so that
the most representative come first and each contribution is quoted once before any is quoted twice."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

MIN_QUOTE_WORDS = 12  # shorter passages (titles, salutations) make poor quotes
QUOTE_COLUMNS = ["passage_id", "contribution_id", "organisation", "organisation_type", "date", "locator", "texte", "extrait"]
QUOTE_SOURCE_COLUMNS = ["passage_id", "contribution_id", "near_duplicate_group", "organisation", "organisation_type",
                        "date", "locator", "text", "n_words", "probability", "topic_probability"]


def select_quotes(passages: pd.DataFrame, mentions: pd.DataFrame, topics: pd.DataFrame,
                  axis: str | None = None, topic_key: str | None = None, frein_label: str | None = None,
                  cas_usage_label: str | None = None, actor: str | None = None, n: int = 3) -> pd.DataFrame:
    """The quotes of :meth:`pipeline.results.Results.quotes`, picked from the joined ``passages`` and
    ``mentions``; ``topics`` gives the representative passages of ``topic_key``."""
    p = passages
    mask = np.ones(len(p), dtype=bool)
    for column, value in (("axis", axis), ("topic_key", topic_key)):
        if value:
            mask &= (p[column] == value).fillna(False).to_numpy(dtype=bool)
    extract: dict[str, str] = {}
    bonus: dict[str, float] = defaultdict(float)
    for kind, value, column in (("frein", frein_label, "label"), ("cas_usage", cas_usage_label, "label"),
                                ("acteur", actor, "canonical")):
        if value is None:
            continue
        m = mentions
        hits = m.loc[((m["kind"] == kind) & (m[column] == value)).fillna(False).to_numpy(dtype=bool),
                     ["passage_id", "text", "score"]]
        best: dict[str, tuple[str, float]] = {}
        for pid, text, score in hits.itertuples(index=False):
            score = 0.0 if pd.isna(score) else float(score)
            if pid not in best or score > best[pid][1]:
                best[pid] = (text, score)
        mask &= p["passage_id"].isin(list(best)).to_numpy(dtype=bool)
        for pid, (text, score) in best.items():
            extract[pid] = text
            bonus[pid] += score
    rep_ids: set[str] = set()
    if topic_key:
        reps = topics.loc[topics["topic_key"] == topic_key, "representative_ids"].dropna()
        rep_ids = set(" ".join(reps).split())
    rows = p.loc[mask, QUOTE_SOURCE_COLUMNS].to_dict("records")
    for r in rows:
        base = r["probability"] if axis else r["topic_probability"] if topic_key else 0.0
        base = 0.0 if base is None or pd.isna(base) else float(base)
        r["score"] = base + (1.0 if r["passage_id"] in rep_ids else 0.0) + bonus.get(r["passage_id"], 0.0)
        r["short"] = not (r["n_words"] is not None and not pd.isna(r["n_words"]) and r["n_words"] >= MIN_QUOTE_WORDS)
        r["extrait"] = extract.get(r["passage_id"])
    rows.sort(key=lambda r: (r["short"], -r["score"], r["passage_id"]))
    # one quote per contribution (and per group of near-identical template letters) before any second one
    seen: dict[str, int] = defaultdict(int)
    for r in rows:
        group = r["near_duplicate_group"] if isinstance(r["near_duplicate_group"], str) else r["contribution_id"]
        r["rank"], seen[group] = seen[group], seen[group] + 1
    rows.sort(key=lambda r: (r["rank"], r["short"], -r["score"], r["passage_id"]))
    out = pd.DataFrame(rows[:n], columns=QUOTE_SOURCE_COLUMNS + ["extrait"]).rename(columns={"text": "texte"})
    return out[QUOTE_COLUMNS]


def select_topic_quotes(passages: pd.DataFrame, mentions: pd.DataFrame, topics: pd.DataFrame, topic_key: str,
                        n: int = 3) -> pd.DataFrame:
    """The quotes of :meth:`pipeline.results.Results.topic_quotes` (theme ``topic_key`` of ``topics``)."""
    topic = topics[topics["topic_key"] == topic_key]
    if topic.empty or topic["model"].iloc[0] == "passages":
        return select_quotes(passages, mentions, topics, topic_key=topic_key, n=n)
    reps = " ".join(topic["representative_ids"].dropna()).split()
    m = mentions[mentions["topic_key"] == topic_key]
    rows = m.to_dict("records")
    rank = {mid: i for i, mid in enumerate(reps)}
    rows.sort(key=lambda r: (rank.get(r["mention_id"], len(rank)), -float(r["score"] or 0), r["mention_id"]))
    picked, quoted_passages, groups = [], set(), set()
    for second_pass in (False, True):
        for r in rows:
            group = r["near_duplicate_group"] if isinstance(r["near_duplicate_group"], str) else r["contribution_id"]
            if r["passage_id"] in quoted_passages or (group in groups and not second_pass) or len(picked) >= n:
                continue
            picked.append(r)
            quoted_passages.add(r["passage_id"])
            groups.add(group)
    out = pd.DataFrame(picked, columns=list(m.columns)).rename(columns={"passage_text": "texte", "text": "extrait"})
    return out[QUOTE_COLUMNS].reset_index(drop=True)
