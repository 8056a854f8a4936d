"""Store: atomic multi-table commits, roll-forward recovery and the run lock."""
import json
import multiprocessing
import os

import pandas as pd
import pytest

from pipeline.store import JOURNAL, LockedError, Store


def test_commit_writes_all_tables(tmp_path):
    store = Store(tmp_path)
    store.commit({"a": pd.DataFrame({"x": [1]}), "rejects/a": pd.DataFrame({"id": ["i"], "reason": ["r"]})})
    assert store.read("a")["x"].tolist() == [1]
    assert (tmp_path / "rejects" / "a.parquet").exists()
    assert not list(tmp_path.rglob("*.staged"))


def test_interrupted_commit_is_rolled_forward(tmp_path):
    store = Store(tmp_path)
    store.commit({"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"y": [1]})})
    # Simulate a crash after the journal was written and one rename was applied.
    for name, value in (("a", 2), ("b", 2)):
        pd.DataFrame({name.replace("a", "x").replace("b", "y"): [value]}).to_parquet(tmp_path / f".{name}.parquet.staged")
    (tmp_path / JOURNAL).write_text(json.dumps({"renames": [
        [str(tmp_path / ".a.parquet.staged"), str(tmp_path / "a.parquet")],
        [str(tmp_path / ".b.parquet.staged"), str(tmp_path / "b.parquet")]]}))
    os.replace(tmp_path / ".a.parquet.staged", tmp_path / "a.parquet")
    assert store.read("b")["y"].tolist() == [1]  # half-applied: old b still readable
    assert store.recover() == 1
    assert store.read("a")["x"].tolist() == [2] and store.read("b")["y"].tolist() == [2]
    assert not (tmp_path / JOURNAL).exists()


def test_crash_before_journal_keeps_old_tables(tmp_path):
    store = Store(tmp_path)
    store.commit({"a": pd.DataFrame({"x": [1]})})
    pd.DataFrame({"x": [9]}).to_parquet(tmp_path / ".a.parquet.staged")  # staged, never journaled
    store.recover()
    assert store.read("a")["x"].tolist() == [1] and not list(tmp_path.glob(".*.staged"))


def _hold_lock(root, ready, release):
    store = Store(root)
    store.acquire()
    ready.set()
    release.wait(10)
    store.release()


def test_second_run_refuses_while_first_holds_lock(tmp_path):
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(tmp_path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockedError, match="another pipeline run"):
            Store(tmp_path).acquire(wait_seconds=0.5)
    finally:
        release.set()
        holder.join(10)
    Store(tmp_path).acquire()  # free again once the holder is gone


def test_stale_lock_of_dead_process_is_taken_over(tmp_path):
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=Store(tmp_path).acquire)
    child.start()
    child.join(10)  # exits without releasing: its lock is stale
    assert (tmp_path / ".lock").exists()
    Store(tmp_path).acquire()


def test_a_table_from_an_older_version_gets_the_new_columns_as_nulls(tmp_path):
    """documents written before ``documents.entities`` existed still read and validate; the
    cells are null, which the NLP stage takes as "no entities recorded: run the NER"."""
    from pipeline.schemas import empty, validate

    old = empty("documents").drop(columns=["entities"])
    old.loc[0] = ["d1", "c1", None, "body", "a.txt", "txt", "fr", "La DINUM.", 9, None]
    old.to_parquet(tmp_path / "documents.parquet")
    documents = Store(tmp_path).read("documents")
    assert documents["entities"].isna().all() and documents.loc[0, "text"] == "La DINUM."
    validate(documents, "documents")
