"""Command line of the axis classifier: ``python -m pipeline.axes {train,evaluate,classify-text,annotate}``."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from pipeline.axes.annotate import export_for_annotation
from pipeline.axes.data import load_training_set
from pipeline.axes.report import format_report
from pipeline.axes.stage import classify_texts, evaluate_axes, train_axes
from pipeline.config import load_config
from pipeline.embeddings import EmbeddingCache, get_embedder


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline.axes", description=__doc__)
    parser.add_argument("--config", type=Path, help="YAML configuration (defaults otherwise)")
    parser.add_argument("--annotations", type=Path, help="annotations folder (default: data/annotations)")
    parser.add_argument("--models", type=Path, help="models folder (default: models)")
    parser.add_argument("--processed", type=Path, help="processed folder holding the embedding cache")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, doc in [("train", "train on the annotations and save the model"),
                      ("evaluate", "cross-validation and held-out evaluation (nothing saved)")]:
        cmd = sub.add_parser(name, help=doc)
        cmd.add_argument("--report", type=Path, help="also write the full report as JSON here")
    cmd = sub.add_parser("classify-text", help="classify a JSONL of {id, text}")
    cmd.add_argument("--input", type=Path, required=True)
    cmd.add_argument("--output", type=Path, required=True)
    cmd = sub.add_parser("annotate", help="export the passages most worth reviewing as a CSV sheet")
    cmd.add_argument("--passages", type=Path, help="passages.parquet (default: processed folder)")
    cmd.add_argument("--axes", type=Path, help="axes.parquet (default: processed folder)")
    cmd.add_argument("--passage-topics", type=Path, help="passage_topics.parquet (optional)")
    cmd.add_argument("--output", type=Path, required=True)
    cmd.add_argument("-n", type=int, default=50)
    return parser


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


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; return the exit code."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = _parser().parse_args(argv)
    config = load_config(args.config, annotations=args.annotations, models=args.models, processed=args.processed)
    paths, settings = config.paths, config.axes
    embedder = get_embedder(config.embedding)
    cache_dir = paths.processed / "embeddings"
    cache = EmbeddingCache.load(cache_dir, embedder.model_id)
    status = 0
    if args.command in ("train", "evaluate"):
        if args.command == "train":
            report = train_axes(paths.annotations, paths.models, settings, embedder, cache)
        else:
            report = evaluate_axes(paths.annotations, settings, embedder, cache)
        print(format_report(report))
        for reject in report.get("rejected_rows", []):
            print(f"ligne rejetée {reject['file']}:{reject['line']} — {reject['reason']}", file=sys.stderr)
        if args.report:
            _write_atomic(args.report, json.dumps(report, ensure_ascii=False, indent=1))
    elif args.command == "classify-text":
        records, rejects = read_jsonl_records(args.input)
        result, empty = classify_texts(records, settings, embedder, cache, paths.models, paths.annotations)
        lines = [json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}, ensure_ascii=False)
                 for row in result.to_dict("records")]
        _write_atomic(args.output, "".join(line + "\n" for line in lines))
        rejects += [{"id": r["id"], "reason": r["reason"]} for r in empty.to_dict("records")]
        for reject in rejects:
            print(f"{args.input}:{reject.get('line', '?')}: {reject['reason']}", file=sys.stderr)
        if rejects:
            rejects_path = args.output.with_name(args.output.stem + ".rejects.jsonl")
            _write_atomic(rejects_path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rejects))
            print(f"{len(rejects)} ligne(s) rejetée(s), détail dans {rejects_path}", file=sys.stderr)
            status = 1
        print(f"{len(result)} texte(s) classé(s) -> {args.output}")
    elif args.command == "annotate":
        passages = pd.read_parquet(args.passages or paths.processed / "passages.parquet")
        axes = pd.read_parquet(args.axes or paths.processed / "axes.parquet")
        topics = pd.read_parquet(args.passage_topics) if args.passage_topics else None
        corrected = {p for p in load_training_set(paths.annotations).corrections["passage_id"] if p}
        sheet = export_for_annotation(passages, axes, topics, args.n, exclude_ids=corrected)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        sheet.to_csv(args.output, index=False, encoding="utf-8-sig")
        print(f"{len(sheet)} passage(s) à revoir -> {args.output} (remplir la colonne axe_corrige, "
              f"puis déposer le fichier sous {paths.annotations}/corrections_<date>.csv)")
    if cache.misses:
        cache_dir.mkdir(parents=True, exist_ok=True)
        target = EmbeddingCache.file_for(cache_dir, embedder.model_id)
        tmp = target.with_name(target.name + ".tmp")
        cache.to_frame().to_parquet(tmp)
        tmp.replace(target)
    return status


if __name__ == "__main__":
    sys.exit(main())
