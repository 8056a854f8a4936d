"""The processed folder as a store: tables, stage state, crash-safe commits and the run lock.

A stage's outputs are first written to temporary files; a journal listing the renames is then
written atomically, the renames are applied and the journal removed. A run killed in the middle
leaves either the old files or a journal that the next run (or :meth:`Store.recover`) rolls
forward, so readers never see a half-written table and no stage's outputs are half old, half new
after recovery.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pandas as pd

from pipeline.io import write_json
from pipeline.schemas import SCHEMAS, empty

JOURNAL = "_commit_journal.json"
STATE = "_state.json"
LOCK = ".lock"


def crash_point(label: str) -> None:
    """Fault injection for the crash tests: die like ``kill -9`` when PIPELINE_TEST_CRASH == label."""
    if os.environ.get("PIPELINE_TEST_CRASH") == label:
        os._exit(137)


def with_new_columns(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """``df`` with the schema columns it lacks added as nulls: a table written by an older
    version stays readable (e.g. ``documents.entities``), and its rows count as "not computed"."""
    if name not in SCHEMAS:
        return df
    blank = empty(name)
    missing = [c for c in blank.columns if c not in df.columns]
    for column in missing:
        df[column] = pd.Series(pd.NA, index=df.index, dtype=blank[column].dtype)
    return df


class LockedError(RuntimeError):
    """Another run holds the lock of the processed folder."""


class Store:
    """Tables and state of one processed folder."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def table_path(self, name: str) -> Path:
        return self.root / f"{name}.parquet"

    def has(self, name: str) -> bool:
        return self.table_path(name).exists()

    def read(self, name: str) -> pd.DataFrame:
        """A table, or an empty one with the schema's columns when absent."""
        path = self.table_path(name)
        if path.exists():
            return with_new_columns(pd.read_parquet(path), name)
        return empty(name) if name in SCHEMAS else pd.DataFrame()

    # -- commits -------------------------------------------------------------
    def commit(self, tables: dict[str, pd.DataFrame], extra_files: dict[Path, bytes] | None = None,
               label: str = "") -> None:
        """Write several tables so that, after any crash plus recovery, all or none are new."""
        self.root.mkdir(parents=True, exist_ok=True)
        staged: list[tuple[str, str]] = []
        for name, df in tables.items():
            target = self.table_path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.staged")
            df.to_parquet(tmp, index=False)
            staged.append((str(tmp), str(target)))
        for target, data in (extra_files or {}).items():
            tmp = Path(target).with_name(f".{Path(target).name}.staged")
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            staged.append((str(tmp), str(target)))
        for tmp, _ in staged:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        write_json({"renames": staged}, self.root / JOURNAL)
        self._apply_journal(label)

    def _apply_journal(self, label: str = "") -> int:
        journal = self.root / JOURNAL
        if not journal.exists():
            return 0
        renames = json.loads(journal.read_text(encoding="utf-8"))["renames"]
        done = 0
        for tmp, target in renames:
            if Path(tmp).exists():
                os.replace(tmp, target)
                done += 1
                crash_point(f"{label}:mid-commit")
        journal.unlink()
        return done

    def recover(self) -> int:
        """Roll forward an interrupted commit and remove stray temporary files; returns renames done."""
        if not self.root.exists():
            return 0
        done = self._apply_journal()
        for stray in list(self.root.rglob(".*.staged")) + list(self.root.rglob(".*.tmp")):
            stray.unlink()
        return done

    # -- state ---------------------------------------------------------------
    def state(self) -> dict:
        path = self.root / STATE
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def save_state(self, state: dict) -> None:
        write_json(state, self.root / STATE)

    # -- lock ----------------------------------------------------------------
    def acquire(self, wait_seconds: float = 0.0) -> None:
        """Take the run lock; wait up to ``wait_seconds`` for another run, then refuse."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / LOCK
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                with os.fdopen(fd, "w") as handle:
                    json.dump({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}, handle)
                return
            except FileExistsError:
                holder = self._lock_holder(path)
                if holder is None:  # stale lock of a dead process: take it over
                    path.unlink(missing_ok=True)
                    continue
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"another pipeline run (pid {holder}) is using {self.root}; "
                        "wait for it to finish or pass --wait SECONDS") from None
                time.sleep(0.5)

    @staticmethod
    def _lock_holder(path: Path) -> int | None:
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return -1  # being written right now: treat as held
        if info.get("host") != socket.gethostname():
            return info.get("pid", -1)
        try:
            os.kill(int(info["pid"]), 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return int(info["pid"])

    def release(self) -> None:
        (self.root / LOCK).unlink(missing_ok=True)
