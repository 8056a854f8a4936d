"""The annotated passages the learned NLP components are trained on, and the one set they never see.

* development sets ``tests/data/nlp_dev*.jsonl`` (used to write the rules and to hold out);
* training sets ``data/annotations/nlp/train_*.jsonl`` (written for the learned components);
* the gold test set ``data/gold/nlp_gold.jsonl``: evaluation only, refused by every trainer.

All follow the annotation guide ``data/gold/README.md``.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.config import REPO_ROOT
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
