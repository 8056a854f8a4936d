"""Execution of row-level work on partitions: in process, or on a Dask cluster.

The same stage functions run either way; with ``executor: dask`` each partition is sent to a
worker of a local cluster (``workers`` processes) or of an existing cluster (``scheduler``
address), and the partial results are merged in partition order so the tables are identical
to an in-process run. Also work shared with one spawned worker: the split of one large batch used by
the NER and NLP stages (this process takes the head, the worker the tail), and the topic models
fitted side by side.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

from pipeline.config import ExecutionConfig

LOGGER = logging.getLogger(__name__)


def cut_on_batch(n_items: int, share: float, batch_size: int) -> int:
    """Index that leaves about ``1 - share`` of ``n_items`` after it, rounded up to a multiple of
    ``batch_size``: both sides then see the batches of a single-process run."""
    batch = max(1, batch_size)
    return min(n_items, -(-int(n_items * share) // batch) * batch)


def alongside_worker(here: Callable, worker: Callable, *worker_args):
    """``(here(), worker(*worker_args))``, the second in a spawned worker process (a clean
    interpreter that loads its own models) while this process computes the first.

    A worker that dies (killed, out of memory) costs time, not the run: its share is then computed
    in this process, with a warning. An exception raised by ``worker`` itself is raised here.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        remote = pool.submit(worker, *worker_args)
        local = here()
        try:
            return local, remote.result()
        except BrokenProcessPool as exc:
            LOGGER.warning("worker process of %s died (%s); its share is computed in this process",
                           getattr(worker, "__name__", worker), exc)
    return local, worker(*worker_args)


def head_here_tail_in_worker(items: Sequence[Any], cut: int, here: Callable, worker: Callable, *worker_args):
    """``(here(items[:cut]), worker(items[cut:], *worker_args))``, the second in a spawned worker process."""
    return alongside_worker(lambda: here(items[:cut]), worker, items[cut:], *worker_args)


def partition(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items (order kept)."""
    size = max(1, size)
    return [items[i:i + size] for i in range(0, len(items), size)]


class _DaskRunner:
    _client = None

    @classmethod
    def client(cls, config: ExecutionConfig):
        if cls._client is None:
            from distributed import Client, LocalCluster

            if config.scheduler:
                cls._client = Client(config.scheduler)
            else:
                cluster = LocalCluster(n_workers=config.workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
                cls._client = Client(cluster)
        return cls._client

    @classmethod
    def close(cls) -> None:
        if cls._client is not None:
            cluster = cls._client.cluster
            cls._client.close()
            if cluster is not None:
                cluster.close()
            cls._client = None


def map_partitions(function: Callable, partitions: Sequence[Any], execution: ExecutionConfig, **kwargs) -> list[Any]:
    """``[function(p, **kwargs) for p in partitions]``, run where the configuration says."""
    if execution.executor == "local" or len(partitions) <= 1:
        return [function(p, **kwargs) for p in partitions]
    if execution.executor != "dask":
        raise ValueError(f"unknown executor {execution.executor!r}: use 'local' or 'dask'")
    client = _DaskRunner.client(execution)
    futures = client.map(function, list(partitions), pure=False, **kwargs)
    return client.gather(futures)


def shutdown() -> None:
    """Close the Dask client and local cluster, if one was started."""
    _DaskRunner.close()
