"""Atomic reads and writes of tables and files (the runner, the CLI and the row-level caches call these)."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(df: pd.DataFrame, target: Path) -> None:
    """Write a DataFrame to parquet atomically."""
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False)


def read_table(path: Path) -> pd.DataFrame:
    """Read a parquet table."""
    return pd.read_parquet(path)


def write_text(text: str, target: Path) -> None:
    """Write a text file atomically (UTF-8)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(data: bytes, target: Path) -> None:
    """Write a binary file atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_json(obj: object, target: Path) -> None:
    """Write JSON atomically, keys sorted for stable diffs."""
    write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", target)


def append_jsonl(record: dict, target: Path) -> None:
    """Append one JSON line and fsync (the run ledger is append-only)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
