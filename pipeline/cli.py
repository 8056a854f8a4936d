"""Command line: ``python -m pipeline <command>`` (wrapped by the Makefile).

Only this module and the runner deal with paths; every command accepts ``--raw``,
``--processed``, ``--models`` and ``--config`` so an analyst can point the tool at another
consultation's folders.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pipeline.config import RunConfig, load_config  # noqa: E402
from pipeline.stages import STAGE_NAMES  # noqa: E402


def _paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", type=Path, help="folder of raw contributions (default data/raw)")
    parser.add_argument("--processed", type=Path, help="output folder (default data/processed)")
    parser.add_argument("--models", type=Path, help="models folder (default models)")
    parser.add_argument("--annotations", type=Path, help="annotations folder (default data/annotations)")
    parser.add_argument("--config", type=Path, help="YAML file overriding default settings")


def _run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="re-run even if nothing changed")
    parser.add_argument("--rebuild", action="store_true", help="from scratch: ignore previous outputs and caches")
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait for a concurrent run instead of refusing")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run every stage in order (incremental by default)")
    _paths(run)
    _run_flags(run)
    for name in STAGE_NAMES:
        stage = sub.add_parser(name, help=f"run the {name} stage only")
        _paths(stage)
        _run_flags(stage)
        if name == "topics":
            stage.add_argument("--refit", action="store_true", help="refit from scratch, matching new topics to old keys")
    extra = {
        "classify-text": "tag texts of a JSONL file (id, text) with an axis",
        "train-axes": "train the axis classifier on data/annotations",
        "evaluate-axes": "cross-validated and held-out evaluation of the axis classifier",
        "annotate": "export the passages most worth reviewing to a CSV for rapporteurs",
        "evaluate-nlp": "precision/recall/F1 of mention extraction on the gold set",
        "evaluate-privacy": "recall of pseudonymisation on planted personal data",
        "evaluate-topics": "topic quality and stability on the 2015 consultation",
        "report": "build the HTML report (data/processed/rapport/index.html)",
        "export": "build the Excel workbook (data/processed/export/analyse_contributions.xlsx)",
        "schemas": "print the documented schema of every table",
        "recover": "finish an interrupted commit and remove temporary files",
    }
    for name, help_text in extra.items():
        command = sub.add_parser(name, help=help_text, description=f"{help_text}. Other options are passed to the command "
                                 "(see its --help).", add_help=False)
        _paths(command)
    return parser


def _config(args: argparse.Namespace) -> RunConfig:
    return load_config(args.config, raw=args.raw, processed=args.processed, models=args.models,
                       annotations=getattr(args, "annotations", None))


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (non-zero only when the tool itself fails)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # corrupt PDFs are reported in the manifest
    args, rest = build_parser().parse_known_args(argv)
    if args.command == "run" or args.command in STAGE_NAMES:
        if rest:
            build_parser().error(f"unrecognized arguments: {' '.join(rest)}")
    config = _config(args)
    if args.command == "run" or args.command in STAGE_NAMES:
        from pipeline.runner import run_pipeline
        from pipeline.store import LockedError
        from pipeline.summary import print_summary

        if getattr(args, "refit", False):
            import dataclasses
            config = dataclasses.replace(config, topics=dataclasses.replace(config.topics, refit=True))
        stages = None if args.command == "run" else (args.command,)
        try:
            reports = run_pipeline(config, stages, force=args.force or args.rebuild or getattr(args, "refit", False),
                                   incremental=not args.rebuild, wait_seconds=args.wait,
                                   show_progress=not args.quiet and sys.stderr.isatty())
        except LockedError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        print_summary(config, reports)
        return 0
    from pipeline.commands import dispatch

    return dispatch(args.command, config, [a for a in rest if a != "--"])
