"""Axis-classifier commands: ``train``, ``evaluate``, ``classify-text``, ``annotate``.

Each takes the run configuration and its own arguments and returns an exit code, so the same
functions serve ``python -m pipeline.axes`` and ``python -m pipeline`` (see ``pipeline/commands.py``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from pipeline.axes.annotate import export_for_annotation
from pipeline.axes.data import count_filled_rows, is_correction_file, load_training_set
from pipeline.axes.report import format_report
from pipeline.axes.stage import classify_texts, evaluate_axes, train_axes
from pipeline.config import RunConfig
from pipeline.embeddings import EmbeddingCache, get_embedder


def read_jsonl_records(path: Path) -> tuple[list[dict], list[dict]]:
    """Records with an id and a non-empty text, and one reject (line, reason) per bad line."""
    records, rejects = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            rejects.append({"line": number, "reason": f"invalid JSON: {exc}"})
            continue
        if not isinstance(record, dict) or "id" not in record:
            rejects.append({"line": number, "reason": "expected an object with 'id' and 'text'"})
        elif not isinstance(record.get("text"), str) or not record["text"].strip():
            rejects.append({"line": number, "id": str(record["id"]), "reason": "empty or missing text"})
        else:
            records.append({"id": str(record["id"]), "text": record["text"]})
    return records, rejects


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class _Embedding:
    """The configured embedder and its on-disk cache, saved back (atomically) on exit."""

    def __init__(self, config: RunConfig):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.embedder = get_embedder(config.embedding)
        self.directory = config.paths.processed / "embeddings"
        self.cache = EmbeddingCache.load(self.directory, self.embedder.model_id)

    def __enter__(self) -> "_Embedding":
        return self

    def __exit__(self, *exc) -> None:
        if self.cache.misses:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = EmbeddingCache.file_for(self.directory, self.embedder.model_id)
            tmp = target.with_name(target.name + ".tmp")
            self.cache.to_frame().to_parquet(tmp)
            tmp.replace(target)


def _without_separator(argv: list[str]) -> list[str]:
    """Drop a leading ``--`` (``python -m pipeline classify-text -- --input ...``)."""
    return argv[1:] if argv[:1] == ["--"] else argv


def _report_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--report", type=Path, help="also write the full report as JSON here")
    return parser


def train_command(config: RunConfig, argv: list[str]) -> int:
    """Train on the annotations, save the model, print the comparison of candidates."""
    args = _report_parser("train").parse_args(_without_separator(argv))
    with _Embedding(config) as emb:
        report = train_axes(config.paths.annotations, config.paths.models, config.axes, emb.embedder, emb.cache)
    print(format_report(report))
    for reject in report.get("rejected_rows", []):
        print(f"ligne rejetée {reject['file']}:{reject['line']} — {reject['reason']}", file=sys.stderr)
    if report.get("unannotated_corrections"):
        print(f"{report['unannotated_corrections']} ligne(s) de feuille à revoir sans axe_corrige (ignorées)")
    if args.report:
        _write_atomic(args.report, json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def evaluate_command(config: RunConfig, argv: list[str]) -> int:
    """Cross-validation and held-out evaluation; nothing is saved except the optional JSON report."""
    args = _report_parser("evaluate").parse_args(_without_separator(argv))
    with _Embedding(config) as emb:
        report = evaluate_axes(config.paths.annotations, config.axes, emb.embedder, emb.cache)
    print(format_report(report))
    if args.report:
        _write_atomic(args.report, json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def classify_text_command(config: RunConfig, argv: list[str]) -> int:
    """Classify a JSONL of {id, text}; bad lines go to stderr and ``<output>.rejects.jsonl`` (exit 1)."""
    parser = argparse.ArgumentParser(prog="classify-text")
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(_without_separator(argv))
    records, rejects = read_jsonl_records(args.input)
    with _Embedding(config) as emb:
        result, empty = classify_texts(records, config.axes, emb.embedder, emb.cache, config.paths.models,
                                       config.paths.annotations)
    rows = result.astype(object).to_dict("records")
    _write_atomic(args.output, "".join(json.dumps(r, ensure_ascii=False, default=float) + "\n" for r in rows))
    rejects += [{"id": r["id"], "reason": r["reason"]} for r in empty.to_dict("records")]
    for reject in rejects:
        print(f"{args.input}:{reject.get('line', '?')}: {reject['reason']}", file=sys.stderr)
    print(f"{len(result)} texte(s) classé(s) -> {args.output}")
    if rejects:
        rejects_path = args.output.with_name(args.output.stem + ".rejects.jsonl")
        _write_atomic(rejects_path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rejects))
        print(f"{len(rejects)} ligne(s) rejetée(s), détail dans {rejects_path}", file=sys.stderr)
        return 1
    return 0


def free_sheet_path(requested: Path) -> Path:
    """``requested``, or ``<stem>-<n><suffix>`` (n = 2, 3, ...) when it holds a sheet someone started to fill.

    A file is replaced only when it is a review sheet whose ``axe_corrige`` and ``commentaire`` are
    all empty; any other existing file (filled, or not a readable sheet) is kept.
    """
    candidate, n = requested, 1
    while candidate.exists() and count_filled_rows(candidate) != 0:
        n += 1
        candidate = requested.with_name(f"{requested.stem}-{n}{requested.suffix}")
    return candidate


def annotate_command(config: RunConfig, argv: list[str]) -> int:
    """Export the passages most worth reviewing as a CSV sheet (default ``<annotations>/a_revoir.csv``).

    Reads ``passages``, ``axes`` and (if present) ``passage_topics`` from the processed folder; passages
    already corrected are left out. A sheet already being filled is never overwritten.
    """
    parser = argparse.ArgumentParser(prog="annotate")
    parser.add_argument("--passages", type=Path, help="passages.parquet (default: processed folder)")
    parser.add_argument("--axes", type=Path, help="axes.parquet (default: processed folder)")
    parser.add_argument("--passage-topics", type=Path, help="passage_topics.parquet (optional)")
    parser.add_argument("--output", type=Path, help="CSV to write (default: <annotations>/a_revoir.csv)")
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args(_without_separator(argv))
    processed, annotations = config.paths.processed, config.paths.annotations
    passages = pd.read_parquet(args.passages or processed / "passages.parquet")
    axes = pd.read_parquet(args.axes or processed / "axes.parquet")
    topics_path = args.passage_topics or processed / "passage_topics.parquet"
    topics = pd.read_parquet(topics_path) if topics_path.exists() else None
    corrected = {p for p in load_training_set(annotations).corrections["passage_id"] if p}
    sheet = export_for_annotation(passages, axes, topics, args.n, exclude_ids=corrected)
    requested = args.output or annotations / "a_revoir.csv"
    target = free_sheet_path(requested)
    if target != requested:
        filled = count_filled_rows(requested)
        print(f"{requested} est déjà en cours de remplissage ({filled if filled is not None else '?'} ligne(s) "
              f"remplie(s)) : il est conservé tel quel, la nouvelle feuille est écrite dans {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    sheet.to_csv(tmp, index=False, encoding="utf-8-sig")  # BOM: Excel then reads the accents right
    tmp.replace(target)
    print(f"{len(sheet)} passage(s) à revoir -> {target} ({len(corrected)} passage(s) déjà corrigé(s) exclus). "
          "Remplir la colonne axe_corrige avec un identifiant d'axe, puis lancer train-axes.")
    if target.parent.resolve() != Path(annotations).resolve() or not is_correction_file(target):
        print(f"Pour que train-axes relise ce fichier, déposez-le dans {annotations} sous un nom a_revoir*.csv "
              "ou corrections*.csv.")
    return 0


COMMANDS = {"train": train_command, "evaluate": evaluate_command,
            "classify-text": classify_text_command, "annotate": annotate_command}
