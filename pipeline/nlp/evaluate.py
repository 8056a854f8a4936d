"""Evaluate the NLP stage: precision/recall/F1 on the gold set, barrier rates on shared corpora.

Usage: ``python -m pipeline.nlp.evaluate [--gold data/gold/nlp_gold.jsonl] [--shared DIR]``
"""
from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd

from pipeline.config import REPO_ROOT, NlpConfig
from pipeline.nlp.given_entities import entities_as_ingested
from pipeline.nlp.stage import extract_mentions

KINDS = ("frein", "cas_usage", "acteur")
DEFAULT_GOLD = REPO_ROOT / "data" / "gold" / "nlp_gold.jsonl"
SECOND_ANNOTATION = REPO_ROOT / "data" / "gold" / "nlp_gold_annotator2.jsonl"
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
BETAGOUV = "corpora/betagouv_startups_collectivites_donnees.jsonl"
CARNETS = "corpora/datactivist_challengedata_carnets_de_bord.jsonl"
# 200 diary paragraphs judged by hand (barrier or not), blind to their day: keys and labels only
HAND_JUDGED_DIARIES = REPO_ROOT / "data" / "annotations" / "carnets" / "freins_par_paragraphe.jsonl"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def find_occurrence(text: str, needle: str, occurrence: int = 1) -> int:
    """Offset of the ``occurrence``-th (1-based) occurrence of ``needle`` in ``text``, -1 if absent."""
    start = -1
    for _ in range(max(1, occurrence)):
        start = text.find(needle, start + 1)
        if start < 0:
            return -1
    return start


def load_gold(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(passages, gold mentions) from a gold JSONL file; mentions not found in their text raise."""
    passages, mentions = [], []
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        passages.append({"passage_id": item["id"], "text": item["text"], "contribution_id": item["id"]})
        for m in item.get("mentions", []):
            start = find_occurrence(item["text"], m["text"], int(m.get("occurrence", 1)))
            if start < 0:
                raise ValueError(f"{path}:{line_no}: mention {m['text']!r} is not a substring of the text")
            mentions.append({"passage_id": item["id"], "kind": m["kind"], "start": start,
                             "end": start + len(m["text"]), "label": m.get("label"), "status": m.get("status")})
    return pd.DataFrame(passages), pd.DataFrame(mentions, columns=["passage_id", "kind", "start", "end", "label",
                                                                   "status"])


def _matches(gold: dict, pred: dict, mode: str) -> bool:
    if gold["passage_id"] != pred["passage_id"] or gold["kind"] != pred["kind"]:
        return False
    if mode == "exact":
        return gold["start"] == pred["start"] and gold["end"] == pred["end"]
    return gold["start"] < pred["end"] and pred["start"] < gold["end"]


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "n_pred": n_pred,
            "n_gold": n_gold}


def _count_matches(golds: list[dict], preds: list[dict], mode: str) -> int:
    """One-to-one greedy matching; returns the number of matched gold spans."""
    used: set[int] = set()
    tp = 0
    for g in golds:
        for j, p in enumerate(preds):
            if j not in used and _matches(g, p, mode):
                used.add(j)
                tp += 1
                break
    return tp


def score(gold: pd.DataFrame, pred: pd.DataFrame) -> pd.DataFrame:
    """P/R/F1 per kind (label ignored) and per kind and label (label must match), exact and overlap."""
    rows = []
    gold_records = gold.to_dict("records")
    pred_records = pred[["passage_id", "kind", "start", "end", "label", "status"]].to_dict("records")
    for mode in ("overlap", "exact"):
        for kind in KINDS:
            g = [r for r in gold_records if r["kind"] == kind]
            p = [r for r in pred_records if r["kind"] == kind]
            rows.append({"mode": mode, "kind": kind, "label": "(tous)", **_prf(_count_matches(g, p, mode), len(p),
                                                                                 len(g))})
            by_label = defaultdict(lambda: ([], []))
            for r in g:
                by_label[r["label"]][0].append(r)
            for r in p:
                by_label[r["label"]][1].append(r)
            for label, (gl, pl) in sorted(by_label.items(), key=lambda kv: str(kv[0])):
                rows.append({"mode": mode, "kind": kind, "label": label,
                             **_prf(_count_matches(gl, pl, mode), len(pl), len(gl))})
    return pd.DataFrame(rows)


def agreement(gold: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Inter-annotator agreement: the second annotation scored against the gold one, per kind (overlap
    and exact match, labels ignored) — the ceiling a tool can be expected to reach on the gold set."""
    table = score(gold, second)
    return table[table.label == "(tous)"].drop(columns="label").reset_index(drop=True)


def split_paragraphs(text: str, min_words: int = 3) -> list[str]:
    """Paragraphs of a text (blank-line separated), without the very short ones (headings)."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text or "") if len(p.split()) >= min_words]


def paragraph_passages(records: list[dict], group_field: str) -> pd.DataFrame:
    """One passage per paragraph of each record, with the record's group value."""
    rows = []
    for i, rec in enumerate(records):
        for j, para in enumerate(split_paragraphs(rec.get("text", ""))):
            rows.append({"passage_id": f"s{i}_{j}", "text": para, "contribution_id": f"s{i}",
                         "group": rec.get(group_field)})
    return pd.DataFrame(rows)


def _read_jsonl(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [r for r in (json.loads(line) for line in lines if line.strip()) if "_meta" not in r]


def barrier_rates(passages: pd.DataFrame, config: NlpConfig) -> pd.DataFrame:
    """Per group: passages, share carrying >= 1 barrier and share carrying >= 1 use case."""
    mentions, _ = extract_mentions(passages, config)
    with_kind = {k: set(mentions.loc[mentions["kind"] == k, "passage_id"]) for k in ("frein", "cas_usage")}
    frame = passages.assign(frein=passages["passage_id"].isin(with_kind["frein"]),
                            cas_usage=passages["passage_id"].isin(with_kind["cas_usage"]))
    return frame.groupby("group", dropna=False).agg(passages=("passage_id", "size"), taux_frein=("frein", "mean"),
                                                    taux_cas_usage=("cas_usage", "mean")).reset_index()


def shared_rates(shared: Path, config: NlpConfig) -> dict[str, pd.DataFrame]:
    """Barrier rates on the shared corpora that exist under ``shared`` (Problème/Solution, Diagnostic/later)."""
    out = {}
    if (shared / BETAGOUV).exists():
        records = [r for r in _read_jsonl(shared / BETAGOUV) if r.get("section_type") in
                   ("probleme", "solution", "contexte")]
        out["betagouv"] = barrier_rates(paragraph_passages(records, "section_type"), config)
    if (shared / CARNETS).exists():
        records = _read_jsonl(shared / CARNETS)
        for rec in records:
            stage = rec.get("stage")
            rec["phase"] = "diagnostic (J1)" if stage == "DIAGNOSTIC" else (
                "jours suivants (J2-J5)" if stage in ("IDENTIFICATION", "QUALIT", "PUBLICATION", "VALORISATION")
                else None)
        records = [r for r in records if r["phase"]]
        out["carnets"] = barrier_rates(paragraph_passages(records, "phase"), config)
    return out


def hand_judged_paragraphs(shared: Path, labels_path: Path = HAND_JUDGED_DIARIES) -> pd.DataFrame:
    """The hand-judged diary paragraphs (``passage_id`` = their key, ``text``, ``phase``, ``hand`` 0/1), read
    from the shared corpus; a key that names no paragraph raises ``ValueError``."""
    sections = {f"{r.get('edition')}/{r.get('file')}#{r.get('section_index')}": r for r in _read_jsonl(shared / CARNETS)}
    rows = []
    for label in _read_jsonl(labels_path):
        section, index = label["key"].rsplit("#", 1)
        paragraphs = split_paragraphs(sections[section]["text"]) if section in sections else []
        if int(index) >= len(paragraphs):
            raise ValueError(f"{labels_path}: {label['key']} names no paragraph of {shared / CARNETS}")
        rows.append({"passage_id": label["key"], "text": paragraphs[int(index)], "contribution_id": section,
                     "phase": label["phase"], "hand": int(label["frein"])})
    return pd.DataFrame(rows)


def hand_check(paragraphs: pd.DataFrame, config: NlpConfig) -> pd.DataFrame:
    """Per phase: paragraphs, share stating a barrier by hand and by the extractor, and the extractor's
    paragraph-level precision and recall against the hand."""
    mentions, _ = extract_mentions(paragraphs[["passage_id", "text", "contribution_id"]], config)
    found = paragraphs["passage_id"].isin(set(mentions.loc[mentions["kind"] == "frein", "passage_id"]))
    frame = paragraphs.assign(auto=found.astype(int), both=(found & (paragraphs["hand"] == 1)).astype(int))
    table = frame.groupby("phase").agg(paragraphes=("hand", "size"), taux_main=("hand", "mean"),
                                       taux_extracteur=("auto", "mean"), both=("both", "sum"),
                                       n_auto=("auto", "sum"), n_hand=("hand", "sum"))
    table["precision"] = table["both"] / table["n_auto"].clip(lower=1)
    table["rappel"] = table["both"] / table["n_hand"].clip(lower=1)
    return table.drop(columns=["both", "n_auto", "n_hand"]).reset_index()


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args(argv)
    config = NlpConfig()
    pd.set_option("display.width", 160)
    pd.set_option("display.max_rows", 200)
    if args.gold.exists():
        passages, gold = load_gold(args.gold)
        # as in a run: the NER entities come from the ingest (privacy) pass, each text a document
        pred, _ = extract_mentions(passages.assign(entities=entities_as_ingested(passages["text"].tolist())), config)
        table = score(gold, pred)
        print(f"== Jeu de référence {args.gold} ({len(passages)} textes, {len(gold)} mentions)")
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
        if args.gold.resolve() == DEFAULT_GOLD.resolve() and SECOND_ANNOTATION.exists():
            print(f"\n== Accord inter-annotateurs : {SECOND_ANNOTATION.name} évalué contre le jeu de référence")
            print(agreement(gold, load_gold(SECOND_ANNOTATION)[1]).to_string(
                index=False, float_format=lambda x: f"{x:.3f}"))
    else:
        print(f"(pas de jeu de référence : {args.gold} absent)")
    for name, frame in shared_rates(args.shared, config).items():
        print(f"\n== Corpus partagé : {name} (taux de paragraphes avec au moins un frein / un cas d'usage)")
        print(frame.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if (args.shared / CARNETS).exists() and HAND_JUDGED_DIARIES.exists():
        print(f"\n== Carnets : {HAND_JUDGED_DIARIES.name} (paragraphes jugés à la main, sans connaître le jour)"
              " : taux de paragraphes avec un frein, à la main et par l'extracteur")
        print(hand_check(hand_judged_paragraphs(args.shared), config).to_string(
            index=False, float_format=lambda x: f"{x:.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
