"""Work shared with one spawned worker process (pipeline.parallel.alongside_worker and its batch split)."""
from __future__ import annotations

import logging
import multiprocessing
import os

import pytest

from pipeline.parallel import alongside_worker, cut_on_batch, head_here_tail_in_worker


def squares_with_pid(values: list[int]) -> tuple[list[int], int]:
    return [v * v for v in values], os.getpid()


def dies_in_a_worker(values: list[int]) -> tuple[list[int], int]:
    """Kills its process when run as a worker (as the out-of-memory killer would), works in the parent."""
    if multiprocessing.parent_process() is not None:
        os._exit(9)
    return squares_with_pid(values)


def fails(values: list[int]) -> None:
    raise ValueError(f"bad input: {values}")


def test_the_worker_computes_its_share_in_another_process():
    here, (there, pid) = alongside_worker(lambda: os.getpid(), squares_with_pid, [1, 2, 3])
    assert here == os.getpid() and pid != os.getpid() and there == [1, 4, 9]


def test_a_dead_worker_share_is_computed_here_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="pipeline.parallel"):
        here, (there, pid) = alongside_worker(lambda: "head", dies_in_a_worker, [2, 5])
    assert here == "head" and there == [4, 25] and pid == os.getpid()
    assert "dies_in_a_worker died" in caplog.text and "computed in this process" in caplog.text


def test_an_error_raised_by_the_worker_is_not_hidden():
    with pytest.raises(ValueError, match=r"bad input: \[7\]"):
        alongside_worker(lambda: None, fails, [7])


def test_a_batch_split_keeps_the_order_and_cuts_on_a_batch_boundary():
    items = list(range(10))
    cut = cut_on_batch(len(items), 0.5, 4)
    assert cut == 8
    head, (tail, _) = head_here_tail_in_worker(items, cut, lambda part: [v * v for v in part], squares_with_pid)
    assert head + tail == [v * v for v in items]
