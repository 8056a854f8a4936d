"""Training data of the axis classifier: generated examples plus rapporteurs' corrections.

Files are read from the top level of the annotations folder (sub-folders such as ``heldout/`` are
test sets, never training data). Corrections are ``corrections*.csv|jsonl``, the review sheets
``a_revoir*.csv`` written by ``annotate`` and every ``*.xlsx`` workbook with an ``a_revoir`` sheet
(the rapporteurs' workbook); every other ``*.jsonl|csv`` holds examples. A correction always wins
over an example with the same text or the same ``passage_id`` and carries a higher sample weight.
Bad rows are returned as rejects with their file and line number (the spreadsheet row for CSV and
workbooks: header = 1).
"""
from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from pipeline.axes.definitions import axis_ids
from pipeline.ids import content_hash, text_key

TEXT_COLUMNS = ("text", "texte")
AXIS_COLUMNS = ("axe_corrige", "axis", "axe")  # first present wins: a filled review sheet has both
REVIEW_SHEET = "a_revoir"  # sheet of the rapporteurs' workbook holding the corrections
CORRECTION_PREFIXES = ("corrections", "a_revoir")


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


def _read_csv(path: Path) -> tuple[list[tuple[int, dict]], list[dict], list[str] | None]:
    """Rows of a CSV saved by us (UTF-8, ``,``) or re-saved by a French Excel (often cp1252, ``;``)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        return [], [{"file": path.name, "line": 0, "reason": f"unreadable CSV: {exc}"}], None
    frame.columns = [str(c).strip() for c in frame.columns]
    return [(i + 2, rec) for i, rec in enumerate(frame.to_dict("records"))], [], list(frame.columns)  # +2: header, 1-based


def _read_workbook(path: Path) -> tuple[list[tuple[int, dict]], list[dict], list[str] | None]:
    """Rows of the ``a_revoir`` sheet of an .xlsx workbook (read-only, cached values, never formulas)."""
    where = {"file": path.name, "line": 0}
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors on a damaged file
        return [], [{**where, "reason": f"unreadable workbook: {type(exc).__name__}: {exc}"}], None
    try:
        if REVIEW_SHEET not in workbook.sheetnames:
            return [], [{**where, "reason": f"no sheet {REVIEW_SHEET!r} (sheets: {', '.join(workbook.sheetnames)})"}], None
        values = workbook[REVIEW_SHEET].iter_rows(values_only=True)
        header = ["" if v is None else str(v).strip() for v in next(values, ())]
        rows = [(number, dict(zip(header, row))) for number, row in enumerate(values, start=2)
                if any(v is not None and str(v).strip() for v in row)]  # formatted but empty rows
    finally:
        workbook.close()
    return rows, [], header


def _read_rows(path: Path) -> tuple[list[tuple[int, dict]], list[dict], list[str] | None]:
    """(line number, record) pairs of a JSONL, CSV or workbook, rejects for unreadable lines, the header if any."""
    if path.suffix == ".xlsx":
        return _read_workbook(path)
    if path.suffix == ".csv":
        return _read_csv(path)
    rows, rejects = [], []
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
    return rows, rejects, None


def _axis_id(value: str, valid: set[str]) -> str:
    """``value`` as an axis id, tolerating case, accents, spaces and hyphens (``Accès données``); else unchanged."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower().strip()
    folded = re.sub(r"[\s-]+", "_", folded)
    return folded if folded in valid else value


def is_correction_file(path: Path) -> bool:
    """Corrections: ``corrections*``, ``a_revoir*`` and every workbook; other files hold examples."""
    return path.suffix == ".xlsx" or path.name.startswith(CORRECTION_PREFIXES)


def count_filled_rows(path: Path) -> int | None:
    """Rows of a review sheet with ``axe_corrige`` or ``commentaire`` filled; None if it is not a readable sheet."""
    rows, rejects, header = _read_rows(Path(path))
    if rejects or header is None or "axe_corrige" not in header:
        return None
    return sum(1 for _, r in rows if _first(r, ("axe_corrige",)) or _first(r, ("commentaire",)))


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
    files = sorted(p for p in annotations_dir.glob("*") if p.is_file() and p.suffix in (".jsonl", ".csv", ".xlsx")
                   and not p.name.startswith("~$"))  # ~$name.xlsx: Excel's lock file while a workbook is open
    for path in files:
        is_correction = is_correction_file(path)
        rows, bad, header = _read_rows(path)
        rejects += bad
        name = f"{path.name}!{REVIEW_SHEET}" if path.suffix == ".xlsx" else path.name
        if header is not None and not set(header) & set(AXIS_COLUMNS):
            rejects.append({"file": name, "line": 1, "reason": f"no axis column (expected one of {list(AXIS_COLUMNS)})"})
            continue
        for number, record in rows:
            text, axis = _first(record, TEXT_COLUMNS), _axis_id(_first(record, AXIS_COLUMNS), valid)
            passage_id = _first(record, ("passage_id",))
            where = {"file": name, "line": number}
            if is_correction and not axis:
                unannotated += 1
                continue
            if axis not in valid:
                rejects.append({**where, "reason": f"unknown axis {axis!r} (expected one of {sorted(valid)})"})
            elif not text and not (is_correction and passage_id):
                rejects.append({**where, "reason": "empty text"})
            else:
                row = {"text": text, "axis": axis, "source": _first(record, ("source",)) or path.stem,
                       "passage_id": passage_id, "is_correction": is_correction, "where": f"{name}:{number}"}
                (corrections if is_correction else examples).append(row)
    columns = ["text", "axis", "source", "passage_id", "is_correction", "where"]
    corr = pd.DataFrame(corrections, columns=columns)
    # Later corrections (file order, then line order) win over earlier ones; a disagreement is reported.
    corr["key"] = [text_key(t) if t else "id:" + p for t, p in zip(corr["text"], corr["passage_id"])]
    last = corr.drop_duplicates("key", keep="last").set_index("key")
    for _, row in corr[corr.duplicated("key", keep="last")].iterrows():
        kept = last.loc[row["key"]]
        if kept["axis"] != row["axis"]:
            file, line = row["where"].rsplit(":", 1)
            rejects.append({"file": file, "line": int(line), "reason": f"correction {row['axis']!r} overridden by "
                            f"{kept['axis']!r} ({kept['where']}), a later correction of the same passage"})
    corr = last.reset_index()
    ex = pd.DataFrame(examples, columns=columns)
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
    merged = pd.concat([ex, trainable], ignore_index=True).drop(columns=["key", "where"])
    return TrainingSet(examples=merged.reset_index(drop=True),
                       corrections=corr[["passage_id", "text", "axis"]].reset_index(drop=True),
                       rejects=pd.DataFrame(rejects, columns=["file", "line", "reason"]),
                       unannotated=unannotated, files=[p.name for p in files])


def load_heldout(annotations_dir: Path) -> dict[str, pd.DataFrame]:
    """Held-out test sets ``heldout/*.jsonl`` (one per style): name -> DataFrame(id, text, axis)."""
    sets = {}
    valid = set(axis_ids())
    for path in sorted((Path(annotations_dir) / "heldout").glob("*.jsonl")):
        rows, bad, _ = _read_rows(path)
        records = [{"id": str(r.get("id", n)), "text": str(r.get("text") or ""), "axis": r.get("axis")}
                   for n, r in rows]
        frame = pd.DataFrame(records, columns=["id", "text", "axis"])
        frame = frame[frame["axis"].isin(valid) & (frame["text"].str.strip() != "")].reset_index(drop=True)
        frame.attrs["dropped"] = len(bad) + len(records) - len(frame)  # reported by evaluate_axes
        if len(frame):
            sets[path.stem] = frame
    return sets
