"""The sample news site in a process of its own, for the benchmarks.

Every page is rendered before the first request and the deliberately slow page answers at once:
the benchmarks measure the crawler, not the site it crawls (nor the wait for a trap's timeouts).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager

from crawler.demo_site import DemoServer, DemoSite


def _serve(articles: int, core: int | None, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    if core is not None and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > core:
        os.sched_setaffinity(0, {core})
    with DemoServer(DemoSite(articles=articles), slow_seconds=0.1) as server:
        server.app.prerender()
        ready.put(server.base_url)
        stop.wait()


@contextmanager
def served_site(articles: int, core: int | None = None) -> Iterator[str]:
    """The live site's base URL; ``core`` pins the server to that CPU."""
    ready: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(articles, core, ready, stop), daemon=True)
    server.start()
    try:
        yield ready.get(timeout=120)
    finally:
        stop.set()
        server.join(timeout=10)
