"""``python -m pipeline.axes [--config C] [--annotations D] [--models D] [--processed D] COMMAND ...``

Commands: train, evaluate, classify-text, annotate (see ``pipeline/axes/commands.py``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.axes.commands import COMMANDS
from pipeline.config import load_config


def main(argv: list[str] | None = None) -> int:
    """Parse the global options, then run one command with the remaining arguments."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.axes", description=__doc__)
    parser.add_argument("--config", type=Path, help="YAML configuration (defaults otherwise)")
    parser.add_argument("--annotations", type=Path, help="annotations folder (default: data/annotations)")
    parser.add_argument("--models", type=Path, help="models folder (default: models)")
    parser.add_argument("--processed", type=Path, help="processed folder (embedding cache, default parquet inputs)")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the command (--help for details)")
    args = parser.parse_args(argv)
    config = load_config(args.config, annotations=args.annotations, models=args.models, processed=args.processed)
    return COMMANDS[args.command](config, args.args)


if __name__ == "__main__":
    sys.exit(main())
