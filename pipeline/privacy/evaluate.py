"""Measure the pseudonymiser: ``python -m pipeline.privacy.evaluate [--n 40] [--corpora DIR]``.

Prints recall per kind on the planted corpus (see :mod:`pipeline.privacy.planted`), placeholder
consistency, false positives on hard negatives, then, for each real corpus found
(``../shared/corpora/*.jsonl``), how many items would be replaced per kind and the speed.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from pipeline.config import REPO_ROOT, PrivacyConfig
from pipeline.privacy.planted import PlantedContribution, build_planted_corpus
from pipeline.privacy.pseudonymiser import Pseudonymiser

KINDS = ("email", "telephone", "adresse", "personne")
SHARED_CORPORA = REPO_ROOT.parent / "shared" / "corpora"


def _covered(text: str, start: int, end: int, spans, kind: str | None) -> bool:
    """True when every letter and digit of ``text[start:end]`` lies in a span (of ``kind``)."""
    chars = [i for i in range(start, end) if text[i].isalnum()]
    ranges = [(s.start, s.end) for s, _ in spans if kind is None or s.kind == kind]
    return all(any(s <= i < e for s, e in ranges) for i in chars)


def score_planted(contributions: list[PlantedContribution], analysed) -> dict:
    """Recall per kind, consistency of placeholders and spans outside planted items."""
    found, total, stray = Counter(), Counter(), Counter()
    consistent = n_entities = 0
    misses: list[str] = []
    for contribution, per_text in zip(contributions, analysed):
        placeholders: dict[tuple[str, str], set[str]] = {}
        for item in contribution.items:
            text, spans = contribution.texts[item.doc], per_text[item.doc]
            total[item.kind] += 1
            if _covered(text, item.start, item.end, spans, item.kind):
                found[item.kind] += 1
                used = {p for s, p in spans if s.kind == item.kind and s.start < item.end and item.start < s.end}
                placeholders.setdefault((item.kind, item.entity), set()).update(used)
            elif len(misses) < 25:
                misses.append(f"{item.kind}: {text[item.start:item.end]!r}")
        for (kind, _), used in placeholders.items():
            if kind == "personne":
                n_entities += 1
                consistent += len(used) == 1
        for doc, spans in enumerate(per_text):
            for span, _ in spans:
                if not any(i.doc == doc and i.start < span.end and span.start < i.end for i in contribution.items):
                    stray[span.kind] += 1
    return {"recall": {k: found[k] / total[k] if total[k] else 0.0 for k in KINDS}, "total": dict(total),
            "found": dict(found), "person_consistency": consistent / n_entities if n_entities else 0.0,
            "stray_spans": dict(stray), "misses": misses}


def score_negatives(negatives: PlantedContribution, analysed) -> dict:
    """False-positive rate on strings that must be kept (each negative text is its own contribution)."""
    hits = []
    for doc, start, end in negatives.negatives:
        spans = analysed[doc][0]
        if any(s.start < end and start < s.end for s, _ in spans):
            hits.append(negatives.texts[doc][start:end])
    n_spans = sum(len(a[0]) for a in analysed)
    return {"n_keep": len(negatives.negatives), "false_positives": hits,
            "fp_rate": len(hits) / len(negatives.negatives), "spans_in_negative_texts": n_spans}


def read_corpus(path: Path) -> list[list[str]]:
    """Texts of a shared JSONL corpus, one contribution per line (its text fields)."""
    contributions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "_meta" in record:
            continue
        texts = [record[k] for k in ("title", "body", "text") if isinstance(record.get(k), str)]
        for argument in record.get("arguments") or []:
            if isinstance(argument, dict) and isinstance(argument.get("body"), str):
                texts.append(argument["body"])
        if texts:
            contributions.append(texts)
    return contributions


def run_corpora(pseudonymiser: Pseudonymiser, corpora_dir: Path, show: int = 0) -> list[dict]:
    """Replacement counts per kind and speed on each real corpus."""
    rows = []
    for path in sorted(corpora_dir.glob("*.jsonl")):
        contributions = read_corpus(path)
        n_texts = sum(len(c) for c in contributions)
        started, cpu = time.perf_counter(), time.process_time()
        analysed = pseudonymiser.analyse_many(contributions, [None] * len(contributions))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        counts = Counter(s.kind for c in analysed for t in c for s, _ in t)
        examples = Counter(s.text for c in analysed for t in c for s, _ in t if s.kind == "personne")
        rows.append({"corpus": path.name, "contributions": len(contributions), "texts": n_texts,
                     "chars": sum(len(t) for c in contributions for t in c), "seconds": round(elapsed, 1),
                     "cpu_seconds": round(cpu, 1), "texts_per_s": round(n_texts / elapsed, 1), **{k: counts.get(k, 0) for k in KINDS},
                     "top_persons": [n for n, _ in examples.most_common(show)]})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40, help="planted contributions (2 texts each)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--corpora", type=Path, default=SHARED_CORPORA)
    parser.add_argument("--show", type=int, default=0, help="print the N most frequent person spans per corpus")
    args = parser.parse_args(argv)

    pseudonymiser = Pseudonymiser(PrivacyConfig())
    started = time.perf_counter()
    pseudonymiser.pseudonymise_contribution(["Chargement du modèle par M. Dupont."])
    print(f"Model and lexicons loaded in {time.perf_counter() - started:.1f} s")
    planted, negatives = build_planted_corpus(args.n, args.seed)
    started, cpu = time.perf_counter(), time.process_time()
    analysed = pseudonymiser.analyse_many([c.texts for c in planted], [c.hints for c in planted])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    scores = score_planted(planted, analysed)
    n_texts = sum(len(c.texts) for c in planted)
    print(f"Planted corpus: {len(planted)} contributions, {n_texts} texts, {sum(scores['total'].values())} planted "
          f"items ({elapsed:.1f} s wall, {cpu:.1f} s CPU: {n_texts / elapsed:.1f} texts/s)")
    for kind in KINDS:
        print(f"  recall {kind:<10} {scores['recall'][kind]:.3f}  ({scores['found'].get(kind, 0)}/{scores['total'].get(kind, 0)})")
    print(f"  person placeholder consistency {scores['person_consistency']:.3f}")
    print(f"  spans outside planted items: {scores['stray_spans']}")
    for miss in scores["misses"]:
        print(f"    missed {miss}")
    negative_scores = score_negatives(negatives, pseudonymiser.analyse_many([[t] for t in negatives.texts]))
    print(f"Hard negatives: {negative_scores['n_keep']} strings to keep, false-positive rate "
          f"{negative_scores['fp_rate']:.3f} {negative_scores['false_positives']}")
    if args.corpora.is_dir():
        for row in run_corpora(pseudonymiser, args.corpora, args.show):
            top = row.pop("top_persons")
            print("Corpus " + ", ".join(f"{k}={v}" for k, v in row.items()))
            if top:
                print(f"    frequent person spans: {top}")
    else:
        print(f"(no shared corpora at {args.corpora})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
