"""Training data of the axis classifier: generated examples plus rapporteurs' corrections.

Files are read from the top level of the annotations folder (sub-folders such as ``heldout/`` are
test sets, never training data). ``corrections*.csv|jsonl`` are corrections; every other
``*.jsonl|csv`` holds examples. A correction always wins over an example with the same text or the
same ``passage_id`` and carries a higher sample weight. Bad rows are returned as rejects with their
file and line number.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.axes.definitions import axis_ids
from pipeline.ids import content_hash, text_key

TEXT_COLUMNS = ("text", "texte")
AXIS_COLUMNS = ("axe_corrige", "axis", "axe")  # first present wins: a filled review sheet has both


@dataclass
class TrainingSet:
    """Examples ready for training, the corrections (for overrides) and the rejected rows."""

    examples: pd.DataFrame  # text, axis, source, passage_id, weight, is_correction
    corrections: pd.DataFrame  # passage_id, text, axis
    rejects: pd.DataFrame  # file, line, reason
    unannotated: int = 0  # correction rows left empty by rapporteurs
    files: list[str] = field(default_factory=list)

    def data_hash(self) -> str:
        """Hash of what the model learns from (texts, axes, weights), order-independent."""
        rows = sorted(zip(self.examples["text"], self.examples["axis"], self.examples["weight"].round(4)))
        return content_hash(json.dumps(rows, ensure_ascii=False), n=16)

    def class_counts(self) -> dict[str, int]:
        """Number of examples per axis (every axis listed, zero included)."""
        counts = self.examples["axis"].value_counts()
        return {a: int(counts.get(a, 0)) for a in axis_ids()}


def _read_rows(path: Path) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(line number, record) pairs of a JSONL or CSV file, and rejects for unreadable lines."""
    rows, rejects = [], []
    if path.suffix == ".jsonl":
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
                rows.append((number, record))
            except ValueError as exc:
                rejects.append({"file": path.name, "line": number, "reason": f"invalid JSON: {exc}"})
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        rows = [(i + 2, rec) for i, rec in enumerate(frame.to_dict("records"))]  # +2: header, 1-based
    return rows, rejects


def _first(record: dict, names: tuple[str, ...]) -> str:
    for name in names:
        if name in record:
            value = record[name]
            return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()
    return ""


def load_training_set(annotations_dir: Path, correction_weight: float = 3.0) -> TrainingSet:
    """Read every example and correction file in ``annotations_dir`` and merge them."""
    annotations_dir = Path(annotations_dir)
    valid = set(axis_ids())
    examples, corrections, rejects, unannotated = [], [], [], 0
    files = sorted(p for p in annotations_dir.glob("*") if p.is_file() and p.suffix in (".jsonl", ".csv"))
    for path in files:
        is_correction = path.name.startswith("corrections")
        rows, bad = _read_rows(path)
        rejects += bad
        for number, record in rows:
            text, axis = _first(record, TEXT_COLUMNS), _first(record, AXIS_COLUMNS)
            passage_id = _first(record, ("passage_id",))
            where = {"file": path.name, "line": number}
            if is_correction and not axis:
                unannotated += 1
                continue
            if axis not in valid:
                rejects.append({**where, "reason": f"unknown axis {axis!r} (expected one of {sorted(valid)})"})
            elif not text and not (is_correction and passage_id):
                rejects.append({**where, "reason": "empty text"})
            else:
                row = {"text": text, "axis": axis, "source": _first(record, ("source",)) or path.stem,
                       "passage_id": passage_id, "is_correction": is_correction}
                (corrections if is_correction else examples).append(row)
    corr = pd.DataFrame(corrections, columns=["text", "axis", "source", "passage_id", "is_correction"])
    # Later corrections (file order, then line order) win over earlier ones.
    corr["key"] = [text_key(t) if t else "id:" + p for t, p in zip(corr["text"], corr["passage_id"])]
    corr = corr.drop_duplicates("key", keep="last")
    ex = pd.DataFrame(examples, columns=["text", "axis", "source", "passage_id", "is_correction"])
    ex["key"] = [text_key(t) for t in ex["text"]]
    conflicts = ex[ex.duplicated("key", keep=False) & ~ex.duplicated(["key", "axis"], keep=False)]
    for text in conflicts.drop_duplicates("key")["text"]:
        rejects.append({"file": "*", "line": 0, "reason": f"same text with different axes, first kept: {text[:60]!r}"})
    ex = ex.drop_duplicates("key", keep="first")
    corrected_keys = set(corr["key"])
    corrected_ids = {p for p in corr["passage_id"] if p}
    ex = ex[~ex["key"].isin(corrected_keys) & ~(ex["passage_id"].isin(corrected_ids) & (ex["passage_id"] != ""))]
    ex = ex.assign(weight=1.0)
    trainable = corr[corr["text"] != ""].assign(weight=float(correction_weight))
    merged = pd.concat([ex, trainable], ignore_index=True).drop(columns="key")
    return TrainingSet(examples=merged.reset_index(drop=True),
                       corrections=corr[["passage_id", "text", "axis"]].reset_index(drop=True),
                       rejects=pd.DataFrame(rejects, columns=["file", "line", "reason"]),
                       unannotated=unannotated, files=[p.name for p in files])


def load_heldout(annotations_dir: Path) -> dict[str, pd.DataFrame]:
    """Held-out test sets ``heldout/*.jsonl`` (one per style): name -> DataFrame(id, text, axis)."""
    sets = {}
    valid = set(axis_ids())
    for path in sorted((Path(annotations_dir) / "heldout").glob("*.jsonl")):
        rows, bad = _read_rows(path)
        records = [{"id": str(r.get("id", n)), "text": str(r.get("text") or ""), "axis": r.get("axis")}
                   for n, r in rows]
        frame = pd.DataFrame(records, columns=["id", "text", "axis"])
        frame = frame[frame["axis"].isin(valid) & (frame["text"].str.strip() != "")].reset_index(drop=True)
        frame.attrs["dropped"] = len(bad) + len(records) - len(frame)  # reported by evaluate_axes
        if len(frame):
            sets[path.stem] = frame
    return sets
