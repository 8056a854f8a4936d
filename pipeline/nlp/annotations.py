"""The annotated passages the learned NLP components are trained on, the one set they never see, and
the command line their trainers share.

* development sets ``tests/data/nlp_dev*.jsonl`` (used to write the rules and to hold out);
* training sets ``data/annotations/nlp/train_*.jsonl`` (written for the learned components);
* the gold test set ``data/gold/nlp_gold.jsonl``: evaluation only, refused by every trainer.

All follow the annotation guide ``data/gold/README.md``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import pandas as pd

from pipeline.config import REPO_ROOT
from pipeline.io import write_json
from pipeline.nlp.evaluate import load_gold

GOLD = REPO_ROOT / "data" / "gold" / "nlp_gold.jsonl"
DEV_FILES = sorted((REPO_ROOT / "tests" / "data").glob("nlp_dev*.jsonl"))
TRAIN_FILES = sorted((REPO_ROOT / "data" / "annotations" / "nlp").glob("train_*.jsonl"))
ANNOTATED_FILES = DEV_FILES + TRAIN_FILES


def load_annotated(paths: list[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Passages and gold mentions of several annotated files (passage ids prefixed by the file name);
    the gold test set raises ``ValueError``."""
    passages, mentions = [], []
    for path in paths:
        if Path(path).resolve() == GOLD.resolve():
            raise ValueError(f"{path} is the gold test set: it is never used for training")
        p, m = load_gold(path)
        stem = Path(path).stem
        passages.append(p.assign(passage_id=stem + ":" + p.passage_id))
        mentions.append(m.assign(passage_id=stem + ":" + m.passage_id))
    return pd.concat(passages, ignore_index=True), pd.concat(mentions, ignore_index=True)


def kind_lines(gold: pd.DataFrame, predictions: dict[str, list[dict]], kinds: tuple[str, ...] = ("cas_usage",)) -> list[str]:
    """One line per kind and named set of predicted mentions: overlap P/R/F1 (as ``make evaluate-nlp``)."""
    from pipeline.nlp.evaluate import score

    lines = []
    for kind in kinds:
        for name, rows in predictions.items():
            table = score(gold, pd.DataFrame(rows))
            row = table[(table["mode"] == "overlap") & (table.kind == kind) & (table.label == "(tous)")].iloc[0]
            lines.append(f"  {name:15} {kind:9} P {row.precision:.3f} R {row.recall:.3f} F1 {row.f1:.3f}"
                         f"  ({row.n_pred} predicted, {row.n_gold} gold)")
    return lines


def training_command(argv: list[str] | None, description: str, default_out: Path,
                     train: Callable[[pd.DataFrame, pd.DataFrame, list[str]], dict],
                     check: Callable[[Path], object], summary: Callable[[dict], str],
                     heldout_report: Callable[[list[Path], Path], str]) -> int:
    """The command line shared by the NLP trainers: ``--train FILE ...`` (default: every annotated set but
    the gold one), ``--heldout FILE ...``, ``--out PATH``; trains, writes the model atomically, reloads it
    with ``check`` (a file the pipeline cannot read fails here), prints ``summary`` and the held-out report."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--train", type=Path, nargs="+", default=ANNOTATED_FILES)
    parser.add_argument("--heldout", type=Path, nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args(argv)
    shared = {p.resolve() for p in args.train} & {p.resolve() for p in args.heldout}
    if shared:
        parser.error(f"file(s) both trained on and held out: {sorted(map(str, shared))}")
    try:
        passages, mentions = load_annotated(args.train)
        model = train(passages, mentions, [p.name for p in args.train])
    except ValueError as exc:
        parser.error(str(exc))
    write_json(model, args.out)
    check(args.out)
    print(f"{summary(model)}; written to {args.out}")
    if args.heldout:
        print(heldout_report(args.heldout, args.out))
    return 0


def heldout_comparison(paths: list[Path], docs_of: Callable, component: Callable, names: tuple[str, str],
                       kinds: tuple[str, ...] = ("cas_usage",)) -> str:
    """Overlap P/R/F1 of ``kinds`` on the annotated ``paths``, on the docs ``docs_of(passages)`` yields as
    (passage id, doc) without then with ``component`` (each followed by the linker, as in the pipeline)."""
    from pipeline.nlp.stage import doc_mentions
    from pipeline.nlp.use_cases import link_impossible_use_cases

    passages, gold = load_annotated(paths)
    without, with_component = [], []
    for pid, doc in docs_of(passages):
        without += doc_mentions(link_impossible_use_cases(doc), pid)
        with_component += doc_mentions(link_impossible_use_cases(component(doc)), pid)
    lines = [f"held out: {', '.join(p.name for p in paths)} ({len(passages)} passages)"]
    return "\n".join(lines + kind_lines(gold, {names[0]: without, names[1]: with_component}, kinds))
