"""Regenerate the fictional sample corpus in data/raw/sample/ and its expected manifest.

Usage: .venv/bin/python scripts/make_sample_corpus.py [--out DIR] [--expected FILE]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from pipeline.synth.sample_corpus import SPEC_DIR, build_sample_corpus, dump_expected  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "raw" / "sample")
    parser.add_argument("--expected", type=Path, default=SPEC_DIR / "expected.yaml")
    args = parser.parse_args(argv)
    entries = build_sample_corpus(args.out)
    args.expected.write_text(dump_expected(entries), encoding="utf-8")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{len(entries)} files written to {args.out} ({size / 1024:.0f} KiB); expected manifest: {args.expected}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
