"""Command-line plumbing shared by ``python -m pipeline report`` and ``python -m pipeline export``."""
from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.results import Results, load_results


def parse_out_and_load(config, argv: list[str], *, command: str, description: str, out_kind: str,
                       default_out: Path) -> tuple[Results, Path] | None:
    """Parse the ``--out`` option of ``python -m pipeline <command>`` and load the processed results.

    ``out_kind`` ("dossier", "fichier") and ``default_out`` (relative to the processed folder) word the
    help. Returns the results and the output path, or None (after saying why) when nothing was processed.
    """
    parser = argparse.ArgumentParser(prog=f"python -m pipeline {command}", description=description)
    parser.add_argument("--out", type=Path, default=None,
                        help=f"{out_kind} de sortie (défaut : <processed>/{default_out.as_posix()})")
    args = parser.parse_args(argv)
    processed = Path(config.paths.processed)
    if not (processed / "contributions.parquet").exists():
        print(f"Aucune contribution dans {processed} : lancez d'abord `make run`.")
        return None
    results = load_results(processed, models_dir=config.paths.models)
    return results, args.out or processed / default_out
