"""The extraction pool: worker processes forked from a fork server that imported extraction once.

Each worker then starts in milliseconds instead of importing trafilatura and lxml again, and the
fork server is a fresh process (no reactor, threads or open archive to copy, as a plain fork would).
What the workers run is ``crawler.workers``; this module imports nothing heavy, so that a command
that will extract (a crawl, an import) can start the fork server first (``start_fork_server``):
it imports and warms up extraction (about a second) on the other core while the command does its
own imports and opens the archive, instead of after them.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

# What the fork server imports before it forks a worker: extraction, and its warm-up.
PRELOAD = ["crawler.workers", "crawler.workers_warm"]


def pool_context() -> Any:
    """The multiprocessing context workers start in: the fork server (spawned processes where
    the platform has none)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_fork_server(workers: int) -> None:
    """Start the fork server now, without waiting for it, when ``workers`` > 0 will extract (none:
    extraction in the process itself): the pool started later forks them from it. It ends with
    this process, whether a pool was started or not."""
    if workers > 0 and pool_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _started() -> int:
    return os.getpid()


def extraction_pool(workers: int, *, start_timeout: float = 120.0) -> Any:
    """A pebble ``ProcessPool`` of ``workers`` extraction processes, started: this waits until
    they are (the fork server's imports take a second or two), so that the first page does not
    stall a reactor with requests in flight (downloads would time out)."""
    from pebble import ProcessPool

    pool = ProcessPool(max_workers=workers, context=pool_context())
    try:
        pool.schedule(_started).result(timeout=start_timeout)
    except BaseException:  # not started in time: its fork server and workers are not left behind
        pool.stop()
        pool.join()
        raise
    return pool
